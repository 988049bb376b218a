/**
 * The classic WSOL numbers (CAM, HaS, ACoL, ADL papers), all from the GROUND-TRUTH class map:
 * - GT-known Loc: the largest region's box has IoU >= 0.5 with a GT box;
 * - Top-1 Loc: GT-known correct AND the GT class is ranked first;
 * - Top-5 Loc: GT-known correct AND the GT class is among the five best scores;
 * - Top-1 / Top-5 Cls: classification alone.
 * Each is given at a fixed CAM threshold (as those papers do) and at the threshold that
 * maximises GT-known Loc over the split (which makes GT-known Loc equal MaxBoxAcc).
 */
import type { Box, ScoreMap } from '../common/box';
import { checkBox } from './boxes';
import { argmax, checkIouThreshold } from './box-evaluator';
import type { BoxConvention } from './connected-regions';
import { checkNormalizedMap, DEFAULT_CAM_THRESHOLD, DEFAULT_THRESHOLD_STEP, thresholdList } from './score-map';
import { sweepBoxes, type SweepResult } from './threshold-sweep';

export interface ClassicLocOptions {
  thresholdStep: number;
  /** The fixed CAM threshold (papers use 0.15-0.2 on min-max normalised maps). */
  fixedThreshold: number;
  iou: number;
  boxConvention: BoxConvention;
}

export const DEFAULT_CLASSIC_LOC: ClassicLocOptions = {
  thresholdStep: DEFAULT_THRESHOLD_STEP,
  fixedThreshold: DEFAULT_CAM_THRESHOLD,
  iou: 0.5,
  boxConvention: 'wsolevaluation',
};

/** Accuracies in percent. */
export interface ClassicLocResult {
  count: number;
  top1Cls: number;
  top5Cls: number;
  fixed: { threshold: number; gtKnownLoc: number; top1Loc: number; top5Loc: number };
  best: { threshold: number; gtKnownLoc: number; top1Loc: number; top5Loc: number };
  curves: { thresholds: number[]; gtKnown: number[]; top1Loc: number[]; top5Loc: number[] };
}

export class ClassicLocEvaluator {
  readonly options: ClassicLocOptions;
  /** The grid thresholds. */
  readonly thresholds: number[];
  /** What a sweep given to accumulateSweep must cover: the grid, then the fixed threshold. */
  readonly sweepThresholds: number[];
  private count = 0;
  private top1 = 0;
  private top5 = 0;
  // Index n (one past the grid) holds the fixed threshold.
  private gtKnown: Float64Array;
  private top1Loc: Float64Array;
  private top5Loc: Float64Array;

  constructor(options: Partial<ClassicLocOptions> = {}) {
    this.options = { ...DEFAULT_CLASSIC_LOC, ...options };
    const t = this.options.fixedThreshold;
    if (!(t >= 0 && t < 1)) throw new Error(`fixedThreshold must be in [0, 1), got ${t}`);
    checkIouThreshold(this.options.iou, 'iou');
    this.thresholds = thresholdList(this.options.thresholdStep);
    this.sweepThresholds = [...this.thresholds, t];
    const n = this.sweepThresholds.length;
    this.gtKnown = new Float64Array(n);
    this.top1Loc = new Float64Array(n);
    this.top5Loc = new Float64Array(n);
  }

  /** One image: the GT-class map (image size, normalised), GT boxes, rank of the GT class (0 = top-1). */
  accumulate(map: ScoreMap, gtBoxes: Box[], gtRank: number): SweepResult {
    const where = `ClassicLocEvaluator sample ${this.count}`;
    checkNormalizedMap(map, `${where}: map`);
    if (gtBoxes.length === 0) throw new Error(`${where}: gtBoxes is empty`);
    gtBoxes.forEach((b, i) => checkBox(b, map.width, map.height, `${where}: gtBoxes[${i}]`));
    const sweep = sweepBoxes(map, this.sweepThresholds, gtBoxes, this.options.boxConvention);
    this.accumulateSweep(sweep, gtRank);
    return sweep;
  }

  /** One image from a sweep computed over this.sweepThresholds. */
  accumulateSweep(sweep: SweepResult, gtRank: number): void {
    if (!(Number.isInteger(gtRank) && gtRank >= 0)) throw new Error(`ClassicLocEvaluator sample ${this.count}: gtRank must be an integer >= 0, got ${gtRank}`);
    const n = this.sweepThresholds.length;
    if (sweep.largestIou.length !== n) throw new Error(`ClassicLocEvaluator: the sweep has ${sweep.largestIou.length} thresholds, expected ${n}`);
    this.count++;
    if (gtRank === 0) this.top1++;
    if (gtRank < 5) this.top5++;
    for (let i = 0; i < n; i++) {
      if (sweep.largestIou[i] < this.options.iou) continue;
      this.gtKnown[i]++;
      if (gtRank === 0) this.top1Loc[i]++;
      if (gtRank < 5) this.top5Loc[i]++;
    }
  }

  compute(): ClassicLocResult {
    if (this.count === 0) throw new Error('ClassicLocEvaluator.compute(): no sample was accumulated');
    const pct = (v: number) => (100 * v) / this.count;
    const n = this.thresholds.length;
    const grid = (a: Float64Array) => Array.from(a.subarray(0, n), pct);
    const at = (i: number) => ({
      threshold: this.sweepThresholds[i],
      gtKnownLoc: pct(this.gtKnown[i]),
      top1Loc: pct(this.top1Loc[i]),
      top5Loc: pct(this.top5Loc[i]),
    });
    return {
      count: this.count,
      top1Cls: pct(this.top1),
      top5Cls: pct(this.top5),
      fixed: at(n),
      best: at(argmax(this.gtKnown.subarray(0, n))),
      curves: { thresholds: [...this.thresholds], gtKnown: grid(this.gtKnown), top1Loc: grid(this.top1Loc), top5Loc: grid(this.top5Loc) },
    };
  }
}
