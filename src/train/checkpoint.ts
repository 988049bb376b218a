/**
 * Checkpoints: model + optimizer slots + progress, in `<run>/checkpoints/ckpt-eNNNN-sSTEP/`.
 * A new checkpoint is written into a fresh directory and only then does the atomic
 * `latest.json` pointer move to it, so a kill at any moment leaves the previous one intact.
 * Loading checks what it reads: file sizes and SHA-256 digests (see fs-io-handler), finite
 * weights and optimizer slots, and a state.json whose fields make sense.
 */
import * as fs from 'fs';
import * as path from 'path';
import * as tf from '@tensorflow/tfjs-core';
import * as tfl from '@tensorflow/tfjs-layers';
import { readJson, writeJsonAtomic } from '../common/atomic-write';
import { makeDir } from '../common/make-dir';
import { fileSystemHandler, loadNamedTensors, saveNamedTensors } from './fs-io-handler';
import { describeNonFinite, nonFiniteValues, nonFiniteWeights } from './finite-weights';
import type { WsolOptimizer } from './optimizer';
import type { PartialEpoch } from './epoch-tally';
import type { EpochRecord } from './snapshot-types';

export interface TrainingProgress {
  /** Epochs fully completed. */
  epochsDone: number;
  /** Optimisation steps done (the next step's index). */
  step: number;
  /** Every random draw is derived from (seed, epoch, step, sample), so this is the whole RNG state. */
  rng: { seed: number; nextEpoch: number; nextStep: number };
  history: EpochRecord[];
  /** Loss of the run's first step: the reference for detecting a loss that explodes. */
  firstLoss?: number;
  /** Sums of the epoch in progress when the checkpoint was saved mid-epoch (absent at an epoch's end). */
  partialEpoch?: PartialEpoch;
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
  makeDir(dir);
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
  const { dir } = readJson<{ dir: unknown }>(pointer);
  // The pointer names one checkpoint folder of this run: a path elsewhere would load another run's weights.
  if (typeof dir !== 'string' || !/^ckpt-e\d+-s\d+$/.test(dir)) {
    throw new Error(`${pointer}: "dir" must name a checkpoint folder of this run (ckpt-eNNNN-sSTEP), got ${JSON.stringify(dir)}`);
  }
  const full = path.join(checkpointRoot(runDir), dir);
  const real = fs.existsSync(full) ? fs.realpathSync(full) : full;
  if (path.dirname(real) !== fs.realpathSync(checkpointRoot(runDir))) throw new Error(`${pointer} points to ${real}, outside the run's checkpoints folder`);
  if (!fs.existsSync(path.join(full, 'state.json'))) throw new Error(`${pointer} points to incomplete checkpoint ${full}`);
  return full;
}

/** Loads the model saved in `dir` (a checkpoint or a run's final model); refuses non-finite weights. */
export async function loadCheckpointNet(dir: string): Promise<tfl.LayersModel> {
  const net = await tfl.loadLayersModel(fileSystemHandler(dir));
  const bad = nonFiniteWeights(net);
  if (bad.count > 0) {
    net.dispose();
    throw new Error(`${path.join(dir, 'weights.bin')} holds ${describeNonFinite(bad)}: the model in ${dir} is unusable`);
  }
  return net;
}

function checkCount(file: string, field: string, v: unknown): number {
  if (!Number.isSafeInteger(v) || (v as number) < 0) throw new Error(`${file}: ${field} must be an integer >= 0, got ${JSON.stringify(v)}`);
  return v as number;
}

/** Restores optimizer slots and returns the saved progress. */
export function loadCheckpointState(dir: string, optimizer: WsolOptimizer): TrainingProgress {
  const file = path.join(dir, 'state.json');
  const state = readJson<TrainingProgress & { optimizerStep: number }>(file);
  checkCount(file, 'epochsDone', state.epochsDone);
  checkCount(file, 'step', state.step);
  checkCount(file, 'optimizerStep', state.optimizerStep);
  if (!Array.isArray(state.history) || state.history.length !== state.epochsDone) {
    throw new Error(`${file}: history must list one record per finished epoch (${state.epochsDone})`);
  }
  const slots = loadNamedTensors(dir, 'optimizer');
  try {
    const bad = nonFiniteValues(Object.entries(slots).map(([name, tensor]) => ({ name, tensor })));
    if (bad.count > 0) throw new Error(`${path.join(dir, 'optimizer.bin')} holds ${describeNonFinite(bad)}: the checkpoint ${dir} is unusable`);
    optimizer.setState({ step: state.optimizerStep, slots });
  } finally {
    tf.dispose(Object.values(slots));
  }
  const { optimizerStep: _unused, ...progress } = state;
  return progress;
}

/**
 * Checks that saved progress lies inside a run of `epochs` epochs of `stepsPerEpoch` steps: a step
 * beyond the end (or beyond its epoch) means the checkpoint belongs to another configuration.
 */
export function checkProgressFits(progress: TrainingProgress, stepsPerEpoch: number, epochs: number, dir: string): void {
  const file = path.join(dir, 'state.json');
  const { epochsDone, step } = progress;
  if (epochsDone > epochs) throw new Error(`${file}: ${epochsDone} epochs done, but the run has only ${epochs}`);
  const lo = epochsDone * stepsPerEpoch;
  const hi = Math.min(epochs, epochsDone + 1) * stepsPerEpoch;
  if (step < lo || step > hi) {
    throw new Error(
      `${file}: step ${step} does not fit ${epochsDone} finished epochs of ${stepsPerEpoch} steps (expected ${lo}..${hi}); ` +
        'the checkpoint belongs to another configuration or dataset',
    );
  }
  const partial = progress.partialEpoch;
  if (partial !== undefined) {
    const ok = typeof partial === 'object' && partial !== null && ['lossSum', 'correct', 'seen', 'seconds'].every((k) => typeof (partial as unknown as Record<string, unknown>)[k] === 'number');
    if (!ok || partial.steps !== step - lo) throw new Error(`${file}: partialEpoch must hold the sums of the ${step - lo} steps done in epoch ${epochsDone + 1}`);
  }
}
