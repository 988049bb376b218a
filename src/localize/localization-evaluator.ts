/**
 * Accumulators for the WSOL metrics (all accuracies in percent):
 * - MaxBoxAcc: IoU >= 0.5 with the largest region's box, best CAM threshold over the split.
 * - MaxBoxAccV2: mean over IoU {0.3, 0.5, 0.7} of the best-threshold accuracy, boxes of all regions.
 * - PxAP: area under the pixel precision-recall curve (when masks exist).
 * - Classic: GT-known Loc (IoU >= 0.5 with the GT-class map), Top-1 Loc (also top-1 class right),
 *   Top-5 Loc (GT class among the top 5), at a fixed threshold and at the best one; Top-1/5 Cls.
 */
import type { Box, ScoreMap } from '../common/box';
import { checkBox } from './boxes';
import { normalizeScoreMap, resizeScoreMap, thresholdList } from './score-map';
import { sweepBoxes, type BoxConvention } from './threshold-sweep';

export interface EvaluatorOptions {
  /** Threshold step of the sweep (0.01 as wsolevaluation). */
  thresholdStep: number;
  /** Fixed CAM threshold for the classic numbers. */
  fixedThreshold: number;
  iouThresholds: number[];
  boxConvention: BoxConvention;
}

export const DEFAULT_EVALUATOR: EvaluatorOptions = {
  thresholdStep: 0.01,
  fixedThreshold: 0.2,
  iouThresholds: [0.3, 0.5, 0.7],
  boxConvention: 'wsolevaluation',
};

export interface EvalSample {
  /** Map of the ground-truth class, any resolution (resized to the image size and normalised here). */
  map: ScoreMap;
  imageWidth: number;
  imageHeight: number;
  gtBoxes: Box[];
  /** Rank of the GT class among the predicted scores (0 = top-1). */
  gtRank: number;
  /** Binary mask (imageWidth * imageHeight) for PxAP, or null. */
  mask?: Uint8Array | null;
}

export interface LocalizationMetrics {
  count: number;
  top1Cls: number;
  top5Cls: number;
  /** Classic metrics at the fixed threshold. */
  gtKnownLoc: number;
  top1Loc: number;
  top5Loc: number;
  /** Classic metrics at the best threshold over the split (GT-known's best). */
  gtKnownLocBest: number;
  top1LocBest: number;
  top5LocBest: number;
  maxBoxAcc: number;
  maxBoxAccV2: number;
  /** Per IoU threshold (as given): best accuracy over CAM thresholds, all regions. */
  maxBoxAccV2PerIou: number[];
  pxap: number | null;
  thresholds: {
    fixed: number;
    /** Best CAM threshold for MaxBoxAcc (= GT-known Loc's best). */
    maxBoxAcc: number;
    /** Best CAM threshold per IoU threshold for MaxBoxAccV2. */
    maxBoxAccV2: number[];
  };
  curves: {
    thresholds: number[];
    /** GT-known accuracy (%) per CAM threshold (largest region, IoU 0.5). */
    gtKnown: number[];
    /** Per IoU threshold, accuracy (%) per CAM threshold with all regions. */
    boxAccV2: number[][];
    /** Pixel precision / recall per threshold (empty without masks). */
    precision: number[];
    recall: number[];
  };
}

export class LocalizationEvaluator {
  readonly options: EvaluatorOptions;
  readonly thresholds: number[];
  private count = 0;
  private top1 = 0;
  private top5 = 0;
  private largestCorrect: Float64Array;
  private top1Correct: Float64Array;
  private top5Correct: Float64Array;
  private anyCorrect: Float64Array[];
  private fixedIndex: number;
  // PxAP histograms over bins [t_i, t_{i+1}), ..., [1, 2), [2, 3): as wsolevaluation.
  private trueHist: Float64Array;
  private falseHist: Float64Array;
  private masked = 0;

  constructor(options: Partial<EvaluatorOptions> = {}) {
    this.options = { ...DEFAULT_EVALUATOR, ...options };
    if (!(this.options.fixedThreshold >= 0 && this.options.fixedThreshold < 1)) {
      throw new Error(`fixedThreshold must be in [0, 1), got ${this.options.fixedThreshold}`);
    }
    this.thresholds = thresholdList(this.options.thresholdStep);
    const n = this.thresholds.length;
    this.largestCorrect = new Float64Array(n);
    this.top1Correct = new Float64Array(n);
    this.top5Correct = new Float64Array(n);
    this.anyCorrect = this.options.iouThresholds.map(() => new Float64Array(n));
    let best = 0;
    this.thresholds.forEach((t, i) => {
      if (Math.abs(t - this.options.fixedThreshold) < Math.abs(this.thresholds[best] - this.options.fixedThreshold)) best = i;
    });
    this.fixedIndex = best;
    this.trueHist = new Float64Array(n + 2);
    this.falseHist = new Float64Array(n + 2);
  }

