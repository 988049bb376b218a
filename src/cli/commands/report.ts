import * as fs from 'fs';
import { writeFileAtomic } from '../../common/atomic-write';
import { BASELINE_METHODS, METHOD_ORDER } from '../../train/reproduce';
import { beginMarker, findSection, replaceSection, resultsSection, SECTION_END, type SectionOptions } from '../../train/results-document';
import { readResultsFile } from '../../train/results-file';
import { mergeResults, type ResultSet } from '../../train/results-set';
import { UsageError } from '../args';
import type { Command } from '../command';
import { datasetSpecs } from '../dataset-specs';

/** Reads, checks and merges results files; `datasets` keeps only those (each must be present). */
export function loadResultSet(files: readonly string[], datasets?: readonly string[]): ResultSet {
  const set = mergeResults(files.map(readResultsFile), { methodOrder: METHOD_ORDER });
  if (!datasets) return set;
  const missing = datasets.filter((d) => !set.rows.some((r) => r.dataset === d));
  if (missing.length > 0) throw new UsageError(`--dataset: no rows for ${missing.map((d) => `"${d}"`).join(', ')} in the files given`);
  return { ...set, rows: set.rows.filter((r) => datasets.includes(r.dataset)) };
}

/**
 * The Markdown file `file` with its marked section regenerated (a new file when it does not exist
 * and `create`). Without `methods`, the ones its section names are compared (else ours).
 */
export function regenerated(file: string, set: ResultSet, opts: Omit<SectionOptions, 'methods'> & { methods?: readonly string[] }, create: boolean): { before: string | null; after: string } {
  const before = fs.existsSync(file) ? fs.readFileSync(file, 'utf8') : null;
  if (before === null && !create) throw new Error(`${file} does not exist`);
  const recorded = before !== null ? findSection(before, file)?.methods : undefined;
  const methods = opts.methods ?? (recorded && recorded.length > 0 ? recorded : DEFAULT_COMPARED);
  const body = resultsSection(set, { ...opts, methods });
  if (before === null) return { before, after: `${beginMarker(methods)}\n${body.trimEnd()}\n${SECTION_END}\n` };
  return { before, after: replaceSection(before, file, body, methods) };
}

const DEFAULT_COMPARED = ['ours'];

/** Merges results.json files (shards, several machines or seeds) into one table and the comparison with CAM. */
export const reportCommand: Command = {
  spec: {
    name: 'report',
    summary: 'check and merge reproduce results.json files into mean ± std tables and the comparison with CAM',
    usage: 'wsol report RESULTS.json [RESULTS.json ...] [--method ours] [--dataset D ...] [--readme README.md] [--out summary.md] [--check]',
    options: {
      method: { type: 'strings', description: 'a method compared with CAM and the baselines (default: the ones the file\'s section names, else ours)' },
      dataset: { type: 'strings', description: 'report only this dataset spec (as in wsol reproduce)' },
      readme: { type: 'string', description: 'rewrite the main tables between the "<!-- wsol report begin -->" and "<!-- wsol report end -->" lines of this Markdown file' },
      out: { type: 'string', description: 'write every table and seed to this Markdown file (only its marked section when it has one; a new file is created)' },
      check: { type: 'boolean', description: 'with --readme or --out: write nothing; exit 1 when the file differs from what the results give' },
    },
    positionals: { name: 'results.json files', min: 1 },
  },
  async run(options, positionals) {
    const datasets = options.dataset !== undefined ? datasetSpecs(options.dataset as string[]) : undefined;
    const set = loadResultSet(positionals, datasets);
    if (set.legacyFiles.length > 0) {
      process.stderr.write(
        `note: ${set.legacyFiles.length} of ${positionals.length} files have no results version (written before settings digests); ` +
          'their settings digest is computed from the overrides they store, so their rows group only with rows that stored the same overrides\n',
      );
    }
    const methods = options.method as string[] | undefined;
    const targets: [string, Omit<SectionOptions, 'methods'> & { methods?: string[] }, boolean][] = [];
    if (options.readme !== undefined) targets.push([options.readme as string, { methods, style: 'compact', baselines: BASELINE_METHODS }, false]);
    if (options.out !== undefined) targets.push([options.out as string, { methods, style: 'full', baselines: BASELINE_METHODS }, true]);
    if (targets.length === 0) {
      if (options.check === true) throw new UsageError('--check needs --readme or --out');
      process.stdout.write(resultsSection(set, { methods: methods ?? DEFAULT_COMPARED, style: 'full', baselines: BASELINE_METHODS }));
      return 0;
    }
    let stale = 0;
    for (const [file, opts, create] of targets) {
      if (file.endsWith('.json')) throw new UsageError(`${file}: --readme and --out write Markdown; give a .md file`);
      const { before, after } = regenerated(file, set, opts, create);
      if (options.check === true) {
        if (before !== after) {
          stale++;
          process.stderr.write(`${file}: its results section differs from what the results files give (run the same command without --check to rewrite it)\n`);
        } else process.stdout.write(`${file}: up to date\n`);
      } else {
        writeFileAtomic(file, after);
        process.stdout.write(`${file}: ${before === after ? 'already up to date' : 'results section rewritten'}\n`);
      }
    }
    return stale > 0 ? 1 : 0;
  },
};
