/**
 * Notebook plumbing: the first cell's setup (backend, quick mode, the notebook's one output
 * folder) and training that reuses a finished run with the same settings instead of piling up
 * timestamped folders. The only place notebooks call the trainer, so a new training API changes
 * one function.
 *
 * (This file imports src/train, which src/viz otherwise does not: it serves notebooks only.)
 */
import * as fs from 'fs';
import * as path from 'path';
import { initBackend, type BackendInfo } from '../backend/select';
import { readJson, writeJsonAtomic } from '../common/atomic-write';
import type { Dataset } from '../data/dataset';
import type { LocalizationMetrics } from '../localize/localization-evaluator';
import type { WsolModel } from '../method/wsol-model';
import { resolveTrainConfig, type TrainConfig } from '../train/config';
import { formatEpoch } from '../train/progress';
import type { EpochRecord, SnapshotFile } from '../train/snapshot-types';
import { loadRunModel, train, type TrainCallbacks } from '../train/trainer';
import { QUICK_BANNER } from './findings';
import { notebookRecipe, recipeDataset, type RecipeName } from './notebook-recipes';
import { showHtml } from './notebook-display';

export interface NotebookSession {
  /** WSOL_QUICK=1: every run shrinks to seconds (tests, a first look). */
  quick: boolean;
  /** This notebook's output folder (out/<notebook>, relative to the notebook), reused run after run. */
  outDir: string;
  backend: BackendInfo;
}

/** The first cell of every notebook: picks the backend, says which, shows the quick-mode banner. */
export async function notebookSetup(name: string, options: { trains?: boolean } = {}): Promise<NotebookSession> {
  const quick = process.env.WSOL_QUICK === '1';
  const backend = await initBackend();
  // WSOL_NOTEBOOK_OUT moves every notebook's outputs (the tests use a fresh folder).
  const outDir = path.join(process.env.WSOL_NOTEBOOK_OUT ?? 'out', name);
  fs.mkdirSync(outDir, { recursive: true });
  console.log(`backend: ${backend.choice}${quick ? ' (quick mode)' : ''}; outputs in ${path.isAbsolute(outDir) ? outDir : `notebooks/${outDir}`}/`);
  if (quick && options.trains !== false) {
    showHtml(`<div style="border:2px solid #d62728;padding:8px;background:#fff4f4"><b>Quick mode.</b> ${QUICK_BANNER}</div>`);
  }
  return { quick, outDir, backend };
}

export interface NotebookRun {
  model: WsolModel;
  history: EpochRecord[];
  /** Final validation metrics. */
  metrics: LocalizationMetrics | null;
  snapshots: SnapshotFile | null;
  outDir: string;
  config: TrainConfig;
  /** True when a finished run with the same settings was loaded instead of trained. */
  reused: boolean;
  trainSeconds: number;
}

interface RunStamp {
  train: TrainConfig;
  /** What the config does not say about the data (e.g. the generated dataset's sizes). */
  dataKey: string;
  trainSeconds: number;
}

const STAMP = 'notebook-run.json';

/**
 * Trains into `outDir`, or loads the finished run already there when it was made with the same
 * config and data (set WSOL_RETRAIN=1 to always train). A run with other settings is replaced.
 */
export async function trainOrReuse(
  outDir: string,
  partial: Partial<TrainConfig>,
  options: { dataset: Dataset; dataKey: string; callbacks?: TrainCallbacks },
): Promise<NotebookRun> {
  const config = resolveTrainConfig(partial);
  const release = await lockFolder(outDir);
  try {
    return await trainOrReuseLocked(outDir, config, options);
  } finally {
    release();
  }
}

/**
 * Two notebooks running at once (e.g. 03 and 04, which share a run) must not train into the same
 * folder: the second waits for the first and then reuses its run. A lock left by a dead process is taken over.
 */
const heldLocks = new Set<string>();

