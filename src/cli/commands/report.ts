import * as fs from 'fs';
import { comparisonMarkdown, resultsMarkdown, type ResultRow, type ResultsFile } from '../../train/reproduce';
import type { Command } from '../command';

/** Merges results.json files (several machines or seeds) into one table and the comparison with CAM. */
export const reportCommand: Command = {
  spec: {
    name: 'report',
    summary: 'merge reproduce results.json files into one mean ± std table and the comparison with CAM',
    usage: 'wsol report RESULTS.json [RESULTS.json ...] [--method ours]',
    options: {
      method: { type: 'string', description: 'the method compared with CAM and the baselines', default: 'ours' },
    },
    positionals: { name: 'results.json files', min: 1 },
  },
  async run(options, positionals) {
    const rows: ResultRow[] = [];
    for (const file of positionals) {
      let parsed: ResultsFile;
      try {
        parsed = JSON.parse(fs.readFileSync(file, 'utf8')) as ResultsFile;
      } catch (e) {
        throw new Error(`${file}: not a readable results.json (${(e as Error).message})`);
      }
      if (!Array.isArray(parsed.rows)) throw new Error(`${file}: no "rows" array`);
      rows.push(...parsed.rows);
    }
    process.stdout.write(resultsMarkdown(rows) + '\n' + comparisonMarkdown(rows, options.method as string) + '\n');
    return 0;
  },
};
