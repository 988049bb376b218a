/**
 * A small, strict command-line parser: every option is declared with its type,
 * unknown options and bad values are errors that name the option.
 */
export type OptionType = 'string' | 'int' | 'number' | 'boolean' | 'list';

export interface OptionSpec {
  type: OptionType;
  description: string;
  default?: string | number | boolean | string[];
  /** Allowed values for string options. */
  choices?: readonly string[];
  min?: number;
}

export interface CommandSpec {
  name: string;
  summary: string;
  usage: string;
  options: Record<string, OptionSpec>;
  /** Whether positional arguments are accepted. */
  positionals?: { name: string; min?: number };
}

export type ParsedOptions = Record<string, string | number | boolean | string[] | undefined>;

export class UsageError extends Error {}

function toCamel(name: string): string {
  return name.replace(/-([a-z])/g, (_, c: string) => c.toUpperCase());
}

function convert(spec: OptionSpec, flag: string, raw: string): string | number | string[] {
  switch (spec.type) {
    case 'int': {
      if (!/^-?\d+$/.test(raw)) throw new UsageError(`--${flag} expects an integer, got "${raw}"`);
      const v = Number(raw);
      if (spec.min !== undefined && v < spec.min) throw new UsageError(`--${flag} must be >= ${spec.min}, got ${v}`);
      return v;
    }
    case 'number': {
      const v = Number(raw);
      if (raw.trim() === '' || !Number.isFinite(v)) throw new UsageError(`--${flag} expects a number, got "${raw}"`);
      if (spec.min !== undefined && v < spec.min) throw new UsageError(`--${flag} must be >= ${spec.min}, got ${v}`);
      return v;
    }
    case 'list':
      return raw.split(',').map((s) => s.trim()).filter((s) => s.length > 0);
    default:
      if (spec.choices && !spec.choices.includes(raw)) {
        throw new UsageError(`--${flag} must be one of ${spec.choices.join(', ')}, got "${raw}"`);
      }
      return raw;
  }
}

/** Parses argv for one command; options come back camel-cased with defaults applied. */
export function parseArgs(spec: CommandSpec, argv: string[]): { options: ParsedOptions; positionals: string[]; help: boolean } {
  const options: ParsedOptions = {};
  const positionals: string[] = [];
  let help = false;
  for (let i = 0; i < argv.length; i++) {
    const arg = argv[i];
    if (arg === '--help' || arg === '-h') {
      help = true;
      continue;
    }
    if (arg.startsWith('--')) {
      const eq = arg.indexOf('=');
      const flag = eq >= 0 ? arg.slice(2, eq) : arg.slice(2);
      const opt = spec.options[flag];
      if (!opt) {
        throw new UsageError(`unknown option --${flag} for "wsol ${spec.name}" (see wsol ${spec.name} --help)`);
      }
      if (opt.type === 'boolean') {
        if (eq >= 0) throw new UsageError(`--${flag} takes no value`);
        options[toCamel(flag)] = true;
        continue;
      }
      const raw = eq >= 0 ? arg.slice(eq + 1) : argv[++i];
      if (raw === undefined || (eq < 0 && raw.startsWith('--'))) throw new UsageError(`--${flag} needs a value`);
      options[toCamel(flag)] = convert(opt, flag, raw);
      continue;
    }
    if (!spec.positionals) throw new UsageError(`unexpected argument "${arg}" for "wsol ${spec.name}"`);
    positionals.push(arg);
  }
  for (const [flag, opt] of Object.entries(spec.options)) {
    const key = toCamel(flag);
    if (options[key] === undefined && opt.default !== undefined) options[key] = opt.default;
  }
  if (!help && spec.positionals?.min && positionals.length < spec.positionals.min) {
    throw new UsageError(`"wsol ${spec.name}" needs at least ${spec.positionals.min} ${spec.positionals.name}`);
  }
  return { options, positionals, help };
}

/** The --help text of one command. */
export function formatHelp(spec: CommandSpec): string {
  const lines = [`wsol ${spec.name}: ${spec.summary}`, '', `usage: ${spec.usage}`, '', 'options:'];
  for (const [flag, opt] of Object.entries(spec.options)) {
    const value = opt.type === 'boolean' ? '' : ` <${opt.choices ? opt.choices.join('|') : opt.type}>`;
    const def = opt.default !== undefined && opt.type !== 'boolean' ? ` (default: ${String(opt.default)})` : '';
    lines.push(`  --${flag}${value}`.padEnd(34) + ` ${opt.description}${def}`);
  }
  lines.push('  --help'.padEnd(34) + ' show this help');
  return lines.join('\n');
}
