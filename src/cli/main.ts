/** Entry point of the `wsol` command line. */
import { formatHelp, parseArgs, UsageError } from './args';
import { COMMANDS } from './commands';

function topLevelHelp(): string {
  const width = Math.max(...COMMANDS.map((c) => c.spec.name.length)) + 2;
  return [
    'wsol: weakly supervised object localization by mining complementary image regions',
    '',
    'usage: wsol <command> [options]   (wsol <command> --help for its options)',
    '',
    'commands:',
    ...COMMANDS.map((c) => `  ${c.spec.name.padEnd(width)} ${c.spec.summary}`),
  ].join('\n');
}

export async function main(argv: string[]): Promise<number> {
  const [name, ...rest] = argv;
  if (!name || name === '--help' || name === '-h' || name === 'help') {
    process.stdout.write(topLevelHelp() + '\n');
    return name ? 0 : 2;
  }
  const command = COMMANDS.find((c) => c.spec.name === name);
  if (!command) {
    process.stderr.write(`wsol: unknown command "${name}"\n\n${topLevelHelp()}\n`);
    return 2;
  }
  try {
    const { options, positionals, help } = parseArgs(command.spec, rest);
    if (help) {
      process.stdout.write(formatHelp(command.spec) + '\n');
      return 0;
    }
    return await command.run(options, positionals);
  } catch (err) {
    if (err instanceof UsageError) {
      process.stderr.write(`wsol ${name}: ${err.message}\n`);
      return 2;
    }
    throw err;
  }
}
