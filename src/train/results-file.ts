/**
 * The results.json that `wsol reproduce` writes and `wsol report` reads: one row per trained
 * (dataset, method, seed), each with the digest of the settings it ran with, so rows that ran with
 * different settings are never averaged together.
 *
 * Version 1 stores, per digest, the settings themselves: the resolved train config with the seed,
 * method and dataset left out (those are the row's own columns). Files without a version (version
 * 0, written before the digest existed) store only the overrides given on top of the defaults of
 * their day; their digest is computed from those overrides, tagged so that it never equals a
 * version-1 digest (the defaults may have changed since).
 */
import * as fs from 'fs';
import { settingsDigest } from '../common/output-folder';
import { MAX_SEED, resolveTrainConfig, type DeepPartial, type TrainConfig } from './config';

export const RESULTS_VERSION = 1;

/** The metric fields of a row, in percent (pxap null without masks). */
export const METRIC_FIELDS = ['top1Cls', 'top5Cls', 'top1Loc', 'top5Loc', 'gtKnownLoc', 'maxBoxAcc', 'maxBoxAccV2', 'pxap'] as const;
export type MetricField = (typeof METRIC_FIELDS)[number];

export type ResultRow = {
  method: string;
  dataset: string;
  seed: number;
  /** Digest of the row's settings (see `settingsOf`); the key of `ResultsFile.settings`. */
  configHash: string;
  /** Seconds of training, validation included, summed over the run's epochs. */
  trainSeconds: number | null;
  /** Training images per second over the whole run. */
  imagesPerSecond: number | null;
  /** CAM threshold that maximised GT-known Loc on the val split of this run. */
  valThreshold: number | null;
  /** Test GT-known Loc at `valThreshold` (the threshold is chosen on val, never on test). */
  gtKnownLocValThreshold: number | null;
  runDir: string;
} & Record<MetricField, number | null>;

/** The train config without the row's own columns: what must match for two rows to be averaged. */
export type RunSettings = Omit<TrainConfig, 'seed' | 'method' | 'dataset'>;

/** Which part of the (dataset, method, seed) matrix a file holds. */
export interface ResultsShard {
  /** 1-based. */
  index: number;
  count: number;
}

export interface ResultsFile {
  version: typeof RESULTS_VERSION;
  createdAt: string;
  quick: boolean;
  /** The overrides given on top of the defaults (the budget and the user's options). */
  train: DeepPartial<TrainConfig>;
  /** The whole matrix asked for, in run order (a shard runs a slice of it). */
  matrix: { datasets: string[]; methods: string[]; seeds: number[] };
  shard: ResultsShard | null;
  /** Every row's settings, by digest. */
  settings: Record<string, RunSettings>;
  rows: ResultRow[];
}

/** The settings of a resolved train config: everything but the seed, method and dataset. */
export function settingsOf(config: TrainConfig): RunSettings {
  const { seed: _seed, method: _method, dataset: _dataset, ...rest } = config;
  return rest;
}

export function settingsHash(settings: RunSettings): string {
  return settingsDigest(settings as unknown as Record<string, unknown>).slice(0, 16);
}

/** The settings a reproduce run gives every row: the defaults under `overrides`. */
export function resolvedSettings(overrides: DeepPartial<TrainConfig>): RunSettings {
  return settingsOf(resolveTrainConfig(overrides));
}

/** A version-0 file's digest: from the overrides it stored (the defaults of its day are unknown). */
function legacyHash(train: unknown): string {
  return settingsDigest({ overridesOfAnUnversionedFile: train ?? {} }).slice(0, 16);
}

/** A results file as read: its rows, the settings behind each digest, and notes for the reader. */
export interface LoadedResults {
  file: string;
  version: number;
  createdAt: string | null;
  matrix: ResultsFile['matrix'] | null;
  shard: ResultsShard | null;
  /** By digest: the resolved settings (version 1) or the stored overrides (version 0). */
  settings: Record<string, Record<string, unknown>>;
  rows: ResultRow[];
}

const isObject = (v: unknown): v is Record<string, unknown> => typeof v === 'object' && v !== null && !Array.isArray(v);
const describe = (v: unknown) => (v === undefined ? 'nothing' : JSON.stringify(v));

