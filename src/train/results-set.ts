/**
 * Several results files (shards of one reproduce, several machines, several seeds) merged into
 * one set of rows: each (dataset, method, settings digest, seed) at most once, rows in a fixed
 * order whatever order the files came in, and the groups that may be averaged.
 */
import * as fs from 'fs';
import type { LoadedResults, ResultRow } from './results-file';

export interface ResultSet {
  rows: ResultRow[];
  /** The settings behind each digest (resolved settings, or a version-0 file's overrides). */
  settings: Record<string, Record<string, unknown>>;
  /** Files without a version, read as version 0. */
  legacyFiles: string[];
}

/** Rows that may be averaged: one dataset, one method, one settings digest. */
export interface ResultGroup {
  dataset: string;
  method: string;
  configHash: string;
  /** Sorted by seed. */
  rows: ResultRow[];
}

export interface MergeOptions {
  /** Methods in the order the tables list them; others follow in the order they first appear. */
  methodOrder?: readonly string[];
}

const rowKey = (r: ResultRow) => JSON.stringify([r.dataset, r.method, r.configHash, r.seed]);

/** Merges loaded files; a file given twice, or a run present twice, is an error naming both files. */
export function mergeResults(loaded: LoadedResults[], opts: MergeOptions = {}): ResultSet {
  const seenFiles = new Map<string, string>();
  const owner = new Map<string, string>();
  const settings: Record<string, Record<string, unknown>> = {};
  const datasets: string[] = [];
  const rows: ResultRow[] = [];
  for (const l of loaded) {
    const real = realPath(l.file);
    const earlier = seenFiles.get(real);
    if (earlier !== undefined) throw new Error(`${l.file} is given twice${earlier !== l.file ? ` (also as ${earlier})` : ''}; each results file may be given once`);
    seenFiles.set(real, l.file);
    Object.assign(settings, l.settings);
    for (const d of l.matrix?.datasets ?? []) if (!datasets.includes(d)) datasets.push(d);
    for (const r of l.rows) {
      const key = rowKey(r);
      const first = owner.get(key);
      if (first !== undefined) {
        throw new Error(`${l.file}: ${r.method} on ${r.dataset}, seed ${r.seed} (settings ${r.configHash.slice(0, 8)}) is already in ${first}; each run may be reported once`);
      }
      owner.set(key, l.file);
      if (!datasets.includes(r.dataset)) datasets.push(r.dataset);
      rows.push(r);
    }
  }
  return { rows: orderRows(rows, datasets, opts.methodOrder ?? []), settings, legacyFiles: loaded.filter((l) => l.version === 0).map((l) => l.file) };
}

function realPath(file: string): string {
  try {
    return fs.realpathSync(file);
  } catch {
    return file;
  }
}

/** Rows by dataset (given order), method (given order, then first appearance), digest (first appearance), seed. */
export function orderRows(rows: ResultRow[], datasets: readonly string[], methodOrder: readonly string[]): ResultRow[] {
  const methods = [...methodOrder];
  const hashes: string[] = [];
  for (const r of rows) {
    if (!methods.includes(r.method)) methods.push(r.method);
    if (!hashes.includes(r.configHash)) hashes.push(r.configHash);
  }
  const ds = [...datasets, ...rows.map((r) => r.dataset).filter((d) => !datasets.includes(d))];
  const rank = (r: ResultRow) => [ds.indexOf(r.dataset), methods.indexOf(r.method), hashes.indexOf(r.configHash), r.seed];
  return [...rows].sort((a, b) => {
    const x = rank(a);
    const y = rank(b);
    for (let i = 0; i < x.length; i++) if (x[i] !== y[i]) return x[i] - y[i];
    return 0;
  });
}

/** The groups of ordered rows, in the rows' order. */
export function groupRows(rows: ResultRow[]): ResultGroup[] {
  const groups = new Map<string, ResultGroup>();
  for (const r of rows) {
    const key = JSON.stringify([r.dataset, r.method, r.configHash]);
    let g = groups.get(key);
    if (!g) groups.set(key, (g = { dataset: r.dataset, method: r.method, configHash: r.configHash, rows: [] }));
    g.rows.push(r);
  }
  for (const g of groups.values()) g.rows.sort((a, b) => a.seed - b.seed);
  return [...groups.values()];
}

/** Flattens settings to "a.b" paths and lists the paths whose values differ, with both values. */
export function settingsDifferences(a: Record<string, unknown> | undefined, b: Record<string, unknown> | undefined): { path: string; a: unknown; b: unknown }[] {
  const fa = flatten(a ?? {});
  const fb = flatten(b ?? {});
  const paths = [...new Set([...Object.keys(fa), ...Object.keys(fb)])].sort();
  return paths.filter((p) => JSON.stringify(fa[p]) !== JSON.stringify(fb[p])).map((p) => ({ path: p, a: fa[p], b: fb[p] }));
}

function flatten(o: Record<string, unknown>, prefix = '', out: Record<string, unknown> = {}): Record<string, unknown> {
  for (const [k, v] of Object.entries(o)) {
    if (v && typeof v === 'object' && !Array.isArray(v)) flatten(v as Record<string, unknown>, `${prefix}${k}.`, out);
    else out[`${prefix}${k}`] = v;
  }
  return out;
}
