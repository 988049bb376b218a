/** The running sums of one epoch, and the EpochRecord they make once validation is done. */
import type { LocalizationMetrics } from '../localize/localization-evaluator';
import type { EpochRecord } from './snapshot-types';
import type { StepResult } from './train-step';

export class EpochTally {
  readonly started = Date.now();
  /** Steps of this epoch handed out so far (skipped ones of a resumed epoch included). */
  stepInEpoch = 0;
  private lossSum = 0;
  private correct = 0;
  private seen = 0;
  private readonly termSums: Record<string, number> = {};
  /** Images behind each term's sum: terms measured on some steps only (fuseGradShare) average over those. */
  private readonly termSeen: Record<string, number> = {};

  /** `skip`: steps of this epoch done before an interruption (their batches are passed over). */
  constructor(readonly skip: number) {}

  /** Whether the next batch was already trained on before an interruption. */
  get skipping(): boolean {
    return this.stepInEpoch < this.skip;
  }

  passOver(): void {
    this.stepInEpoch++;
  }

  /** Adds one step on a batch of `n` images. */
  add(r: StepResult, n: number): void {
    this.stepInEpoch++;
    this.lossSum += r.loss * n;
    this.seen += n;
    if (Number.isFinite(r.correct)) this.correct += r.correct;
    for (const [k, v] of Object.entries(r.terms)) {
      this.termSums[k] = (this.termSums[k] ?? 0) + v * n;
      this.termSeen[k] = (this.termSeen[k] ?? 0) + n;
    }
  }

  /** The record of epoch `epoch` (1-based), ended at global step `steps`, with its validation metrics. */
  record(epoch: number, steps: number, metrics: LocalizationMetrics): EpochRecord {
    const seconds = (Date.now() - this.started) / 1000;
    const terms: Record<string, number> = {};
    for (const [k, v] of Object.entries(this.termSums)) terms[k] = v / Math.max(1, this.termSeen[k] ?? 0);
    return {
      epoch,
      steps,
      loss: this.lossSum / Math.max(1, this.seen),
      terms,
      trainAcc: this.seen > 0 && Number.isFinite(this.correct) ? (100 * this.correct) / this.seen : NaN,
      valTop1Cls: metrics.top1Cls,
      valGtKnownLoc: metrics.gtKnownLoc,
      valMaxBoxAccV2: metrics.maxBoxAccV2,
      imagesPerSec: this.seen / Math.max(1e-3, seconds),
      seconds,
    };
  }
}
