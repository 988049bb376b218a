/**
 * The reproduction harness: trains every method with the same budget and seeds on the same
 * data, evaluates each on the test split, and builds the results table.
 *
 * The runs form a matrix (dataset x seed x method, in that order); `shard` K/N runs every N-th of
 * them starting at the K-th, so N machines (a Slurm job array, a CI matrix) can share the work and
 * `wsol report` merges their results.json. The output folder carries a manifest (see
 * common/output-folder.ts): a re-run with the same settings reuses every row it stored, numbers
 * and all, and resumes an unfinished run from its checkpoint.
 */
import { createHash } from 'crypto';
import * as fs from 'fs';
import * as path from 'path';
import { writeJsonAtomic } from '../common/atomic-write';
import { openOutputFolder, type OutputFolder } from '../common/output-folder';
import type { Dataset } from '../data/dataset';
import { openDataset } from '../data/datasets';
import type { LocalizationMetrics } from '../localize/localization-evaluator';
import { ablations, comparedMethods, METHODS } from '../method/registry';
import { evaluationOptions, type DeepPartial, type TrainConfig } from './config';
import { evaluateModel } from '../evaluate/evaluate';
import { METRIC_FIELDS, RESULTS_VERSION, readResultsFile, resolvedSettings, settingsHash, settingsOf, type ResultRow, type ResultsFile, type ResultsShard } from './results-file';
import { orderRows } from './results-set';
import { resultsMarkdown } from './results-table';
import { RUN_FILES } from './run-folder';
import { train, type TrainCallbacks } from './trainer';

export { METRIC_FIELDS, type MetricField, type ResultRow, type ResultsFile } from './results-file';
export { comparisonMarkdown, resultsMarkdown } from './results-table';

/** Every baseline, then ours (the method registry's roles). */
export const QUICK_METHODS = comparedMethods();
/**
 * The ablations the default run includes, the ones that explain the result: without SSAM (the best
 * variant on val), without the fusion loss, and both dropout images through one classifier.
 */
export const ABLATIONS = ablations('default');
/** The rest, run with --all-ablations. */
export const MORE_ABLATIONS = ablations('more');
/** The methods ours is held against besides CAM: the main methods but CAM and ours. */
export const BASELINE_METHODS = QUICK_METHODS.filter((m) => m !== 'cam' && m !== 'ours');
/** The order in which tables list methods (others follow in the order they appear). */
export const METHOD_ORDER = [...new Set([...QUICK_METHODS, ...ABLATIONS, ...MORE_ABLATIONS, ...Object.keys(METHODS)])];

/** Where reproduce writes, inside --out. */
export const REPRODUCE_FILES = { results: 'results.json', table: 'results.md', runs: 'runs' } as const;

export interface ReproduceOptions {
  quick: boolean;
  datasets: string[];
  methods: string[];
  seeds: number[];
  outDir: string;
  /** Overrides applied to every run (epochs, image size, batch size...). */
  train: DeepPartial<TrainConfig>;
  /** Run only this slice of the matrix (null or absent: all of it). */
  shard?: ResultsShard | null;
  /** Write into a folder that holds other files (they are kept; same-named ones are replaced). */
  overwrite?: boolean;
  callbacks?: (method: string, dataset: string, seed: number) => TrainCallbacks;
  onRow?: (row: ResultRow) => void;
  /** A row taken as stored from an earlier run with the same settings. */
  onReuse?: (row: ResultRow) => void;
  skipBad?: boolean;
  onWarning?: (message: string) => void;
}

/**
 * Training budget of the main job, the same for every dataset. Default: 6 epochs over 1,600 training images
 * (600 steps of 16), evaluation on 400 val and 400 test images. Chosen on val of both built-in sets
 * (docs/results/selection/, round 4): at 3 epochs ours classified `fashion-clutter` 16 points below CAM,
 * at 6 within 5. Quick: a smoke run (2 epochs over 800 images) whose maps are barely trained.
 */
export function defaultBudget(quick: boolean): Partial<TrainConfig> {
  return quick ? { epochs: 2, limit: 800, evalLimit: 200 } : { epochs: 6, limit: 1600, evalLimit: 400 };
}

export interface RunKey {
  dataset: string;
  method: string;
  seed: number;
}

/** Every run, in run order: dataset by dataset, seed by seed, method by method. */
export function runMatrix(datasets: readonly string[], methods: readonly string[], seeds: readonly number[]): RunKey[] {
  return datasets.flatMap((dataset) => seeds.flatMap((seed) => methods.map((method) => ({ dataset, method, seed }))));
}

