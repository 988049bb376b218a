/**
 * Command-line options: Node's `util.parseArgs` splits the arguments (`--flag value`, `--flag=value`,
 * `-h`, `--`); this module declares each option's type and range, and turns unknown options and
 * bad values into errors that name the option.
 */
import { parseArgs as splitArgs } from 'util';

/** 'list': comma-separated values; 'strings': a string option that may be given several times. */
export type OptionType = 'string' | 'int' | 'number' | 'boolean' | 'list' | 'strings';

export interface OptionSpec {
  type: OptionType;
  description: string;
  default?: string | number | boolean | string[];
  /** Allowed values for string options. */
  choices?: readonly string[];
  min?: number;
  max?: number;
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

function inRange(spec: OptionSpec, flag: string, v: number, raw: string): number {
  if (spec.min !== undefined && v < spec.min) throw new UsageError(`--${flag} must be >= ${spec.min}, got ${raw}`);
  if (spec.max !== undefined && v > spec.max) throw new UsageError(`--${flag} must be <= ${spec.max}, got ${raw}`);
  return v;
}

function convert(spec: OptionSpec, flag: string, raw: string): string | number | string[] {
  switch (spec.type) {
    case 'int': {
      if (!/^-?\d+$/.test(raw)) throw new UsageError(`--${flag} expects an integer, got "${raw}"`);
      return inRange(spec, flag, Number(raw), raw);
    }
    case 'number': {
      const v = Number(raw);
      if (raw.trim() === '' || !Number.isFinite(v)) throw new UsageError(`--${flag} expects a number, got "${raw}"`);
      return inRange(spec, flag, v, raw);
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
  const declared = Object.fromEntries(
    Object.entries(spec.options).map(([flag, o]) => [flag, { type: o.type === 'boolean' ? ('boolean' as const) : ('string' as const), multiple: o.type === 'strings' }]),
  );
  // strict: false hands every token back, so the checks below can word the errors.
  const { values, positionals, tokens } = splitArgs({
    args: argv,
    options: { ...declared, help: { type: 'boolean', short: 'h' } },
    allowPositionals: true,
    strict: false,
    tokens: true,
  });
  for (const t of tokens) {
    if (t.kind !== 'option' || t.name === 'help') continue;
    const opt = spec.options[t.name];
    if (!opt) throw new UsageError(`unknown option ${t.rawName} for "wsol ${spec.name}" (see wsol ${spec.name} --help)`);
    if (opt.type === 'boolean' && t.value !== undefined) throw new UsageError(`--${t.name} takes no value`);
    if (opt.type !== 'boolean' && (t.value === undefined || (!t.inlineValue && t.value.startsWith('--')))) {
      throw new UsageError(`--${t.name} needs a value`);
    }
  }
  if (!spec.positionals && positionals.length > 0) throw new UsageError(`unexpected argument "${positionals[0]}" for "wsol ${spec.name}"`);
  const options: ParsedOptions = {};
  for (const [flag, opt] of Object.entries(spec.options)) {
    const v = values[flag];
    const key = toCamel(flag);
    if (v === undefined) options[key] = opt.default;
    else if (opt.type === 'boolean' || opt.type === 'strings') options[key] = v as boolean | string[];
    else options[key] = convert(opt, flag, v as string);
  }
  for (const key of Object.keys(options)) if (options[key] === undefined) delete options[key];
  const help = values.help === true;
  if (!help && spec.positionals?.min && positionals.length < spec.positionals.min) {
    throw new UsageError(`"wsol ${spec.name}" needs at least ${spec.positionals.min} ${spec.positionals.name}`);
  }
  return { options, positionals, help };
}

/** The --help text of one command. */
export function formatHelp(spec: CommandSpec): string {
  const lines = [`wsol ${spec.name}: ${spec.summary}`, '', `usage: ${spec.usage}`, '', 'options:'];
  for (const [flag, opt] of Object.entries(spec.options)) {
    const value = opt.type === 'boolean' ? '' : ` <${opt.choices ? opt.choices.join('|') : opt.type === 'strings' ? 'string' : opt.type}>`;
    const again = opt.type === 'strings' ? ' (repeatable)' : '';
    const def = opt.default !== undefined && opt.type !== 'boolean' ? ` (default: ${String(opt.default)})` : '';
    lines.push(`  --${flag}${value}`.padEnd(34) + ` ${opt.description}${again}${def}`);
  }
  lines.push('  --help'.padEnd(34) + ' show this help');
  return lines.join('\n');
}
