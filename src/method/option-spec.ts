/**
 * How a method option describes itself: its default, one line for `wsol methods`, and the rule a
 * value must meet. Tables of these (method-config.ts) are the one place each option is defined:
 * the defaults, the checks, `wsol methods` and `--set` are all read off them.
 */

/** What a value must be; `accepts` says it in words for the error ("must be in (0, 1)"). */
export interface OptionRule {
  accepts: string;
  test(v: unknown): boolean;
}

export interface OptionSpec<T> {
  default: T;
  description: string;
  rule: OptionRule;
  /** The default as `wsol methods` shows it, where it depends on other options. */
  defaultText?: string;
}

/** One spec for every field of a config type: a field without a spec does not type-check. */
export type OptionTable<C> = { [K in keyof C]-?: OptionSpec<C[K]> };

const isNumber = (v: unknown): v is number => typeof v === 'number' && Number.isFinite(v);

export const rules = {
  positiveInteger: { accepts: 'must be a positive integer', test: (v: unknown) => Number.isInteger(v) && (v as number) >= 1 },
  nonNegativeInteger: { accepts: 'must be an integer >= 0', test: (v: unknown) => Number.isInteger(v) && (v as number) >= 0 },
  nonNegative: { accepts: 'must be >= 0', test: (v: unknown) => isNumber(v) && v >= 0 },
  finite: { accepts: 'must be a finite number', test: isNumber },
  boolean: { accepts: 'must be true or false', test: (v: unknown) => typeof v === 'boolean' },
  /** In (lo, hi), ends excluded. */
  between: (lo: number, hi: number): OptionRule => ({ accepts: `must be in (${lo}, ${hi})`, test: (v) => isNumber(v) && v > lo && v < hi }),
  /** In [lo, hi], ends included. */
  within: (lo: number, hi: number): OptionRule => ({ accepts: `must be in [${lo}, ${hi}]`, test: (v) => isNumber(v) && v >= lo && v <= hi }),
  /** In [lo, hi). */
  from: (lo: number, hi: number): OptionRule => ({ accepts: `must be in [${lo}, ${hi})`, test: (v) => isNumber(v) && v >= lo && v < hi }),
  oneOf: (...choices: string[]): OptionRule => ({ accepts: `must be ${choices.map((c) => `'${c}'`).join(' or ')}`, test: (v) => choices.includes(v as string) }),
  positiveList: { accepts: 'must be a non-empty list of numbers > 0', test: (v: unknown) => Array.isArray(v) && v.length > 0 && v.every((x) => isNumber(x) && x > 0) },
} satisfies Record<string, OptionRule | ((...a: never[]) => OptionRule)>;

export function defaultsOf<C>(table: OptionTable<C>): C {
  const out: Record<string, unknown> = {};
  for (const [k, spec] of Object.entries(table) as [string, OptionSpec<unknown>][]) out[k] = spec.default;
  return out as C;
}

/**
 * `given` over the table's defaults, every key known and every value checked. Errors name the option
 * by its dotted path (`loss.lambdaFuse`).
 */
export function resolveOptions<C>(prefix: string, table: OptionTable<C>, given: Partial<C> | undefined): C {
  const at = (k: string) => (prefix ? `${prefix}.${k}` : k);
  for (const k of Object.keys(given ?? {})) {
    if (!Object.hasOwn(table, k)) throw new Error(`model config: unknown option ${at(k)}; known: ${Object.keys(table).map(at).join(', ')}`);
  }
  const out = { ...defaultsOf(table), ...(given ?? {}) } as C;
  for (const [k, spec] of Object.entries(table) as [string, OptionSpec<unknown>][]) {
    const v = (out as Record<string, unknown>)[k];
    if (!spec.rule.test(v)) throw new Error(`model config: ${at(k)} ${spec.rule.accepts}, got ${Array.isArray(v) ? `[${v.join(', ')}]` : String(v)}`);
  }
  return out;
}

export type OptionKind = 'number' | 'boolean' | 'string' | 'numbers';

export function kindOf(v: unknown): OptionKind {
  if (Array.isArray(v)) return 'numbers';
  if (typeof v === 'boolean') return 'boolean';
  return typeof v === 'number' ? 'number' : 'string';
}