/** The runs of shard K of N: every N-th run of the matrix, starting at the K-th (so shards differ by at most one run). */
export function shardRuns(matrix: readonly RunKey[], shard: ResultsShard | null | undefined): RunKey[] {
  if (!shard) return [...matrix];
  return matrix.filter((_, i) => i % shard.count === shard.index - 1);
}

/** Reads "K/N" (K from 1). */
export function parseShard(text: string): ResultsShard {
  const m = /^(\d+)\/(\d+)$/.exec(text.trim());
  if (!m) throw new Error(`shard must be K/N with 1 <= K <= N (e.g. 2/8), got "${text}"`);
  const index = Number(m[1]);
  const count = Number(m[2]);
  if (count < 1 || index < 1 || index > count) throw new Error(`shard must be K/N with 1 <= K <= N, got "${text}"`);
  return { index, count };
}

/** Checks a run list: at least one value, none twice. */
export function checkRunList<T>(name: string, values: readonly T[]): void {
  if (values.length === 0) throw new Error(`the ${name} list is empty; nothing would be trained`);
  const twice = values.filter((v, i) => values.indexOf(v) !== i);
  if (twice.length > 0) throw new Error(`the ${name} list names ${[...new Set(twice)].join(', ')} more than once`);
}

export function rowFrom(key: RunKey, configHash: string, runDir: string, m: LocalizationMetrics): ResultRow {
  const row = { ...key, configHash, trainSeconds: null, runDir, imagesPerSecond: null, valThreshold: null, gtKnownLocValThreshold: null } as ResultRow;
  for (const f of METRIC_FIELDS) row[f] = (m as unknown as Record<string, number | null>)[f] ?? null;
  return row;
}

/**
 * The GT-known threshold chosen on val, and the test GT-known at it. Both evaluations sweep the same
 * threshold grid, so the chosen threshold is looked up by value.
 */
export function valChosenGtKnown(val: LocalizationMetrics | null, test: LocalizationMetrics): { threshold: number | null; gtKnown: number | null } {
  if (!val || val.curves.gtKnown.length === 0) return { threshold: null, gtKnown: null };
  let best = 0;
  val.curves.gtKnown.forEach((v, i) => {
    if (v > val.curves.gtKnown[best]) best = i;
  });
  const threshold = val.curves.thresholds[best];
  const at = test.curves.thresholds.findIndex((t) => Math.abs(t - threshold) < 1e-9);
  return { threshold, gtKnown: at >= 0 ? test.curves.gtKnown[at] : null };
}

/** Training images per second over the run's epochs. */
export function trainingThroughput(history: { imagesPerSec: number; seconds: number }[]): number | null {
  const seconds = history.reduce((a, h) => a + h.seconds, 0);
  return seconds > 0 ? history.reduce((a, h) => a + h.imagesPerSec * h.seconds, 0) / seconds : null;
}

/** A run folder's name: readable for built-in names, with a digest when the spec is a long path. */
export function runFolderName(key: RunKey): string {
  const plain = key.dataset.replace(/[^a-zA-Z0-9_-]+/g, '_');
  const name = plain === key.dataset && plain.length <= 40 ? plain : `${plain.slice(0, 32)}-${createHash('sha256').update(key.dataset).digest('hex').slice(0, 8)}`;
  return `${name}-${key.method}-seed${key.seed}`;
}

const rowKey = (r: RunKey, hash: string) => JSON.stringify([r.dataset, r.method, r.seed, hash]);

/** What an earlier reproduce with the same settings stored in this folder (an unreadable results.json is an error). */
function storedResults(folder: OutputFolder): { rows: Map<string, ResultRow>; createdAt: string | null } {
  const file = folder.path(REPRODUCE_FILES.results);
  if (!folder.files.includes(REPRODUCE_FILES.results) || !fs.existsSync(file)) return { rows: new Map(), createdAt: null };
  const loaded = readResultsFile(file);
  return { rows: new Map(loaded.rows.map((r) => [rowKey(r, r.configHash), r])), createdAt: loaded.createdAt };
}

/** The last validation metrics of a finished run: kept in memory, else metrics.json, else evaluated again. */
async function finalValMetrics(metrics: LocalizationMetrics | null, runDir: string, evaluateVal: () => Promise<LocalizationMetrics>): Promise<LocalizationMetrics> {
  if (metrics) return metrics;
  const file = path.join(runDir, RUN_FILES.metrics);
  if (fs.existsSync(file)) return JSON.parse(fs.readFileSync(file, 'utf8')) as LocalizationMetrics;
  return evaluateVal();
}

