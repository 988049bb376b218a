import type { Command } from '../command';
import { benchCommand } from './bench';
import { dataCommand } from './data';
import { evalCommand } from './eval';
import { infoCommand } from './info';
import { localizeCommand } from './localize';
import { methodsCommand } from './methods';
import { pretrainCommand } from './pretrain';
import { reportCommand } from './report';
import { reproduceCommand } from './reproduce';
import { trainCommand } from './train';

/** Every `wsol` subcommand, in the order `wsol --help` lists them. */
export const COMMANDS: Command[] = [trainCommand, evalCommand, localizeCommand, methodsCommand, reproduceCommand, reportCommand, pretrainCommand, benchCommand, dataCommand, infoCommand];
