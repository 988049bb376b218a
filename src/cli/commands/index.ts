import type { Command } from '../command';
import { evalCommand } from './eval';
import { infoCommand } from './info';
import { reproduceCommand } from './reproduce';
import { trainCommand } from './train';

/** Every `wsol` subcommand, in the order `wsol --help` lists them. */
export const COMMANDS: Command[] = [trainCommand, evalCommand, reproduceCommand, infoCommand];
