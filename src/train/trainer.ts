/**
 * `train()`: one whole training run (seeded, resumable, with validation each epoch, teaching
 * snapshots and divergence checks) as one call. It drives a TrainingSession epoch by epoch; the
 * run folder's layout is described in run-folder.ts.
 */
import type { LocalizationMetrics } from '../localize/localization-evaluator';
import type { WsolModel } from '../method/wsol-model';
import type { DeepPartial, TrainConfig } from './config';
import type { EpochRecord } from './snapshot-types';
import { TrainingSession, type SessionOptions } from './training-session';

export { TrainingDivergedError } from './divergence';
export { loadRunModel, readRunConfig, type SavedRunConfig } from './run-folder';
export { modelConfigFor, TrainingSession, type SessionOptions, type TrainCallbacks } from './training-session';

export interface TrainOptions extends SessionOptions {
  /** Polled after every step; when true the trainer checkpoints and returns early. */
  shouldStop?: () => boolean;
}

export interface TrainResult {
  model: WsolModel;
  /** The config the run used: every default filled in and checked. */
  config: TrainConfig;
  history: EpochRecord[];
  metrics: LocalizationMetrics | null;
  outDir: string;
  stopped: boolean;
  trainSeconds: number;
  /** Images left out because they were missing or undecodable (with `skipBad`). */
  skippedImages: number;
}

export async function train(partial: DeepPartial<TrainConfig>, opts: TrainOptions): Promise<TrainResult> {
  const session = await TrainingSession.open(partial, opts);
  let stopped = false;
  try {
    while (!session.done && !stopped) stopped = (await session.runEpoch(opts.shouldStop)) === null;
    if (!stopped) await session.finish();
  } catch (err) {
    session.model.net.dispose();
    throw err;
  } finally {
    session.close();
  }
  return {
    model: session.model,
    config: session.config,
    history: session.history,
    metrics: session.metrics,
    outDir: session.outDir,
    stopped,
    trainSeconds: (Date.now() - session.startedAt) / 1000,
    skippedImages: session.dataset.skipped?.size ?? 0,
  };
}