export async function reproduce(opts: ReproduceOptions): Promise<ResultsFile> {
  checkRunList('dataset', opts.datasets);
  checkRunList('method', opts.methods);
  checkRunList('seed', opts.seeds);
  const unknown = opts.methods.filter((m) => !Object.hasOwn(METHODS, m));
  if (unknown.length > 0) throw new Error(`unknown method${unknown.length > 1 ? 's' : ''} ${unknown.map((m) => `"${m}"`).join(', ')}; known: ${Object.keys(METHODS).join(', ')}`);
  const settings = resolvedSettings(opts.train);
  const hash = settingsHash(settings);
  const matrix = runMatrix(opts.datasets, opts.methods, opts.seeds);
  const mine = shardRuns(matrix, opts.shard);
  if (mine.length === 0) throw new Error(`shard ${opts.shard!.index}/${opts.shard!.count} has no runs: the matrix has ${matrix.length}`);

  const folder = openOutputFolder(opts.outDir, {
    command: 'wsol reproduce',
    // Spread, so a refusal names the setting that changed.
    settings: { datasets: opts.datasets, methods: opts.methods, seeds: opts.seeds, shard: opts.shard ?? null, quick: opts.quick, ...settings },
    overwrite: opts.overwrite,
    optionName: '--out',
  });
  try {
    const stored = storedResults(folder);
    const results: ResultsFile = {
      version: RESULTS_VERSION,
      createdAt: stored.createdAt ?? new Date().toISOString(),
      quick: opts.quick,
      train: opts.train,
      matrix: { datasets: opts.datasets, methods: opts.methods, seeds: opts.seeds },
      shard: opts.shard ?? null,
      settings: { [hash]: settings },
      rows: [],
    };
    const save = (row: ResultRow) => {
      results.rows = orderRows([...results.rows, row], opts.datasets, opts.methods);
      folder.writeJson(REPRODUCE_FILES.results, results);
      folder.writeFile(REPRODUCE_FILES.table, resultsMarkdown(results.rows, { settings: results.settings }));
    };
    const datasets = new Map<string, Dataset>();
    for (const key of mine) {
      // Under the settings digest: runs of other settings (after --overwrite) are never resumed as these.
      const runRel = `${REPRODUCE_FILES.runs}/${hash.slice(0, 8)}/${runFolderName(key)}`;
      const runDir = folder.claimTree(runRel);
      const kept = stored.rows.get(rowKey(key, hash));
      if (kept) {
        save(kept);
        opts.onReuse?.(kept);
        continue;
      }
      const datasetKey = JSON.stringify([key.dataset, key.seed]);
      const dataset = datasets.get(datasetKey) ?? (await openDataset(key.dataset, { seed: key.seed, skipBad: opts.skipBad, onWarning: opts.onWarning }));
      if (!datasets.has(datasetKey)) {
        datasets.clear(); // one dataset in memory at a time; the matrix visits each (dataset, seed) in one stretch
        datasets.set(datasetKey, dataset);
      }
      const result = await train({ ...opts.train, ...key }, { outDir: runDir, resume: 'if-present', dataset, callbacks: opts.callbacks?.(key.method, key.dataset, key.seed) });
      try {
        if (settingsHash(settingsOf(result.config)) !== hash) throw new Error(`${runDir}: the run resolved other settings than planned; this is a bug in wsol reproduce`);
        const evalOptions = evaluationOptions(result.config);
        const test = await evaluateModel(result.model, dataset, dataset.items('test').length > 0 ? 'test' : 'val', evalOptions);
        const val = await finalValMetrics(result.metrics, runDir, async () => (await evaluateModel(result.model, dataset, 'val', evalOptions)).metrics);
        const row = rowFrom(key, hash, runDir, test.metrics);
        const chosen = valChosenGtKnown(val, test.metrics);
        row.valThreshold = chosen.threshold;
        row.gtKnownLocValThreshold = chosen.gtKnown;
        // From the run's stored epochs, so a resumed or re-read run gives the same numbers.
        row.trainSeconds = result.history.reduce((a, h) => a + h.seconds, 0);
        row.imagesPerSecond = trainingThroughput(result.history);
        writeJsonAtomic(path.join(runDir, 'test-metrics.json'), test.metrics);
        save(row);
        opts.onRow?.(row);
      } finally {
        result.model.net.dispose();
      }
    }
    folder.finish();
    return results;
  } catch (err) {
    folder.close();
    throw err;
  }
}