  accumulate(s: EvalSample): void {
    const where = `sample ${this.count}`;
    if (!(Number.isInteger(s.imageWidth) && s.imageWidth > 0 && Number.isInteger(s.imageHeight) && s.imageHeight > 0)) {
      throw new Error(`${where}: imageWidth/imageHeight must be positive integers`);
    }
    if (s.map.data.length !== s.map.width * s.map.height) throw new Error(`${where}: map data has ${s.map.data.length} values for ${s.map.width}x${s.map.height}`);
    if (s.gtBoxes.length === 0) throw new Error(`${where}: gtBoxes is empty`);
    s.gtBoxes.forEach((b, i) => checkBox(b, s.imageWidth, s.imageHeight, `${where}: gtBoxes[${i}]`));
    if (!(Number.isInteger(s.gtRank) && s.gtRank >= 0)) throw new Error(`${where}: gtRank must be an integer >= 0, got ${s.gtRank}`);
    if (s.mask && s.mask.length !== s.imageWidth * s.imageHeight) {
      throw new Error(`${where}: mask has ${s.mask.length} pixels, the image ${s.imageWidth}x${s.imageHeight} has ${s.imageWidth * s.imageHeight}`);
    }
    const map = normalizeScoreMap(resizeScoreMap(s.map, s.imageWidth, s.imageHeight));
    const sweep = sweepBoxes(map, this.thresholds, s.gtBoxes, this.options.boxConvention);
    this.count++;
    if (s.gtRank === 0) this.top1++;
    if (s.gtRank < 5) this.top5++;
    for (let i = 0; i < this.thresholds.length; i++) {
      if (sweep.largestIou[i] >= 0.5) {
        this.largestCorrect[i]++;
        if (s.gtRank === 0) this.top1Correct[i]++;
        if (s.gtRank < 5) this.top5Correct[i]++;
      }
      this.options.iouThresholds.forEach((iouT, k) => {
        if (sweep.anyIou[i] >= iouT) this.anyCorrect[k][i]++;
      });
    }
    if (s.mask) this.accumulatePixels(map, s.mask);
  }

  private accumulatePixels(map: ScoreMap, mask: Uint8Array): void {
    this.masked++;
    const n = this.thresholds.length;
    const step = this.options.thresholdStep;
    for (let p = 0; p < mask.length; p++) {
      const v = map.data[p];
      // Bin of v among the right edges [t_1, ..., t_{n-1}, 1, 2, 3].
      let bin = v >= 1 ? n : Math.min(n - 1, Math.floor(v / step + 1e-9));
      if (bin < 0) bin = 0;
      if (mask[p]) this.trueHist[bin]++;
      else this.falseHist[bin]++;
    }
  }

  /** Pixel precision/recall per threshold and their AP (null without masks). */
  private pxap(): { ap: number | null; precision: number[]; recall: number[] } {
    if (this.masked === 0) return { ap: null, precision: [], recall: [] };
    const bins = this.trueHist.length;
    const totalTrue = this.trueHist.reduce((a, b) => a + b, 0);
    if (totalTrue === 0) throw new Error('PxAP: no positive ground-truth pixel in the masks');
    // tp/fp at descending thresholds: counts of scores >= each left edge, from the top bin down.
    const precision: number[] = [];
    const recall: number[] = [];
    let tp = 0;
    let fp = 0;
    for (let b = bins - 1; b >= 0; b--) {
      tp += this.trueHist[b];
      fp += this.falseHist[b];
      precision.push(tp + fp > 0 ? tp / (tp + fp) : NaN);
      recall.push(tp / totalTrue);
    }
    let ap = 0;
    for (let i = 1; i < precision.length; i++) {
      if (Number.isFinite(precision[i])) ap += precision[i] * (recall[i] - recall[i - 1]);
    }
    return { ap: 100 * ap, precision, recall };
  }

  compute(): LocalizationMetrics {
    if (this.count === 0) throw new Error('LocalizationEvaluator.compute(): no sample was accumulated');
    const pct = (v: number) => (100 * v) / this.count;
    const argmax = (a: Float64Array) => a.reduce((best, v, i) => (v > a[best] ? i : best), 0);
    const bestLargest = argmax(this.largestCorrect);
    const perIou = this.anyCorrect.map((a) => pct(a[argmax(a)]));
    const f = this.fixedIndex;
    const px = this.pxap();
    return {
      count: this.count,
      top1Cls: pct(this.top1),
      top5Cls: pct(this.top5),
      gtKnownLoc: pct(this.largestCorrect[f]),
      top1Loc: pct(this.top1Correct[f]),
      top5Loc: pct(this.top5Correct[f]),
      gtKnownLocBest: pct(this.largestCorrect[bestLargest]),
      top1LocBest: pct(this.top1Correct[bestLargest]),
      top5LocBest: pct(this.top5Correct[bestLargest]),
      maxBoxAcc: pct(this.largestCorrect[bestLargest]),
      maxBoxAccV2: perIou.reduce((a, b) => a + b, 0) / perIou.length,
      maxBoxAccV2PerIou: perIou,
      pxap: px.ap,
      thresholds: {
        fixed: this.thresholds[f],
        maxBoxAcc: this.thresholds[bestLargest],
        maxBoxAccV2: this.anyCorrect.map((a) => this.thresholds[argmax(a)]),
      },
      curves: {
        thresholds: this.thresholds,
        gtKnown: Array.from(this.largestCorrect, pct),
        boxAccV2: this.anyCorrect.map((a) => Array.from(a, pct)),
        precision: px.precision,
        recall: px.recall,
      },
    };
  }
}
