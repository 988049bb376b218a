/**
 * MaxBoxAcc and MaxBoxAccV2 (Choe et al., "Evaluating WSOL Right", CVPR 2020).
 *
 * For every CAM threshold of the grid, an image is correct at IoU threshold d when a box from
 * its thresholded map reaches IoU >= d with ANY of its GT boxes. The accuracy curve is
 * accumulated over the split and its maximum over CAM thresholds is reported:
 * - MaxBoxAcc: box of the largest region only, d = 0.5;
 * - MaxBoxAccV2: boxes of all regions, mean over d in {0.3, 0.5, 0.7} of each d's maximum
 *   (each d picks its own best CAM threshold).
 */
import type { Box, ScoreMap } from '../common/box';
import { checkBox } from './boxes';
import type { BoxConvention } from './connected-regions';
import { checkNormalizedMap, DEFAULT_THRESHOLD_STEP, thresholdList } from './score-map';
import { sweepBoxes, type SweepResult } from './threshold-sweep';

export interface BoxEvaluatorOptions {
  /** Step of the CAM threshold grid 0, step, ... < 1 (wsolevaluation's cam_curve_interval). */
  thresholdStep: number;
  /** IoU thresholds averaged by MaxBoxAccV2. */
  iouThresholds: number[];
  /** IoU threshold of MaxBoxAcc (largest region). */
  maxBoxAccIou: number;
  boxConvention: BoxConvention;
}

export const DEFAULT_BOX_EVALUATOR: BoxEvaluatorOptions = {
  thresholdStep: DEFAULT_THRESHOLD_STEP,
  iouThresholds: [0.3, 0.5, 0.7],
  maxBoxAccIou: 0.5,
  boxConvention: 'wsolevaluation',
};

export interface BoxAccuracy {
  count: number;
  /** Percent. */
  maxBoxAcc: number;
  maxBoxAccThreshold: number;
  /** Percent: mean of perIou[].accuracy. */
  maxBoxAccV2: number;
  perIou: { iou: number; accuracy: number; threshold: number }[];
  curves: {
    thresholds: number[];
    /** Accuracy (%) per CAM threshold, largest region at maxBoxAccIou. */
    largest: number[];
    /** Per IoU threshold: accuracy (%) per CAM threshold, all regions. */
    allRegions: number[][];
  };
}

/** Index of the first maximum (wsolevaluation's np.argmax picks the first too). */
export function argmax(a: ArrayLike<number>): number {
  let best = 0;
  for (let i = 1; i < a.length; i++) if (a[i] > a[best]) best = i;
  return best;
}

export function checkIouThreshold(v: number, what: string): void {
  if (!(v > 0 && v <= 1)) throw new Error(`${what} must be in (0, 1], got ${v}`);
}

export class BoxEvaluator {
  readonly options: BoxEvaluatorOptions;
  /** The CAM thresholds; a sweep given to accumulateSweep must start with these. */
  readonly thresholds: number[];
  private count = 0;
  private largestCorrect: Float64Array;
  private anyCorrect: Float64Array[];

  constructor(options: Partial<BoxEvaluatorOptions> = {}) {
    this.options = { ...DEFAULT_BOX_EVALUATOR, ...options };
    this.thresholds = thresholdList(this.options.thresholdStep);
    checkIouThreshold(this.options.maxBoxAccIou, 'maxBoxAccIou');
    if (this.options.iouThresholds.length === 0) throw new Error('iouThresholds must not be empty');
    this.options.iouThresholds.forEach((v, i) => checkIouThreshold(v, `iouThresholds[${i}]`));
    this.largestCorrect = new Float64Array(this.thresholds.length);
    this.anyCorrect = this.options.iouThresholds.map(() => new Float64Array(this.thresholds.length));
  }

  /** One image: a map already at image size and normalised to [0, 1], and its GT boxes. */
  accumulate(map: ScoreMap, gtBoxes: Box[]): SweepResult {
    const where = `BoxEvaluator sample ${this.count}`;
    checkNormalizedMap(map, `${where}: map`);
    if (gtBoxes.length === 0) throw new Error(`${where}: gtBoxes is empty`);
    gtBoxes.forEach((b, i) => checkBox(b, map.width, map.height, `${where}: gtBoxes[${i}]`));
    const sweep = sweepBoxes(map, this.thresholds, gtBoxes, this.options.boxConvention);
    this.accumulateSweep(sweep);
    return sweep;
  }

  /** One image from a sweep already computed over thresholds that start with this.thresholds. */
  accumulateSweep(sweep: SweepResult): void {
    if (sweep.largestIou.length < this.thresholds.length) {
      throw new Error(`BoxEvaluator: the sweep has ${sweep.largestIou.length} thresholds, expected at least ${this.thresholds.length}`);
    }
    const d0 = this.options.maxBoxAccIou;
    const ious = this.options.iouThresholds;
    for (let i = 0; i < this.thresholds.length; i++) {
      if (sweep.largestIou[i] >= d0) this.largestCorrect[i]++;
      const a = sweep.anyIou[i];
      for (let k = 0; k < ious.length; k++) if (a >= ious[k]) this.anyCorrect[k][i]++;
    }
    this.count++;
  }

  compute(): BoxAccuracy {
    if (this.count === 0) throw new Error('BoxEvaluator.compute(): no sample was accumulated');
    const pct = (v: number) => (100 * v) / this.count;
    const best = argmax(this.largestCorrect);
    const perIou = this.anyCorrect.map((a, k) => {
      const i = argmax(a);
      return { iou: this.options.iouThresholds[k], accuracy: pct(a[i]), threshold: this.thresholds[i] };
    });
    return {
      count: this.count,
      maxBoxAcc: pct(this.largestCorrect[best]),
      maxBoxAccThreshold: this.thresholds[best],
      maxBoxAccV2: perIou.reduce((s, p) => s + p.accuracy, 0) / perIou.length,
      perIou,
      curves: {
        thresholds: [...this.thresholds],
        largest: Array.from(this.largestCorrect, pct),
        allRegions: this.anyCorrect.map((a) => Array.from(a, pct)),
      },
    };
  }
}
