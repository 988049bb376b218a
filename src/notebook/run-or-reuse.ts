/**
 * Training from a notebook: a run folder per recipe, reused when a finished run with the same
 * settings is there (so re-running a notebook does not train again), resumed when the same run
 * stopped part-way, and emptied for new settings only when the notebook made it.
 */
import * as fs from 'fs';
import * as path from 'path';
import { readJson } from '../common/atomic-write';
import type { Dataset } from '../data/dataset';
import type { LocalizationMetrics } from '../localize/localization-evaluator';
import type { WsolModel } from '../method/wsol-model';
import { resolveTrainConfig, type TrainConfig } from '../train/config';
import { RUN_FILES } from '../train/run-folder';
import type { EpochRecord, SnapshotFile } from '../train/snapshot-types';
import { loadRunModel, TrainingSession, type TrainCallbacks } from '../train/trainer';
import { notebookRecipe, recipeDataset, type RecipeName } from './recipes';
import { clearForNewRun, folderInUse, lockWhenFree, readStamp, reusableRun, sameRun, sleep, writeStamp, type RunStamp } from './run-stamp';
import type { NotebookSession } from './session';

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

export interface RunData {
  dataset: Dataset;
  /** Tells runs on other data apart (the config names only the dataset). */
  dataKey: string;
  callbacks?: TrainCallbacks;
}

const readIf = <T>(file: string): T | null => (fs.existsSync(file) ? readJson<T>(file) : null);

/** What a finished run folder holds, as a NotebookRun (the model and the files the trainer wrote). */
export function finishedRun(outDir: string, model: WsolModel, config: TrainConfig, reused: boolean, trainSeconds: number): NotebookRun {
  return {
    model,
    history: readJson<EpochRecord[]>(path.join(outDir, RUN_FILES.history)),
    metrics: readIf<LocalizationMetrics>(path.join(outDir, RUN_FILES.metrics)),
    snapshots: readIf<SnapshotFile>(path.join(outDir, RUN_FILES.snapshots)),
    outDir,
    config,
    reused,
    trainSeconds,
  };
}

export type OpenedRun = { kind: 'reused'; run: NotebookRun; stamp: RunStamp } | { kind: 'session'; session: TrainingSession };

/**
 * Loads the finished run in `outDir` when its settings and data match, else opens a training
 * session there: resuming the same run when it stopped part-way, starting afresh otherwise (the
 * folder emptied only when the notebook made it). Waits while another process trains into it.
 */
export async function openNotebookRun(outDir: string, config: TrainConfig, data: RunData): Promise<OpenedRun> {
  for (;;) {
    const release = await lockWhenFree(outDir);
    try {
      const stamp = reusableRun(outDir, config, data.dataKey);
      if (stamp) {
        const { model } = await loadRunModel(outDir);
        return { kind: 'reused', run: finishedRun(outDir, model, config, true, stamp.trainSeconds), stamp };
      }
      const current = readStamp(outDir);
      const resumable = process.env.WSOL_RETRAIN !== '1' && sameRun(current, config, data.dataKey) && current.finished === false;
      if (!resumable) clearForNewRun(outDir);
    } finally {
      release();
    }
    try {
      const session = await TrainingSession.open(config, { outDir, dataset: data.dataset, callbacks: data.callbacks, resume: 'if-present' });
      const current = readStamp(outDir);
      if (!sameRun(current, config, data.dataKey)) writeStamp(outDir, { train: config, dataKey: data.dataKey, finished: false, trainSeconds: 0 });
      return { kind: 'session', session };
    } catch (err) {
      if (!folderInUse(err)) throw err;
      await sleep(200); // another kernel took the folder meanwhile: look again once it is done
    }
  }
}

/** Marks a session's run finished (saves the model and metrics) and closes the session. */
export async function finishNotebookRun(session: TrainingSession, dataKey: string, earlierSeconds = 0): Promise<NotebookRun> {
  await session.finish();
  const trainSeconds = earlierSeconds + (Date.now() - session.startedAt) / 1000;
  writeStamp(session.outDir, { train: session.config, dataKey, finished: true, trainSeconds });
  session.close();
  return finishedRun(session.outDir, session.model, session.config, false, trainSeconds);
}

/**
 * Trains into `outDir`, or loads the finished run already there when it was made with the same
 * config and data (set WSOL_RETRAIN=1 to always train).
 */
export async function trainOrReuse(outDir: string, partial: Partial<TrainConfig>, data: RunData): Promise<NotebookRun> {
  const config = resolveTrainConfig(partial);
  const opened = await openNotebookRun(outDir, config, data);
  if (opened.kind === 'reused') return opened.run;
  const { session } = opened;
  try {
    while (!session.done) await session.runEpoch();
    return await finishNotebookRun(session, data.dataKey);
  } catch (err) {
    session.close();
    session.model.net.dispose();
    throw err;
  }
}

/**
 * The folder of a recipe's run: the `ours` run lives in out/shared/ so that chapters 03, 04 and 05
 * share one training; every other run lives in the notebook's own folder.
 */
export function recipeFolder(session: NotebookSession, name: RecipeName, folder?: string): string {
  const mode = session.quick ? 'quick' : 'full';
  return folder ?? (name === 'ours' ? path.join(path.dirname(session.outDir), 'shared', `ours-${mode}`) : path.join(session.outDir, `${name}-${mode}`));
}

export const shownPath = (folder: string) => (path.isAbsolute(folder) ? folder : `notebooks/${folder}`);

/** Trains (or reuses) the run of a notebook recipe, printing one line per epoch. */
export async function recipeRun(
  session: NotebookSession,
  name: RecipeName,
  options: { overrides?: Partial<TrainConfig>; folder?: string; callbacks?: TrainCallbacks } = {},
): Promise<NotebookRun & { dataset: Dataset }> {
  const recipe = notebookRecipe(name, session.quick);
  const { dataset, dataKey } = recipeDataset(recipe);
  const folder = recipeFolder(session, name, options.folder);
  const run = await trainOrReuse(folder, { ...recipe.train, ...(options.overrides ?? {}) }, { dataset, dataKey, callbacks: options.callbacks ?? epochPrinter() });
  if (run.reused) console.log(`reused the finished run in ${shownPath(folder)} (same settings; WSOL_RETRAIN=1 trains again)`);
  return { ...run, dataset };
}

/** One line for a finished epoch. */
export const epochLine = (r: EpochRecord): string =>
  `epoch ${r.epoch}: loss ${r.loss.toFixed(3)}, val Top-1 Cls ${r.valTop1Cls.toFixed(1)}%, GT-known Loc ${r.valGtKnownLoc.toFixed(1)}%, MaxBoxAccV2 ${r.valMaxBoxAccV2.toFixed(1)}% (${r.seconds.toFixed(0)} s)`;

/** Callbacks that print one line per epoch. */
export function epochPrinter(prefix = ''): TrainCallbacks {
  return { onEpoch: (r) => console.log(prefix + epochLine(r)) };
}
