/**
 * Formats progress lines: one per step, one per finished epoch, one for a set of metrics. The trainer
 * reports numbers; the CLI and the notebooks print these lines, so every place reads the same.
 */
import type { LocalizationMetrics } from '../localize/localization-evaluator';
import type { EpochRecord } from './snapshot-types';

export interface StepInfo {
  epoch: number;
  epochs: number;
  stepInEpoch: number;
  stepsPerEpoch: number;
  step: number;
  loss: number;
  accuracy: number;
  imagesPerSec: number;
  learningRate: number;
}

export function formatProgress(s: StepInfo, width = 24): string {
  const frac = s.stepsPerEpoch > 0 ? s.stepInEpoch / s.stepsPerEpoch : 0;
  const filled = Math.round(frac * width);
  const bar = '#'.repeat(filled) + '.'.repeat(width - filled);
  return (
    `epoch ${s.epoch + 1}/${s.epochs} [${bar}] ${s.stepInEpoch}/${s.stepsPerEpoch} ` +
    `loss ${s.loss.toFixed(4)} acc ${(100 * s.accuracy).toFixed(1)}% ${s.imagesPerSec.toFixed(1)} img/s lr ${s.learningRate.toExponential(2)}`
  );
}

const pct = (v: number | null) => (v === null || !Number.isFinite(v) ? 'n/a' : v.toFixed(1));

/** One line with the headline numbers (percent). */
export function metricsSummary(m: LocalizationMetrics): string {
  return (
    `Top-1 Cls ${pct(m.top1Cls)}  Top-1 Loc ${pct(m.top1Loc)}  GT-known Loc ${pct(m.gtKnownLoc)}  ` +
    `MaxBoxAcc ${pct(m.maxBoxAcc)}  MaxBoxAccV2 ${pct(m.maxBoxAccV2)}  PxAP ${pct(m.pxap)}`
  );
}

/**
 * The line of a finished epoch: its loss, the validation numbers (all of them when `val` is given,
 * else the three the record keeps) and how long it took.
 */
export function formatEpoch(rec: EpochRecord, val?: LocalizationMetrics): string {
  const numbers = val ? metricsSummary(val) : `Top-1 Cls ${pct(rec.valTop1Cls)}  GT-known Loc ${pct(rec.valGtKnownLoc)}  MaxBoxAccV2 ${pct(rec.valMaxBoxAccV2)}`;
  return `epoch ${rec.epoch}: loss ${rec.loss.toFixed(4)}, val ${numbers} (${rec.seconds.toFixed(1)} s)`;
}