async function lockFolder(outDir: string): Promise<() => void> {
  const lock = path.resolve(`${outDir.replace(/[\\/]+$/, '')}.lock`);
  fs.mkdirSync(path.dirname(lock), { recursive: true });
  for (;;) {
    try {
      fs.writeFileSync(lock, String(process.pid), { flag: 'wx' });
      heldLocks.add(lock);
      return () => {
        heldLocks.delete(lock);
        fs.rmSync(lock, { force: true });
      };
    } catch (e) {
      if ((e as NodeJS.ErrnoException).code !== 'EEXIST') throw e;
      const owner = Number(fs.readFileSync(lock, 'utf8'));
      let alive = owner === process.pid ? heldLocks.has(lock) : false;
      if (owner !== process.pid) {
        try {
          process.kill(owner, 0);
          alive = true;
        } catch {
          alive = false;
        }
      }
      if (!alive) fs.rmSync(lock, { force: true });
      else await new Promise((r) => setTimeout(r, 200));
    }
  }
}

async function trainOrReuseLocked(outDir: string, config: TrainConfig, options: { dataset: Dataset; dataKey: string; callbacks?: TrainCallbacks }): Promise<NotebookRun> {
  const stampFile = path.join(outDir, STAMP);
  const readIf = <T>(file: string): T | null => (fs.existsSync(file) ? readJson<T>(file) : null);
  if (process.env.WSOL_RETRAIN !== '1' && fs.existsSync(stampFile)) {
    const stamp = readJson<RunStamp>(stampFile);
    if (JSON.stringify(stamp.train) === JSON.stringify(config) && stamp.dataKey === options.dataKey && fs.existsSync(path.join(outDir, 'model', 'model.json'))) {
      const { model } = await loadRunModel(outDir);
      return {
        model,
        history: readJson<EpochRecord[]>(path.join(outDir, 'history.json')),
        metrics: readIf<LocalizationMetrics>(path.join(outDir, 'metrics.json')),
        snapshots: readIf<SnapshotFile>(path.join(outDir, 'snapshots.json')),
        outDir,
        config,
        reused: true,
        trainSeconds: stamp.trainSeconds,
      };
    }
  }
  fs.rmSync(outDir, { recursive: true, force: true });
  const r = await train(config, { outDir, dataset: options.dataset, callbacks: options.callbacks });
  writeJsonAtomic(stampFile, { train: config, dataKey: options.dataKey, trainSeconds: r.trainSeconds } satisfies RunStamp);
  return {
    model: r.model,
    history: r.history,
    metrics: r.metrics,
    snapshots: readIf<SnapshotFile>(path.join(outDir, 'snapshots.json')),
    outDir,
    config,
    reused: false,
    trainSeconds: r.trainSeconds,
  };
}

/**
 * Trains (or reuses) the run of a notebook recipe. The `ours` run lives in out/shared/ so that
 * chapters 03, 04 and 05 share one training; every other run lives in the notebook's own folder.
 */
export async function recipeRun(
  session: NotebookSession,
  name: RecipeName,
  options: { overrides?: Partial<TrainConfig>; folder?: string; callbacks?: TrainCallbacks } = {},
): Promise<NotebookRun & { dataset: Dataset }> {
  const recipe = notebookRecipe(name, session.quick);
  const { dataset, dataKey } = recipeDataset(recipe);
  const mode = session.quick ? 'quick' : 'full';
  const folder = options.folder ?? (name === 'ours' ? path.join(path.dirname(session.outDir), 'shared', `ours-${mode}`) : path.join(session.outDir, `${name}-${mode}`));
  const run = await trainOrReuse(folder, { ...recipe.train, ...(options.overrides ?? {}) }, { dataset, dataKey, callbacks: options.callbacks ?? epochPrinter() });
  if (run.reused) console.log(`reused the finished run in ${path.isAbsolute(folder) ? folder : `notebooks/${folder}`} (same settings; WSOL_RETRAIN=1 trains again)`);
  return { ...run, dataset };
}

/** Callbacks that print one line per epoch. */
export function epochPrinter(prefix = ''): TrainCallbacks {
  return {
    onEpoch: (r) => console.log(`${prefix}${formatEpoch(r)}`),
  };
}
