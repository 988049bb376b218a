import * as path from 'path';
import { initBackend } from '../../backend/select';
import { formatEpoch, formatProgress } from '../../train/progress';
import { ABLATIONS, MORE_ABLATIONS, QUICK_METHODS, comparisonMarkdown, defaultBudget, reproduce, resultsMarkdown } from '../../train/reproduce';
import { MAX_SEED } from '../../train/config';
import { UsageError } from '../args';
import type { Command } from '../command';
import { TRAINING_OPTIONS, trainConfigFromOptions } from '../training-options';

export const reproduceCommand: Command = {
  spec: {
    name: 'reproduce',
    summary: 'train CAM, HaS, ACoL, ADL and ours (+ ablations) with identical budgets and write a results table',
    usage: 'wsol reproduce [--quick] [--dataset D[,D2]] [--seeds 1,2,3] [--out DIR]',
    options: {
      quick: { type: 'boolean', description: 'the five main methods, small budget (minutes); the maps are untrained' },
      'all-ablations': { type: 'boolean', description: `also ${MORE_ABLATIONS.join(', ')}` },
      dataset: { type: 'list', description: 'datasets, comma-separated', default: ['parts'] },
      methods: { type: 'list', description: 'override the method list' },
      seeds: { type: 'list', description: 'seeds, comma-separated', default: ['1'] },
      out: { type: 'string', description: 'output directory', default: 'out/reproduce' },
      ...TRAINING_OPTIONS,
    },
  },
  async run(options) {
    const quick = options.quick === true;
    const seeds = (options.seeds as string[]).map((s) => {
      if (!/^\d+$/.test(s) || Number(s) > MAX_SEED) throw new UsageError(`--seeds expects integers in 0..${MAX_SEED}, got "${s}"`);
      return Number(s);
    });
    const train = { ...defaultBudget(quick), ...trainConfigFromOptions(options) };
    await initBackend();
    const methods =
      (options.methods as string[] | undefined) ??
      (quick ? QUICK_METHODS : [...QUICK_METHODS, ...ABLATIONS, ...(options['all-ablations'] === true ? MORE_ABLATIONS : [])]);
    const outDir = options.out as string;
    const tty = process.stderr.isTTY;
    const started = Date.now();
    const results = await reproduce({
      quick,
      datasets: options.dataset as string[],
      methods,
      seeds,
      outDir,
      train,
      callbacks: (method, dataset, seed) => ({
        onLog: (line) => process.stderr.write(`[${method} ${dataset} seed ${seed}] ${line}\n`),
        onStep: (s) => {
          if (tty) process.stderr.write(`\r[${method}] ${formatProgress(s)}`);
        },
        onEpoch: (rec) => process.stderr.write(`${tty ? '\n' : ''}[${method} ${dataset} seed ${seed}] ${formatEpoch(rec)}\n`),
      }),
      skipBad: options.skipBad === true,
      onWarning: (m) => process.stderr.write(`warning: ${m}\n`),
      onRow: (r) => process.stderr.write(`done ${r.method} ${r.dataset} seed ${r.seed}: GT-known ${r.gtKnownLoc?.toFixed(1)} MaxBoxAccV2 ${r.maxBoxAccV2?.toFixed(1)} in ${r.trainSeconds.toFixed(0)} s\n`),
    });
    process.stdout.write(resultsMarkdown(results.rows) + '\n' + comparisonMarkdown(results.rows) + '\n');
    if (quick) process.stdout.write('Quick mode is a smoke run: 100 steps leave the classifiers and their maps mostly untrained; compare methods with the default budget.\n');
    process.stdout.write(`results: ${path.join(outDir, 'results.md')} and results.json (${((Date.now() - started) / 1000).toFixed(0)} s)\n`);
    return 0;
  },
};
