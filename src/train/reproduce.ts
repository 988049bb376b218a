/**
 * The reproduction harness: trains every method with the same budget and seeds on the same
 * data, evaluates each on the test split, and builds the results table.
 */
import * as path from 'path';
import { writeFileAtomic, writeJsonAtomic } from '../common/atomic-write';
import type { Dataset } from '../data/dataset';
import { openDataset } from '../data/open-dataset';
import type { LocalizationMetrics } from '../localize/localization-evaluator';
import { METHODS } from '../method/registry';
import { evaluationOptions, type TrainConfig } from './config';
import { evaluateModel } from './evaluate';
import { train, type TrainCallbacks } from './trainer';

export const QUICK_METHODS = ['cam', 'has', 'acol', 'adl', 'ours'];
/**
 * The ablations the default run includes, the ones that explain the result: without SSAM (the best
 * variant on val), without the fusion loss, and both dropout images through one classifier.
 */
export const ABLATIONS = ['ours-no-ssam', 'ours-no-fusion', 'dropout-one-branch'];
/** The rest, run with --all-ablations. */
export const MORE_ABLATIONS = ['ours-global-ssam', 'ours-no-caam', 'ours-two-pass', 'ours-union-target', 'ours-minmax-fusion'];

export interface ReproduceOptions {
  quick: boolean;
  datasets: string[];
  methods: string[];
  seeds: number[];
  outDir: string;
  /** Overrides applied to every run (epochs, image size, batch size...). */
  train: Partial<TrainConfig>;
  callbacks?: (method: string, dataset: string, seed: number) => TrainCallbacks;
  onRow?: (row: ResultRow) => void;
  skipBad?: boolean;
  onWarning?: (message: string) => void;
}

/** The metric fields of a row, in percent (pxap null without masks). */
export const METRIC_FIELDS = ['top1Cls', 'top5Cls', 'top1Loc', 'top5Loc', 'gtKnownLoc', 'maxBoxAcc', 'maxBoxAccV2', 'pxap'] as const;
export type MetricField = (typeof METRIC_FIELDS)[number];

export type ResultRow = {
  method: string;
  dataset: string;
  seed: number;
  trainSeconds: number;
  /** Training images per second over the whole run (validation excluded where the trainer separates it). */
  imagesPerSecond: number;
  /** CAM threshold that maximised GT-known Loc on the val split of this run. */
  valThreshold: number | null;
  /** Test GT-known Loc at `valThreshold` (the threshold is chosen on val, never on test). */
  gtKnownLocValThreshold: number | null;
  runDir: string;
} & Record<MetricField, number | null>;

export interface ResultsFile {
  createdAt: string;
  quick: boolean;
  train: Partial<TrainConfig>;
  rows: ResultRow[];
}

/**
 * Training budget of the main job. Default: 3 epochs over 1,600 training images (300 steps of 16), the
 * least at which CAM passed 95% Top-1 Cls on `parts` (3 seeds) with the batch-norm recipe; evaluation on
 * 400 val and 400 test images. Quick: a smoke run (2 epochs over 800 images) whose maps are barely trained.
 */
export function defaultBudget(quick: boolean): Partial<TrainConfig> {
  return quick ? { epochs: 2, limit: 800, evalLimit: 200 } : { epochs: 3, limit: 1600, evalLimit: 400 };
}

