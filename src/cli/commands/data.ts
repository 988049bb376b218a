import { DATASETS } from '../../data/datasets';
import { WEIGHT_FILES } from '../../weights/weight-files';
import type { PrepareOptions } from '../../data/remote-file';
import { UsageError } from '../args';
import type { Command } from '../command';

function progressLine(label: string, done: number, total: number | null): string {
  const mb = (n: number) => (n / 1e6).toFixed(1);
  return total ? `\r${label}: ${mb(done)} / ${mb(total)} MB (${((100 * done) / total).toFixed(1)}%)` : `\r${label}: ${mb(done)} MB`;
}

/** `a, b and c` (or `or`). */
function inWords(items: string[], last: 'and' | 'or'): string {
  return items.length < 2 ? items.join('') : `${items.slice(0, -1).join(', ')} ${last} ${items[items.length - 1]}`;
}

/** What `wsol data` can list and prepare: the datasets with files of their own, then the weight files. */
function preparable() {
  return [
    ...DATASETS.filter((d) => d.locate && d.prepare).map((d) => ({
      name: d.name,
      kind: d.kind,
      classes: d.classes,
      sizes: d.sizes,
      description: d.description,
      download: d.download,
      locate: d.locate!,
      prepare: d.prepare!,
    })),
    ...WEIGHT_FILES.map((w) => ({ ...w, kind: 'weights' as const, classes: null, sizes: '-' })),
  ];
}

export const dataCommand: Command = {
  spec: {
    name: 'data',
    summary: 'list datasets and weights (present or not, where) or prepare one: generate, verify, download',
    usage: `wsol data list [--json] | wsol data prepare <${preparable().map((e) => e.name).join('|')}> [--data-root DIR] [--url URL]`,
    options: {
      'data-root': { type: 'string', description: 'where downloaded data lives', default: 'data' },
      url: { type: 'string', description: 'download from this URL instead of the official one (a mirror)' },
      'keep-archive': { type: 'boolean', description: 'keep CUB_200_2011.tgz after extracting it' },
      json: { type: 'boolean', description: 'print JSON (list)' },
    },
    positionals: { name: 'subcommand (list | prepare <name>)', min: 1 },
  },
  async run(options, positionals) {
    const [sub, name, ...extra] = positionals;
    const dataRoot = options.dataRoot as string;
    const entries = preparable();
    if (sub === 'list') {
      if (name) throw new UsageError(`"wsol data list" takes no argument, got "${name}"`);
      const listed = entries.map((e) => ({ name: e.name, kind: e.kind, classes: e.classes, sizes: e.sizes, ...e.locate(dataRoot), note: e.description }));
      if (options.json) {
        process.stdout.write(JSON.stringify(listed, null, 2) + '\n');
        return 0;
      }
      const rows = listed.map((e) => [e.name, e.kind, e.classes ? String(e.classes) : '-', e.sizes, e.present ? 'present' : 'absent', e.where]);
      const head = ['name', 'kind', 'classes', 'sizes', 'status', 'where'];
      const widths = head.map((h, i) => Math.max(h.length, ...rows.map((r) => r[i].length)));
      const line = (r: string[]) => r.map((c, i) => (i === r.length - 1 ? c : c.padEnd(widths[i]))).join('  ');
      process.stdout.write([line(head), ...rows.map(line)].join('\n') + '\n\n');
      for (const d of DATASETS.filter((x) => !x.locate)) process.stdout.write(`${d.spec} opens ${d.description}.\n`);
      return 0;
    }
    if (sub === 'prepare') {
      const names = entries.map((e) => e.name);
      if (!name) throw new UsageError(`"wsol data prepare" needs a name: ${inWords(names, 'or')}`);
      if (extra.length) throw new UsageError(`unexpected argument "${extra[0]}"`);
      const entry = entries.find((e) => e.name === name);
      if (!entry) throw new Error(`unknown data entry "${name}"; known: ${names.join(', ')}`);
      if (options.url && !entry.download) {
        throw new UsageError(`--url applies to ${inWords(entries.filter((e) => e.download).map((e) => e.name), 'and')}, not "${name}"`);
      }
      let last = 0;
      const prepare: PrepareOptions = {
        dataRoot,
        urls: options.url && entry.download ? { [entry.download]: options.url as string } : undefined,
        keepArchive: Boolean(options.keepArchive),
        onLog: (m) => process.stderr.write(`${m}\n`),
        onProgress: (label, done, total) => {
          const now = Date.now();
          if (now - last < 500 && done !== total) return;
          last = now;
          process.stderr.write(progressLine(label, done, total) + (done === total ? '\n' : ''));
        },
      };
      process.stdout.write((await entry.prepare(prepare)) + '\n');
      return 0;
    }
    throw new UsageError(`unknown subcommand "${sub}": use "wsol data list" or "wsol data prepare <name>"`);
  },
};
