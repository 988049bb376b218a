/**
 * The method options a training run may set (`TrainConfig.methodOptions`, `wsol train --set`),
 * listed for `wsol methods`. Everything here is read off the option tables of method-config.ts and
 * the method registry (which methods read which group), so a new option or method appears by itself.
 */
import { OPTION_GROUPS, type OptionGroup } from './method-config';
import type { MethodOptions } from './model-config';
import { kindOf, type OptionKind, type OptionSpec } from './option-spec';
import { methodsReading } from './registry';

export type { MethodOptions } from './model-config';
export type { OptionKind } from './option-spec';

export interface MethodOptionInfo {
  /** Dotted path, as `--set` takes it: `loss.lambdaFuse`, `tinyWidth`. */
  path: string;
  group: OptionGroup;
  kind: OptionKind;
  /** The default as text (some depend on the backbone). */
  default: string;
  /** The methods that read it. */
  usedBy: string[];
  description: string;
}

function shown(v: unknown): string {
  return Array.isArray(v) ? v.map((x: number) => +x.toFixed(4)).join(',') : String(v);
}

/** Every option, group by group, in the order `wsol methods` prints them. */
export function methodOptionList(): MethodOptionInfo[] {
  return (Object.entries(OPTION_GROUPS) as [OptionGroup, (typeof OPTION_GROUPS)[OptionGroup]][]).flatMap(([group, g]) => {
    const usedBy = methodsReading(group);
    return (Object.entries(g.options) as [string, OptionSpec<unknown>][]).map(([k, spec]) => ({
      path: g.prefix ? `${g.prefix}.${k}` : k,
      group,
      kind: kindOf(spec.default),
      default: spec.defaultText ?? shown(spec.default),
      usedBy,
      description: spec.description,
    }));
  });
}

function parseValue(info: MethodOptionInfo, raw: string, where: string): unknown {
  switch (info.kind) {
    case 'number': {
      const v = Number(raw);
      if (raw.trim() === '' || !Number.isFinite(v)) throw new Error(`${where}: ${info.path} expects a number, got "${raw}"`);
      return v;
    }
    case 'boolean':
      if (raw !== 'true' && raw !== 'false') throw new Error(`${where}: ${info.path} expects true or false, got "${raw}"`);
      return raw === 'true';
    case 'numbers': {
      const vs = raw.split(',').map((s) => Number(s));
      if (raw.trim() === '' || vs.some((v) => !Number.isFinite(v))) throw new Error(`${where}: ${info.path} expects comma-separated numbers, got "${raw}"`);
      return vs;
    }
    default:
      return raw;
  }
}

/**
 * Applies `path=value` (e.g. `loss.lambdaFuse=0.5`) to a copy of `options`. Errors name `where`
 * (the flag, e.g. `--set`) and the option; values are checked further when the model is built.
 */
export function setMethodOption(options: MethodOptions, assignment: string, where = '--set'): MethodOptions {
  const eq = assignment.indexOf('=');
  if (eq <= 0) throw new Error(`${where} expects <option>=<value> (e.g. loss.lambdaFuse=0.5), got "${assignment}"`);
  const path = assignment.slice(0, eq).trim();
  const info = methodOptionList().find((o) => o.path === path);
  if (!info) throw new Error(`${where}: unknown method option "${path}" (wsol methods lists them all)`);
  const value = parseValue(info, assignment.slice(eq + 1).trim(), where);
  const dot = path.indexOf('.');
  const out: Record<string, unknown> = { ...options };
  if (dot < 0) out[path] = value;
  else {
    const [head, key] = [path.slice(0, dot), path.slice(dot + 1)];
    out[head] = { ...((out[head] as object | undefined) ?? {}), [key]: value };
  }
  return out as MethodOptions;
}
