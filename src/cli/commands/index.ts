import type { Command } from '../command';
import { infoCommand } from './info';

/** Every `wsol` subcommand, in the order `wsol --help` lists them. */
export const COMMANDS: Command[] = [infoCommand];
