import { listCatalog, prepareEntry } from '../../data/catalog';
import { UsageError } from '../args';
import type { Command } from '../command';

function progressLine(label: string, done: number, total: number | null): string {
  const mb = (n: number) => (n / 1e6).toFixed(1);
  return total ? `\r${label}: ${mb(done)} / ${mb(total)} MB (${((100 * done) / total).toFixed(1)}%)` : `\r${label}: ${mb(done)} MB`;
}

export const dataCommand: Command = {
  spec: {
    name: 'data',
    summary: 'list datasets and weights (present or not, where) or prepare one: generate, verify, download',
    usage: 'wsol data list [--json] | wsol data prepare <parts|fashion-clutter|cub|vgg16> [--data-root DIR] [--url URL]',
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
    if (sub === 'list') {
      if (name) throw new UsageError(`"wsol data list" takes no argument, got "${name}"`);
      const entries = listCatalog({ dataRoot });
      if (options.json) {
        process.stdout.write(JSON.stringify(entries, null, 2) + '\n');
        return 0;
      }
      const rows = entries.map((e) => [e.name, e.kind, e.classes ? String(e.classes) : '-', e.sizes, e.present ? 'present' : 'absent', e.where]);
      const head = ['name', 'kind', 'classes', 'sizes', 'status', 'where'];
      const widths = head.map((h, i) => Math.max(h.length, ...rows.map((r) => r[i].length)));
      const line = (r: string[]) => r.map((c, i) => (i === r.length - 1 ? c : c.padEnd(widths[i]))).join('  ');
      process.stdout.write([line(head), ...rows.map(line)].join('\n') + '\n');
      process.stdout.write(`\nfolder:<metadata dir>,<image root> opens any dataset in wsolevaluation's metadata format (see docs/data.md).\n`);
      return 0;
    }
    if (sub === 'prepare') {
      if (!name) throw new UsageError('"wsol data prepare" needs a name: parts, fashion-clutter, cub or vgg16');
      if (extra.length) throw new UsageError(`unexpected argument "${extra[0]}"`);
      const key = name === 'cub' ? 'cub' : name === 'vgg16' ? 'vgg16' : null;
      if (options.url && !key) throw new UsageError(`--url applies to cub and vgg16, not "${name}"`);
      let last = 0;
      const summary = await prepareEntry(name, {
        dataRoot,
        urls: options.url && key ? { [key]: options.url as string } : undefined,
        keepArchive: Boolean(options.keepArchive),
        onLog: (m) => process.stderr.write(`${m}\n`),
        onProgress: (label, done, total) => {
          const now = Date.now();
          if (now - last < 500 && done !== total) return;
          last = now;
          process.stderr.write(progressLine(label, done, total) + (done === total ? '\n' : ''));
        },
      });
      process.stdout.write(summary + '\n');
      return 0;
    }
    throw new UsageError(`unknown subcommand "${sub}": use "wsol data list" or "wsol data prepare <name>"`);
  },
};
