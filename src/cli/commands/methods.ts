import { methodOptionList } from '../../method/method-options';
import { METHODS } from '../../method/registry';
import type { Command } from '../command';

/** Rows padded to their widest cell (the last column is left as is). */
function table(rows: string[][]): string[] {
  const widths = rows[0].map((_, i) => Math.max(...rows.map((r) => r[i].length)));
  return rows.map((r) => r.map((c, i) => (i === r.length - 1 ? c : c.padEnd(widths[i]))).join('  ').trimEnd());
}

export const methodsCommand: Command = {
  spec: {
    name: 'methods',
    summary: 'list every method, and every method option with its default (set one with wsol train --set OPTION=VALUE)',
    usage: 'wsol methods [--json]',
    options: { json: { type: 'boolean', description: 'print one JSON object' } },
  },
  async run(options) {
    const methods = Object.entries(METHODS).map(([id, m]) => ({ id, description: m.description }));
    const opts = methodOptionList();
    if (options.json) {
      process.stdout.write(JSON.stringify({ methods, options: opts }, null, 2) + '\n');
      return 0;
    }
    const lines = [
      'methods (wsol train --method ID):',
      ...table(methods.map((m) => [`  ${m.id}`, m.description])),
      '',
      'options (wsol train --set OPTION=VALUE, repeatable; methods that do not read an option ignore it):',
      ...table([['  option', 'type', 'default', 'used by', 'meaning'], ...opts.map((o) => [`  ${o.path}`, o.kind, o.default, o.usedBy, o.description])]),
    ];
    process.stdout.write(lines.join('\n') + '\n');
    return 0;
  },
};
