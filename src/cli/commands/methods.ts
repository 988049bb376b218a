import { methodOptionList } from '../../method/method-options';
import { METHODS } from '../../method/registry';
import type { Command } from '../command';

/** Rows padded to their widest cell (the last column is left as is). */
function table(rows: string[][]): string[] {
  const widths = rows[0].map((_, i) => Math.max(...rows.map((r) => r[i].length)));
  return rows.map((r) => r.map((c, i) => (i === r.length - 1 ? c : c.padEnd(widths[i]))).join('  ').trimEnd());
}

/** `loss.lambdaFuse=0, loss.fusion=two-pass`: the options a method fixes, as --set would write them. */
function fixedText(fixed: object | undefined, prefix = ''): string[] {
  return Object.entries(fixed ?? {}).flatMap(([k, v]) =>
    typeof v === 'object' && !Array.isArray(v) ? fixedText(v as object, `${prefix}${k}.`) : [`${prefix}${k}=${String(v)}`],
  );
}

export const methodsCommand: Command = {
  spec: {
    name: 'methods',
    summary: 'list every method, and every method option with its default (set one with wsol train --set OPTION=VALUE)',
    usage: 'wsol methods [--json]',
    options: { json: { type: 'boolean', description: 'print one JSON object' } },
  },
  async run(options) {
    const methods = Object.entries(METHODS).map(([id, m]) => ({
      id,
      role: m.role,
      description: m.description,
      reads: ['backbone', ...m.reads],
      fixed: fixedText(m.fixed),
    }));
    const opts = methodOptionList();
    if (options.json) {
      process.stdout.write(JSON.stringify({ methods, options: opts }, null, 2) + '\n');
      return 0;
    }
    const groups = [...new Set(opts.map((o) => o.group))];
    const lines = [
      'methods (wsol train --method ID):',
      ...table(methods.map((m) => [`  ${m.id}`, m.role, `${m.description}${m.fixed.length ? ` [fixes ${m.fixed.join(', ')}]` : ''}`])),
      '',
      'options (wsol train --set OPTION=VALUE, repeatable; methods that do not read an option ignore it):',
      ...groups.flatMap((g) => {
        const mine = opts.filter((o) => o.group === g);
        return [
          '',
          `  ${g}: read by ${mine[0].usedBy.length === methods.length ? 'every method' : mine[0].usedBy.join(', ')}`,
          ...table([['    option', 'type', 'default', 'meaning'], ...mine.map((o) => [`    ${o.path}`, o.kind, o.default, o.description])]),
        ];
      }),
    ];
    process.stdout.write(lines.join('\n') + '\n');
    return 0;
  },
};
