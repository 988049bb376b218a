import * as path from 'path';
import { initBackend } from '../../backend/select';
import { formatEpoch, formatProgress } from '../../train/progress';
import {
  ABLATIONS,
  BASELINE_METHODS,
  MORE_ABLATIONS,
  QUICK_METHODS,
  REPRODUCE_FILES,
  comparisonMarkdown,
  defaultBudget,
  parseShard,
  reproduce,
  resultsMarkdown,
  runMatrix,
  shardRuns,
} from '../../train/reproduce';
import { MAX_SEED } from '../../train/config';
import { UsageError } from '../args';
import type { Command } from '../command';
import { checkedList, datasetSpecs } from '../dataset-specs';
import { TRAINING_OPTIONS, trainConfigFromOptions } from '../training-options';

export const reproduceCommand: Command = {
  spec: {
    name: 'reproduce',
    summary: 'train CAM, HaS, ACoL, ADL and ours (+ ablations) with identical budgets and write a results table',
    usage: 'wsol reproduce [--quick] [--dataset D ...] [--seeds 1,2,3] [--shard K/N] [--out DIR]',
    options: {
      quick: { type: 'boolean', description: 'the five main methods, small budget (minutes); the maps are untrained' },
      'all-ablations': { type: 'boolean', description: `also ${MORE_ABLATIONS.join(', ')}` },
      dataset: {
        type: 'strings',
        description: 'a dataset spec (parts, fashion-clutter, cub[:DIR], folder:META,IMAGES; a comma inside a path is written \\,); built-in names may be comma-separated',
        default: ['parts'],
      },
      methods: { type: 'list', description: 'override the method list' },
      seeds: { type: 'list', description: 'seeds, comma-separated', default: ['1'] },
      shard: { type: 'string', description: 'run only slice K of N of the (dataset, seed, method) matrix (K from 1), e.g. for a job array; merge with wsol report' },
      out: { type: 'string', description: 'output directory (refused when it holds other files, unless --overwrite)', default: 'out/reproduce' },
      overwrite: { type: 'boolean', description: 'write into a folder that holds other files (they are kept; same-named ones are replaced)' },
      ...TRAINING_OPTIONS,
    },
  },
  async run(options) {
    const quick = options.quick === true;
    const datasets = datasetSpecs(options.dataset as string[]);
    const seeds = checkedList(
      (options.seeds as string[]).map((s) => {
        if (!/^\d+$/.test(s) || Number(s) > MAX_SEED) throw new UsageError(`--seeds expects integers in 0..${MAX_SEED}, got "${s}"`);
        return Number(s);
      }),
      '--seeds',
    );
    const methods = checkedList(
      (options.methods as string[] | undefined) ??
        (quick ? QUICK_METHODS : [...QUICK_METHODS, ...ABLATIONS, ...(options['all-ablations'] === true ? MORE_ABLATIONS : [])]),
      '--methods',
    );
    let shard = null;
    if (options.shard !== undefined) {
      try {
        shard = parseShard(options.shard as string);
      } catch (e) {
        throw new UsageError(`--shard: ${(e as Error).message}`);
      }
      const runs = shardRuns(runMatrix(datasets, methods, seeds), shard).length;
      if (runs === 0) throw new UsageError(`--shard ${shard.index}/${shard.count}: the matrix has only ${datasets.length * methods.length * seeds.length} runs, so this shard has none`);
    }
    const train = { ...defaultBudget(quick), ...trainConfigFromOptions(options) };
    await initBackend();
    const outDir = options.out as string;
    const tty = process.stderr.isTTY;
    const started = Date.now();
    const results = await reproduce({
      quick,
      datasets,
      methods,
      seeds,
      outDir,
      train,
      shard,
      overwrite: options.overwrite === true,
      callbacks: (method, dataset, seed) => ({
        onLog: (line) => process.stderr.write(`[${method} ${dataset} seed ${seed}] ${line}\n`),
        onStep: (s) => {
          if (tty) process.stderr.write(`\r[${method}] ${formatProgress(s)}`);
        },
        onEpoch: (rec) => process.stderr.write(`${tty ? '\n' : ''}[${method} ${dataset} seed ${seed}] ${formatEpoch(rec)}\n`),
      }),
      skipBad: options.skipBad === true,
      onWarning: (m) => process.stderr.write(`warning: ${m}\n`),
      onRow: (r) => process.stderr.write(`done ${r.method} ${r.dataset} seed ${r.seed}: GT-known ${r.gtKnownLoc?.toFixed(1)} MaxBoxAccV2 ${r.maxBoxAccV2?.toFixed(1)} in ${(r.trainSeconds ?? 0).toFixed(0)} s\n`),
      onReuse: (r) => process.stderr.write(`kept ${r.method} ${r.dataset} seed ${r.seed} as stored in ${path.join(outDir, REPRODUCE_FILES.results)} (same settings)\n`),
    });
    process.stdout.write(resultsMarkdown(results.rows, { settings: results.settings }) + '\n');
    process.stdout.write(comparisonMarkdown(results.rows, 'ours', { settings: results.settings, baselines: BASELINE_METHODS }) + '\n');
    if (quick) process.stdout.write('Quick mode is a smoke run: 100 steps leave the classifiers and their maps mostly untrained; compare methods with the default budget.\n');
    if (shard) process.stdout.write(`This is shard ${shard.index} of ${shard.count} (${results.rows.length} runs); merge the shards with: wsol report <each shard's --out>/results.json\n`);
    process.stdout.write(`results: ${path.join(outDir, REPRODUCE_FILES.table)} and ${REPRODUCE_FILES.results} (${((Date.now() - started) / 1000).toFixed(0)} s)\n`);
    return 0;
  },
};
