/**
 * Checkpoints: model + optimizer slots + progress, in `<run>/checkpoints/ckpt-eNNNN/`.
 * A new checkpoint is written into a fresh directory and only then does the atomic
 * `latest.json` pointer move to it, so a kill at any moment leaves the previous one intact.
 */
import * as fs from 'fs';
import * as path from 'path';
import * as tf from '@tensorflow/tfjs-core';
import * as tfl from '@tensorflow/tfjs-layers';
import { readJson, writeJsonAtomic } from '../common/atomic-write';
import { fileSystemHandler, loadNamedTensors, saveNamedTensors } from './fs-io-handler';
import type { WsolOptimizer } from './optimizer';
import type { EpochRecord } from './snapshot-types';

export interface TrainingProgress {
  /** Epochs fully completed. */
  epochsDone: number;
  /** Optimisation steps done (the next step's index). */
  step: number;
  /** Every random draw is derived from (seed, epoch, step, sample), so this is the whole RNG state. */
  rng: { seed: number; nextEpoch: number; nextStep: number };
  history: EpochRecord[];
}

const CHECKPOINTS = 'checkpoints';
const LATEST = 'latest.json';
const KEEP = 2;

export function checkpointRoot(runDir: string): string {
  return path.join(runDir, CHECKPOINTS);
}

export async function saveCheckpoint(runDir: string, net: tfl.LayersModel, optimizer: WsolOptimizer, progress: TrainingProgress): Promise<string> {
  const root = checkpointRoot(runDir);
  const name = `ckpt-e${String(progress.epochsDone).padStart(4, '0')}-s${progress.step}`;
  const dir = path.join(root, name);
  fs.rmSync(dir, { recursive: true, force: true });
  fs.mkdirSync(dir, { recursive: true });
  await net.save(fileSystemHandler(dir));
  const opt = optimizer.getState();
  await saveNamedTensors(dir, 'optimizer', opt.slots);
  writeJsonAtomic(path.join(dir, 'state.json'), { ...progress, optimizerStep: opt.step });
  writeJsonAtomic(path.join(root, LATEST), { dir: name });
  pruneOld(root, name);
  return dir;
}

function pruneOld(root: string, keep: string): void {
  const all = fs.readdirSync(root).filter((d) => d.startsWith('ckpt-')).sort();
  const stale = all.filter((d) => d !== keep).slice(0, Math.max(0, all.length - KEEP));
  for (const d of stale) fs.rmSync(path.join(root, d), { recursive: true, force: true });
}

/** The latest complete checkpoint directory, or null when the run has none. */
export function latestCheckpoint(runDir: string): string | null {
  const pointer = path.join(checkpointRoot(runDir), LATEST);
  if (!fs.existsSync(pointer)) return null;
  const { dir } = readJson<{ dir: string }>(pointer);
  const full = path.join(checkpointRoot(runDir), dir);
  if (!fs.existsSync(path.join(full, 'state.json'))) throw new Error(`${pointer} points to incomplete checkpoint ${full}`);
  return full;
}

export async function loadCheckpointNet(dir: string): Promise<tfl.LayersModel> {
  return tfl.loadLayersModel(fileSystemHandler(dir));
}

/** Restores optimizer slots and returns the saved progress. */
export function loadCheckpointState(dir: string, optimizer: WsolOptimizer): TrainingProgress {
  const state = readJson<TrainingProgress & { optimizerStep: number }>(path.join(dir, 'state.json'));
  const slots = loadNamedTensors(dir, 'optimizer');
  optimizer.setState({ step: state.optimizerStep, slots });
  tf.dispose(Object.values(slots));
  const { optimizerStep: _unused, ...progress } = state;
  return progress;
}