/**
 * Reads and checks a results file: the version, every row's fields (numbers where numbers belong,
 * a seed that is an integer), and, for version 1, that each row's digest is the digest of the
 * settings the file stores. Every error names the file and the field.
 */
export function readResultsFile(file: string): LoadedResults {
  let text: string;
  try {
    text = fs.readFileSync(file, 'utf8');
  } catch (e) {
    throw new Error(`${file}: cannot read it (${(e as NodeJS.ErrnoException).code ?? (e as Error).message})`);
  }
  let parsed: unknown;
  try {
    parsed = JSON.parse(text);
  } catch (e) {
    throw new Error(`${file}: not JSON (${(e as Error).message})`);
  }
  return checkResults(parsed, file);
}

export function checkResults(parsed: unknown, file: string): LoadedResults {
  const notResults = `${file} is not a wsol results file (as written by wsol reproduce)`;
  if (!isObject(parsed) || !Array.isArray(parsed.rows)) throw new Error(`${notResults}: it has no "rows" list`);
  const version = parsed.version ?? 0;
  if (version !== 0 && version !== RESULTS_VERSION) {
    throw new Error(`${file}: results version ${describe(parsed.version)} is not one this wsol reads (it reads 0 and ${RESULTS_VERSION}); a newer wsol wrote it?`);
  }
  if (parsed.rows.length === 0) throw new Error(`${file}: "rows" is empty; there is nothing to report`);
  const settings: Record<string, Record<string, unknown>> = {};
  if (version === 0) {
    if (parsed.train !== undefined && !isObject(parsed.train)) throw new Error(`${file}: "train" must be an object, got ${describe(parsed.train)}`);
    settings[legacyHash(parsed.train)] = (parsed.train as Record<string, unknown> | undefined) ?? {};
  } else {
    if (!isObject(parsed.settings)) throw new Error(`${file}: "settings" must be an object of settings by digest, got ${describe(parsed.settings)}`);
    for (const [hash, s] of Object.entries(parsed.settings)) {
      if (!isObject(s) || settingsHash(s as unknown as RunSettings) !== hash) {
        throw new Error(`${file}: settings.${hash} does not match its digest (the file was edited by hand?)`);
      }
      settings[hash] = s;
    }
  }
  const rows = parsed.rows.map((r, i) => checkRow(r, `${file}: rows[${i}]`, version === 0 ? Object.keys(settings)[0] : null, settings));
  const matrix = isObject(parsed.matrix) ? (parsed.matrix as ResultsFile['matrix']) : null;
  const shard = isObject(parsed.shard) ? (parsed.shard as unknown as ResultsShard) : null;
  return { file, version: version as number, createdAt: typeof parsed.createdAt === 'string' ? parsed.createdAt : null, matrix, shard, settings, rows };
}

function checkRow(r: unknown, where: string, legacy: string | null, settings: Record<string, unknown>): ResultRow {
  if (!isObject(r)) throw new Error(`${where} must be an object, got ${describe(r)}`);
  for (const f of ['method', 'dataset'] as const) {
    if (typeof r[f] !== 'string' || r[f] === '') throw new Error(`${where}.${f} must be a non-empty string, got ${describe(r[f])}`);
  }
  if (!Number.isInteger(r.seed) || (r.seed as number) < 0 || (r.seed as number) > MAX_SEED) {
    throw new Error(`${where}.seed must be an integer in 0..${MAX_SEED}, got ${describe(r.seed)}`);
  }
  const numberOrNull = (f: string, required: boolean) => {
    const v = r[f];
    if (v === undefined && !required) return null;
    if (v === null || (typeof v === 'number' && Number.isFinite(v))) return v;
    throw new Error(`${where}.${f} must be a number or null, got ${describe(v)}`);
  };
  for (const f of METRIC_FIELDS) numberOrNull(f, true);
  for (const f of ['trainSeconds', 'imagesPerSecond', 'valThreshold', 'gtKnownLocValThreshold']) r[f] = numberOrNull(f, false);
  if (legacy !== null) r.configHash = legacy;
  else if (typeof r.configHash !== 'string' || !Object.hasOwn(settings, r.configHash)) {
    throw new Error(`${where}.configHash must name one of the file's settings, got ${describe(r.configHash)}`);
  }
  if (typeof r.runDir !== 'string') r.runDir = '';
  return r as unknown as ResultRow;
}
