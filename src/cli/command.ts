import type { CommandSpec, ParsedOptions } from './args';

/** One `wsol` subcommand: its spec and what it does. Returns the exit code. */
export interface Command {
  spec: CommandSpec;
  run(options: ParsedOptions, positionals: string[]): Promise<number>;
}
