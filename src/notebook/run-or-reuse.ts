/**
 * Training from a notebook: a folder per recipe, reused when a finished run with the same
 * settings is there (so re-running a notebook does not train again), resumed when the same run
 * stopped part-way, replaced for new settings only when a notebook run made it (see notebook-folder.ts).
 */
import * as fs from 'fs';
import * as path from 'path';
import { readJson } from '../common/atomic-write';
import type { Dataset } from '../data/dataset';
import type { LocalizationMetrics } from '../localize/localization-evaluator';
import type { WsolModel } from '../method/wsol-model';
import { resolveTrainConfig, type TrainConfig } from '../train/config';
import { formatEpoch } from '../train/progress';
import { RUN_FILES } from '../train/run-folder';
import type { EpochRecord, SnapshotFile } from '../train/snapshot-types';
import { loadRunModel, TrainingSession, type TrainCallbacks } from '../train/trainer';
import { notebookRecipe, recipeDataset, type RecipeName } from './recipes';
import type { OutputFolder } from '../common/output-folder';
import { recordBranchCoverage } from './branch-coverage-run';
import { openNotebookFolder, readStamp, writeStamp } from './notebook-folder';
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

export type OpenedRun =
  | { kind: 'reused'; run: NotebookRun }
  | { kind: 'session'; session: TrainingSession; output: OutputFolder };

/**
 * Loads the finished run in `folder` when its settings and data match, else opens a training
 * session there: resuming the same run when it stopped part-way, starting afresh otherwise.
 * Waits while another process trains into it; refuses a folder the notebook did not make.
 */
export async function openNotebookRun(folder: string, config: TrainConfig, data: RunData): Promise<OpenedRun> {
  const { output, runDir, finished } = await openNotebookFolder(folder, config, data.dataKey);
  try {
    if (finished) {
      const { model } = await loadRunModel(runDir);
      output.close();
      return { kind: 'reused', run: finishedRun(runDir, model, config, true, readStamp(runDir)?.trainSeconds ?? 0) };
    }
    const session = await TrainingSession.open(config, { outDir: runDir, dataset: data.dataset, callbacks: data.callbacks, resume: 'if-present' });
    try {
      if (session.progress.step === 0) await recordBranchCoverage(session); // the untrained start, epoch 0
    } catch (err) {
      session.close();
      session.model.net.dispose();
      throw err;
    }
    return { kind: 'session', session, output };
  } catch (err) {
    output.close();
    throw err;
  }
}

/** Saves the final model and metrics, marks the folder's run complete and closes the session. */
export async function finishNotebookRun(session: TrainingSession, output: OutputFolder, earlierSeconds = 0): Promise<NotebookRun> {
  await session.finish();
  const trainSeconds = earlierSeconds + (Date.now() - session.startedAt) / 1000;
  writeStamp(session.outDir, { trainSeconds });
  session.close();
  output.finish();
  return finishedRun(session.outDir, session.model, session.config, false, trainSeconds);
}

/**
 * Trains into `folder`, or loads the finished run already there when it was made with the same
 * config and data (set WSOL_RETRAIN=1 to always train). The run's files are in `run.outDir`.
 */
export async function trainOrReuse(folder: string, partial: Partial<TrainConfig>, data: RunData): Promise<NotebookRun> {
  const config = resolveTrainConfig(partial);
  const opened = await openNotebookRun(folder, config, data);
  if (opened.kind === 'reused') return opened.run;
  const { session, output } = opened;
  try {
    while (!session.done) {
      await session.runEpoch();
      await recordBranchCoverage(session);
    }
    return await finishNotebookRun(session, output);
  } catch (err) {
    session.close();
    output.close();
    session.model.net.dispose();
    throw err;
  }
}

/**
 * The folder of a recipe's run: the `ours` run lives in out/shared/ so that chapters 03, 04 and 05
 * share one training; every other run lives in the notebook's own folder.
 */
export function recipeFolder(session: NotebookSession, name: RecipeName, folder?: string): string {
  const mode = session.mode;
  return folder ?? (name === 'ours' ? path.join(path.dirname(session.outDir), 'shared', `ours-${mode}`) : path.join(session.outDir, `${name}-${mode}`));
}

export const shownPath = (folder: string) => (path.isAbsolute(folder) ? folder : `notebooks/${folder}`);

/** Trains (or reuses) the run of a notebook recipe, printing one line per epoch. */
export async function recipeRun(
  session: NotebookSession,
  name: RecipeName,
  options: { overrides?: Partial<TrainConfig>; folder?: string; callbacks?: TrainCallbacks } = {},
): Promise<NotebookRun & { dataset: Dataset }> {
  const recipe = notebookRecipe(name, session.mode);
  const { dataset, dataKey } = recipeDataset(recipe);
  const folder = recipeFolder(session, name, options.folder);
  const run = await trainOrReuse(folder, { ...recipe.train, ...(options.overrides ?? {}) }, { dataset, dataKey, callbacks: options.callbacks ?? epochPrinter() });
  if (run.reused) console.log(`reused the finished run in ${shownPath(folder)} (same settings; WSOL_RETRAIN=1 trains again)`);
  return { ...run, dataset };
}

/** One line for a finished epoch (the same line as wsol train's). */
export const epochLine = (r: EpochRecord): string => formatEpoch(r);

/** Callbacks that print one line per epoch (or per `every` epochs). */
export function epochPrinter(prefix = '', every = 1): TrainCallbacks {
  // With `every` > 1: the first epoch and every `every`-th (long runs of small data print a few lines).
  return { onEpoch: (r) => (every <= 1 || r.epoch === 1 || r.epoch % every === 0 ? console.log(prefix + epochLine(r)) : undefined) };
}
