/**
 * The run folder: what a training writes, how a folder is recognised as one of ours, and the
 * checks made before a training may write into it.
 *
 *   config.json       the resolved TrainConfig, the model config and the class names
 *   checkpoints/      ckpt-eNNNN-sSTEP/ (model.json, weights.bin, optimizer.*, state.json) + latest.json
 *   history.json      EpochRecord[]
 *   snapshots.json    SnapshotFile (probe maps over training, coverage per epoch)
 *   model/            the final model (model.json + weights.bin, loadable in a browser)
 *   metrics.json      final validation metrics
 *   train.lock        present while a training runs
 */
import * as fs from 'fs';
import * as path from 'path';
import { readJson, writeJsonAtomic } from '../common/atomic-write';
import { makeDir } from '../common/make-dir';
import { restoreModel, type ModelConfig } from '../method/registry';
import type { WsolModel } from '../method/wsol-model';
import { latestCheckpoint, loadCheckpointNet } from './checkpoint';
import type { TrainConfig } from './config';
import { checkRunFormat, runFormatFields } from './run-format';
import { LOCK_FILE, lockRunFolder } from './run-lock';

export const RUN_FILES = {
  config: 'config.json',
  history: 'history.json',
  snapshots: 'snapshots.json',
  model: 'model',
  metrics: 'metrics.json',
} as const;

export interface SavedRunConfig {
  train: TrainConfig;
  model: ModelConfig;
  classNames: string[];
  /** The run format (run-format.ts) and the version that wrote it; absent in runs saved before they were recorded. */
  format?: number;
  writtenBy?: string;
}

/** A config.json is ours when it has the three parts a training writes. */
function isSavedRunConfig(v: unknown): v is SavedRunConfig {
  const c = v as Partial<SavedRunConfig> | null;
  return typeof c === 'object' && c !== null && typeof c.train?.method === 'string' && typeof c.model?.method === 'string' && Array.isArray(c.classNames);
}

export function writeRunConfig(runDir: string, config: SavedRunConfig): void {
  writeJsonAtomic(path.join(runDir, RUN_FILES.config), { ...runFormatFields(), ...config });
}

export function readRunConfig(runDir: string): SavedRunConfig {
  const file = path.join(runDir, RUN_FILES.config);
  if (!fs.existsSync(file)) throw new Error(`${runDir} is not a training run (no config.json)`);
  const c = readJson<unknown>(file);
  checkRunFormat(file, c);
  if (!isSavedRunConfig(c)) throw new Error(`${file} is not the config of a wsol training run (no train, model and classNames)`);
  // Runs saved before the pretrained backbone existed started from seeded random weights.
  const train = c.train as unknown as Record<string, unknown>;
  if (train.backboneInit === undefined) train.backboneInit = 'scratch';
  return c;
}

/** Loads the final model of a run (or its latest checkpoint when training did not finish). */
export async function loadRunModel(runDir: string): Promise<{ model: WsolModel; config: SavedRunConfig }> {
  const config = readRunConfig(runDir);
  const finalDir = path.join(runDir, RUN_FILES.model);
  const dir = fs.existsSync(path.join(finalDir, 'model.json')) ? finalDir : latestCheckpoint(runDir);
  if (!dir) throw new Error(`${runDir} has neither a final model nor a checkpoint`);
  const net = await loadCheckpointNet(dir);
  return { model: restoreModel(config.model, net), config };
}

/** How a training treats what `outDir` already holds. */
export type ResumeMode = boolean | 'if-present';

/**
 * Makes sure a training may write into `outDir`, creating it when missing, and locks it. Refuses a
 * folder that is not empty and not a run of ours, a folder another training holds, a run that
 * already has a checkpoint unless resuming, and `resume: true` without a checkpoint.
 * Returns the checkpoint to resume from (or null) and the function that unlocks the folder.
 */
export function openRunFolder(
  outDir: string,
  resume: ResumeMode,
  train: TrainConfig,
  onLog?: (line: string) => void,
): { checkpoint: string | null; unlock: () => void } {
  makeDir(outDir);
  const unlock = lockRunFolder(outDir, onLog);
  try {
    return { checkpoint: checkRunFolder(outDir, resume, train), unlock };
  } catch (err) {
    unlock();
    throw err;
  }
}

function checkRunFolder(outDir: string, resume: ResumeMode, train: TrainConfig): string | null {
  const entries = fs.readdirSync(outDir).filter((e) => e !== LOCK_FILE);
  const configFile = path.join(outDir, RUN_FILES.config);
  let saved: SavedRunConfig | null = null;
  if (entries.length > 0) {
    const foreign = () =>
      new Error(`${outDir} is not empty and is not a wsol run folder (its config.json is not one a training wrote); choose a new or empty --out`);
    if (!fs.existsSync(configFile)) throw foreign();
    try {
      saved = readRunConfig(outDir);
    } catch {
      throw foreign();
    }
  }
  const ckpt = saved ? latestCheckpoint(outDir) : null;
  if (ckpt && !resume) {
    throw new Error(`${outDir} already holds a run (checkpoint ${path.basename(ckpt)}); use --resume or another --out`);
  }
  if (!ckpt && resume === true) {
    throw new Error(
      saved
        ? `--resume: the run in ${outDir} has no checkpoint yet (it stopped during its first epoch); start it again without --resume`
        : `--resume: ${outDir} holds no run to resume; start a new run without --resume`,
    );
  }
  if (ckpt && saved) {
    const diff = configDifferences(saved.train, train);
    if (diff.length > 0) throw new Error(mismatchMessage(outDir, resume, saved.train, train, diff));
  }
  return ckpt;
}

/** Config fields (dotted paths) whose values differ, with both values. */
export function configDifferences(was: unknown, now: unknown, prefix = ''): { field: string; was: unknown; now: unknown }[] {
  const isObject = (v: unknown): v is Record<string, unknown> => typeof v === 'object' && v !== null && !Array.isArray(v);
  if (isObject(was) && isObject(now)) {
    const keys = [...new Set([...Object.keys(was), ...Object.keys(now)])];
    return keys.flatMap((k) => configDifferences(was[k], now[k], prefix ? `${prefix}.${k}` : k));
  }
  return JSON.stringify(was) === JSON.stringify(now) ? [] : [{ field: prefix || '(config)', was, now }];
}

function mismatchMessage(outDir: string, resume: ResumeMode, was: TrainConfig, now: TrainConfig, diff: ReturnType<typeof configDifferences>): string {
  const show = (v: unknown) => (v === undefined ? 'unset' : JSON.stringify(v));
  const list = diff.map((d) => `${d.field} (run: ${show(d.was)}, now: ${show(d.now)})`).join('; ');
  if (diff.length === 1 && diff[0].field === 'epochs' && now.epochs > was.epochs) {
    // The learning-rate schedule spans the planned steps (cosine by default), so a longer run is
    // another run from its first step on: continuing would not give what --epochs promises.
    return (
      `${outDir} is a run of ${was.epochs} epochs and its learning-rate schedule (${was.schedule.name}) spans those steps; ` +
      `it cannot be extended to ${now.epochs} epochs without changing the steps already done. ` +
      `Train a new run with --epochs ${now.epochs} and another --out (or resume this one with --epochs ${was.epochs})`
    );
  }
  if (resume === true) {
    return `--resume: the options differ from the run's config.json in ${outDir}: ${list}. Resume with the run's own options (wsol train --out ${outDir} --resume alone uses them) or choose another --out`;
  }
  return `${outDir} holds a run trained with other options: ${list}; it is reused only with the same options, so choose another output folder`;
}
