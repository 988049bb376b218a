/**
 * When training has gone wrong: a non-finite loss, a loss that exploded, or non-finite weights.
 * Each is a TrainingDivergedError whose message names the last good checkpoint, so nothing broken
 * is ever saved or reported as a result.
 */
import type * as tfl from '@tensorflow/tfjs-layers';
import { describeNonFinite, nonFiniteWeights } from './finite-weights';

/** A loss this many times the run's first loss (or 1, when that was smaller) counts as divergence. */
export const LOSS_EXPLOSION_FACTOR = 1e6;

export class TrainingDivergedError extends Error {}

function lastGood(lastCheckpoint: string | null): string {
  return lastCheckpoint ? `Last good checkpoint: ${lastCheckpoint}. ` : 'No checkpoint was saved yet. ';
}

/** Throws when a step's loss is non-finite, or above LOSS_EXPLOSION_FACTOR times the first loss. */
export function checkLoss(
  loss: number,
  firstLoss: number,
  where: string,
  terms: Record<string, number>,
  lastCheckpoint: string | null,
): void {
  if (!Number.isFinite(loss)) {
    throw new TrainingDivergedError(
      `training diverged: loss is ${loss} at ${where} (terms ${JSON.stringify(terms)}); weights were not updated. ` +
        `${lastGood(lastCheckpoint)}Try a lower learning rate (--lr).`,
    );
  }
  const limit = LOSS_EXPLOSION_FACTOR * Math.max(1, Math.abs(firstLoss));
  if (loss > limit) {
    throw new TrainingDivergedError(
      `training diverged: loss ${loss.toExponential(3)} at ${where} is more than ${LOSS_EXPLOSION_FACTOR.toExponential(0)} times ` +
        `the first loss (${firstLoss.toFixed(4)}). ${lastGood(lastCheckpoint)}Try a lower learning rate (--lr).`,
    );
  }
}

/** Throws when any weight of `net` is NaN or infinite (checked before every save). */
export function checkFiniteWeights(net: tfl.LayersModel, where: string, lastCheckpoint: string | null): void {
  const r = nonFiniteWeights(net);
  if (r.count > 0) {
    throw new TrainingDivergedError(
      `training diverged: the weights hold ${describeNonFinite(r)} at ${where}; nothing was saved. ` +
        `${lastGood(lastCheckpoint)}Try a lower learning rate (--lr).`,
    );
  }
}
