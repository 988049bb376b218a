/** The running sums of one epoch, and the EpochRecord they make once validation is done. */
import type { LocalizationMetrics } from '../localize/localization-evaluator';
import type { EpochRecord } from './snapshot-types';
import type { StepResult } from './train-step';

/** The sums of an epoch stopped part way, saved in a mid-epoch checkpoint. */
export interface PartialEpoch {
  /** Steps trained in this epoch before the stop. */
  steps: number;
  lossSum: number;
  correct: number;
  seen: number;
  termSums: Record<string, number>;
  /** Images behind each term's sum (absent in checkpoints of older runs: every term then covers `seen`). */
  termSeen?: Record<string, number>;
  seconds: number;
}

export class EpochTally {
  readonly started = Date.now();
  /** Steps of this epoch handed out so far (skipped ones of a resumed epoch included). */
  stepInEpoch = 0;
  private lossSum: number;
  private correct: number;
  private seen: number;
  private readonly termSums: Record<string, number>;
  /** Images behind each term's sum: terms measured on some steps only (fuseGradShare) average over those. */
  private readonly termSeen: Record<string, number>;

  private readonly secondsBefore: number;

  /**
   * `skip`: steps of this epoch done before an interruption (their batches are passed over);
   * `before`: their sums, so the epoch's record covers all its steps.
   */
  constructor(readonly skip: number, before?: PartialEpoch) {
    if (before && before.steps !== skip) throw new Error(`the saved epoch sums cover ${before.steps} steps, but ${skip} were done`);
    this.lossSum = before?.lossSum ?? 0;
    this.correct = before?.correct ?? 0;
    this.seen = before?.seen ?? 0;
    this.termSums = { ...(before?.termSums ?? {}) };
    this.termSeen = { ...(before?.termSeen ?? Object.fromEntries(Object.keys(this.termSums).map((k) => [k, this.seen]))) };
    this.secondsBefore = before?.seconds ?? 0;
  }

  /** The sums so far, to save with a mid-epoch checkpoint. */
  partial(): PartialEpoch {
    return { steps: this.stepInEpoch, lossSum: this.lossSum, correct: this.correct, seen: this.seen, termSums: { ...this.termSums }, termSeen: { ...this.termSeen }, seconds: this.secondsBefore + (Date.now() - this.started) / 1000 };
  }

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
    const seconds = this.secondsBefore + (Date.now() - this.started) / 1000;
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