export function rowFrom(method: string, dataset: string, seed: number, trainSeconds: number, runDir: string, m: LocalizationMetrics): ResultRow {
  const row = { method, dataset, seed, trainSeconds, runDir, imagesPerSecond: NaN, valThreshold: null, gtKnownLocValThreshold: null } as ResultRow;
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
export function trainingThroughput(history: { imagesPerSec: number; seconds: number }[]): number {
  const seconds = history.reduce((a, h) => a + h.seconds, 0);
  return seconds > 0 ? history.reduce((a, h) => a + h.imagesPerSec * h.seconds, 0) / seconds : NaN;
}

export async function reproduce(opts: ReproduceOptions): Promise<ResultsFile> {
  const unknown = opts.methods.filter((m) => !Object.hasOwn(METHODS, m));
  if (unknown.length > 0) throw new Error(`unknown method${unknown.length > 1 ? 's' : ''} ${unknown.map((m) => `"${m}"`).join(', ')}; known: ${Object.keys(METHODS).join(', ')}`);
  const results: ResultsFile = { createdAt: new Date().toISOString(), quick: opts.quick, train: opts.train, rows: [] };
  for (const datasetName of opts.datasets) {
    for (const seed of opts.seeds) {
      const dataset: Dataset = await openDataset(datasetName, { seed, skipBad: opts.skipBad, onWarning: opts.onWarning });
      for (const method of opts.methods) {
        const runDir = path.join(opts.outDir, 'runs', `${sanitize(datasetName)}-${method}-seed${seed}`);
        const result = await train(
          { ...opts.train, dataset: datasetName, method, seed },
          { outDir: runDir, resume: 'if-present', dataset, callbacks: opts.callbacks?.(method, datasetName, seed) },
        );
        const test = await evaluateModel(result.model, dataset, dataset.items('test').length > 0 ? 'test' : 'val', evaluationOptions(result.config));
        result.model.net.dispose();
        const row = rowFrom(method, datasetName, seed, result.trainSeconds, runDir, test.metrics);
        const chosen = valChosenGtKnown(result.metrics, test.metrics);
        row.valThreshold = chosen.threshold;
        row.gtKnownLocValThreshold = chosen.gtKnown;
        row.imagesPerSecond = trainingThroughput(result.history);
        writeJsonAtomic(path.join(runDir, 'test-metrics.json'), test.metrics);
        results.rows.push(row);
        opts.onRow?.(row);
        writeJsonAtomic(path.join(opts.outDir, 'results.json'), results);
        writeFileAtomic(path.join(opts.outDir, 'results.md'), resultsMarkdown(results.rows));
      }
    }
  }
  return results;
}

function sanitize(name: string): string {
  return name.replace(/[^a-zA-Z0-9_-]+/g, '_').slice(0, 40);
}

function fmt(v: number | null): string {
  return v === null || !Number.isFinite(v) ? 'n/a' : v.toFixed(1);
}

function meanStd(values: number[]): string {
  if (values.length === 0) return 'n/a';
  const mean = values.reduce((a, b) => a + b, 0) / values.length;
  if (values.length === 1) return mean.toFixed(1);
  const sd = Math.sqrt(values.reduce((a, b) => a + (b - mean) ** 2, 0) / (values.length - 1));
  return `${mean.toFixed(1)} ± ${sd.toFixed(1)}`;
}

/** One Markdown table per dataset: mean ± sample std over seeds for each method. */
export function resultsMarkdown(rows: ResultRow[]): string {
  const columns: [string, (r: ResultRow) => number | null][] = [
    ['Top-1 Cls', (r) => r.top1Cls],
    ['Top-1 Loc', (r) => r.top1Loc],
    ['GT-known Loc (fixed thr.)', (r) => r.gtKnownLoc],
    ['GT-known Loc (val thr.)', (r) => r.gtKnownLocValThreshold ?? null],
    ['MaxBoxAcc', (r) => r.maxBoxAcc],
    ['MaxBoxAccV2', (r) => r.maxBoxAccV2],
    ['PxAP', (r) => r.pxap],
    ['train img/s', (r) => r.imagesPerSecond ?? null],
    ['train s', (r) => r.trainSeconds],
  ];
  const out: string[] = [];
  for (const dataset of [...new Set(rows.map((r) => r.dataset))]) {
    const mine = rows.filter((r) => r.dataset === dataset);
    const seeds = [...new Set(mine.map((r) => r.seed))];
    out.push(`### ${dataset} (seeds ${seeds.join(', ')}; mean ± std in %)`, '');
    out.push(`| method | ${columns.map((c) => c[0]).join(' | ')} |`, `| --- | ${columns.map(() => '---:').join(' | ')} |`);
    for (const method of [...new Set(mine.map((r) => r.method))]) {
      const rs = mine.filter((r) => r.method === method);
      const cells = columns.map(([, pick]) => meanStd(rs.map(pick).filter((v): v is number => v !== null && Number.isFinite(v))));
      out.push(`| ${method} | ${cells.join(' | ')} |`);
    }
    out.push('');
    if (seeds.length > 1) {
      // Every seed's own numbers, so a mean never hides a collapsed run.
      out.push(`Per seed (${dataset}):`, '', `| method | seed | ${columns.map((c) => c[0]).join(' | ')} |`, `| --- | ---: | ${columns.map(() => '---:').join(' | ')} |`);
      for (const r of mine) out.push(`| ${r.method} | ${r.seed} | ${columns.map(([, pick]) => fmt(pick(r))).join(' | ')} |`);
      out.push('');
    }
  }
  return out.join('\n');
}

/**
 * What the numbers say about `method` against CAM and the best other baseline, per dataset, written
 * from the rows (never fixed text): differences per seed and the issue's acceptance checks.
 */
export function comparisonMarkdown(rows: ResultRow[], method = 'ours', baselines = ['cam', 'has', 'acol', 'adl']): string {
  const out: string[] = [];
  const mean = (v: number[]) => v.reduce((a, b) => a + b, 0) / Math.max(1, v.length);
  for (const dataset of [...new Set(rows.map((r) => r.dataset))]) {
    const mine = rows.filter((r) => r.dataset === dataset && r.method === method);
    const cam = rows.filter((r) => r.dataset === dataset && r.method === 'cam');
    if (mine.length === 0 || cam.length === 0) continue;
    const seeds = mine.map((r) => r.seed).filter((s) => cam.some((c) => c.seed === s));
    const diff = (pick: (r: ResultRow) => number | null) =>
      seeds.map((s) => (pick(mine.find((r) => r.seed === s)!) ?? NaN) - (pick(cam.find((r) => r.seed === s)!) ?? NaN));
    const dBox = diff((r) => r.maxBoxAccV2);
    const dGt = diff((r) => r.gtKnownLocValThreshold);
    const signed = (v: number) => `${v >= 0 ? '+' : ''}${v.toFixed(1)}`;
    const bestOther = baselines
      .filter((b) => b !== 'cam')
      .map((b) => rows.filter((r) => r.dataset === dataset && r.method === b).map((r) => r.maxBoxAccV2 ?? NaN))
      .map((v, i) => ({ b: baselines.filter((x) => x !== 'cam')[i], v: v.length > 0 ? mean(v) : NaN }))
      .filter((x) => Number.isFinite(x.v))
      .sort((x, y) => y.v - x.v)[0];
    const ours = mean(mine.map((r) => r.maxBoxAccV2 ?? NaN));
    out.push(`**${dataset}** (seeds ${seeds.join(', ')}): ${method} minus CAM, MaxBoxAccV2 ${dBox.map(signed).join(' / ')} (mean ${signed(mean(dBox))}); ` +
      `GT-known Loc at the val-chosen threshold ${dGt.map(signed).join(' / ')} (mean ${signed(mean(dGt))}).`);
    const checks = [
      [`MaxBoxAccV2 at least 5 points above CAM`, mean(dBox) >= 5],
      [`GT-known (val thr.) at least 10 points above CAM`, mean(dGt) >= 10],
      [`no seed below CAM on either measure`, dBox.every((d) => d >= 0) && dGt.every((d) => d >= 0)],
      ...(bestOther ? [[`MaxBoxAccV2 at least the best other baseline (${bestOther.b}, ${bestOther.v.toFixed(1)})`, ours >= bestOther.v] as [string, boolean]] : []),
    ] as [string, boolean][];
    out.push('', ...checks.map(([what, ok]) => `- ${ok ? 'met' : 'NOT met'}: ${what}`), '');
  }
  return out.join('\n');
}
