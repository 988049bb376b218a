/**
 * Options of the stand-alone benchmark scripts (evaluator-benchmark.ts, pipeline-benchmark.ts),
 * read with Node's util.parseArgs in strict mode: an unknown option or a missing value is an error
 * that names it. Values are checked here, with the option's name in the message.
 */
import { parseArgs } from 'util';

export type ScriptOption = { type: 'int'; default: number } | { type: 'boolean' } | { type: 'choice'; choices: readonly string[]; default: string };

type Values<S extends Record<string, ScriptOption>> = {
  [K in keyof S]: S[K] extends { type: 'int' } ? number : S[K] extends { type: 'boolean' } ? boolean : string;
};

/** Parses `argv` against `spec`; throws an Error naming the option for anything it cannot take. */
export function parseScriptOptions<S extends Record<string, ScriptOption>>(spec: S, argv: string[]): Values<S> {
  const options = Object.fromEntries(Object.entries(spec).map(([name, o]) => [name, { type: o.type === 'boolean' ? ('boolean' as const) : ('string' as const) }]));
  const { values } = parseArgs({ args: argv, options, strict: true, allowPositionals: false });
  const out: Record<string, number | boolean | string> = {};
  for (const [name, o] of Object.entries(spec)) {
    const raw = values[name];
    if (o.type === 'boolean') out[name] = raw === true;
    else if (raw === undefined) out[name] = o.default;
    else if (o.type === 'int') {
      const v = Number(raw);
      if (!/^\d+$/.test(String(raw)) || v <= 0) throw new Error(`--${name} needs a positive integer, got '${String(raw)}'`);
      out[name] = v;
    } else {
      if (!o.choices.includes(String(raw))) throw new Error(`--${name} must be one of ${o.choices.join(', ')}, got '${String(raw)}'`);
      out[name] = String(raw);
    }
  }
  return out as Values<S>;
}
