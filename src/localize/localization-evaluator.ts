/**
 * One evaluator for a whole split: takes raw GT-class maps at any resolution, resizes them to
 * the image size and min-max normalises them (wsolevaluation's inference), runs ONE threshold
 * sweep per image and feeds BoxEvaluator (MaxBoxAcc, MaxBoxAccV2), ClassicLocEvaluator
 * (GT-known / Top-1 / Top-5 Loc, Top-1 / Top-5 Cls) and, when a mask is given, PxapEvaluator.
 * All accuracies are in percent.
 */
import type { Box, ScoreMap } from '../common/box';
import { checkBox } from './boxes';
import { BoxEvaluator, DEFAULT_BOX_EVALUATOR } from './box-evaluator';
import { ClassicLocEvaluator, DEFAULT_CLASSIC_LOC } from './classic-loc-evaluator';
import type { BoxConvention } from './connected-regions';
import { PxapEvaluator } from './pxap-evaluator';
import { normalizeScoreMap, resizeScoreMap, type Interpolation } from './score-map';
import { sweepBoxes } from './threshold-sweep';

export interface EvaluatorOptions {
  /** Step of the CAM threshold grid (wsolevaluation's cam_curve_interval; 0.01 by default). */
  thresholdStep: number;
  /** Fixed CAM threshold for the classic numbers. */
  fixedThreshold: number;
  /** IoU thresholds of MaxBoxAccV2. */
  iouThresholds: number[];
  boxConvention: BoxConvention;
  /** Upsampling of the maps to the image size ('bicubic' = wsolevaluation's cv2.INTER_CUBIC). */
  interpolation: Interpolation;
}

export const DEFAULT_EVALUATOR: EvaluatorOptions = {
  thresholdStep: DEFAULT_BOX_EVALUATOR.thresholdStep,
  fixedThreshold: DEFAULT_CLASSIC_LOC.fixedThreshold,
  iouThresholds: DEFAULT_BOX_EVALUATOR.iouThresholds,
  boxConvention: DEFAULT_BOX_EVALUATOR.boxConvention,
  interpolation: 'bicubic',
};

export interface EvalSample {
  /** Map of the ground-truth class, any resolution (resized to the image size and normalised here). */
  map: ScoreMap;
  imageWidth: number;
  imageHeight: number;
  /** GT boxes in image pixels, inclusive; the image is correct if ANY of them matches. */
  gtBoxes: Box[];
  /** Rank of the GT class among the predicted scores (0 = top-1). */
  gtRank: number;
  /** imageWidth * imageHeight mask for PxAP (1 foreground, 0 background, 255 ignored), or null. */
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
  /** Classic metrics at the best threshold over the split (GT-known's best = MaxBoxAcc's). */
  gtKnownLocBest: number;
  top1LocBest: number;
  top5LocBest: number;
  maxBoxAcc: number;
  maxBoxAccV2: number;
  /** Per IoU threshold (curves.iouThresholds): best accuracy over CAM thresholds, all regions. */
  maxBoxAccV2PerIou: number[];
  /** Null when no sample had a mask. */
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
    iouThresholds: number[];
    /** GT-known accuracy (%) per CAM threshold (largest region, IoU 0.5) = MaxBoxAcc's curve. */
    gtKnown: number[];
    top1Loc: number[];
    top5Loc: number[];
    /** Per IoU threshold, accuracy (%) per CAM threshold with all regions. */
    boxAccV2: number[][];
    /** Pixel PR curve from the highest threshold down (empty without masks); NaN precision = nothing predicted. */
    pxThresholds: number[];
    precision: number[];
    recall: number[];
  };
}

export class LocalizationEvaluator {
  readonly options: EvaluatorOptions;
  readonly thresholds: number[];
  private boxes: BoxEvaluator;
  private classic: ClassicLocEvaluator;
  private pixels: PxapEvaluator;
  private count = 0;

  constructor(options: Partial<EvaluatorOptions> = {}) {
    this.options = { ...DEFAULT_EVALUATOR, ...options };
    const o = this.options;
    if (o.interpolation !== 'bilinear' && o.interpolation !== 'bicubic') {
      throw new Error(`interpolation must be 'bilinear' or 'bicubic', got '${o.interpolation}'`);
    }
    if (o.boxConvention !== 'wsolevaluation' && o.boxConvention !== 'inclusive') {
      throw new Error(`boxConvention must be 'wsolevaluation' or 'inclusive', got '${o.boxConvention}'`);
    }
    this.boxes = new BoxEvaluator({ thresholdStep: o.thresholdStep, iouThresholds: o.iouThresholds, boxConvention: o.boxConvention });
    this.classic = new ClassicLocEvaluator({ thresholdStep: o.thresholdStep, fixedThreshold: o.fixedThreshold, boxConvention: o.boxConvention });
    this.pixels = new PxapEvaluator(o.thresholdStep);
    this.thresholds = this.boxes.thresholds;
  }

  accumulate(s: EvalSample): void {
    const where = `sample ${this.count}`;
    const { imageWidth: W, imageHeight: H } = s;
    if (!(Number.isInteger(W) && W > 0 && Number.isInteger(H) && H > 0)) {
      throw new Error(`${where}: imageWidth/imageHeight must be positive integers, got ${W}x${H}`);
    }
    if (!(Number.isInteger(s.map.width) && s.map.width > 0 && Number.isInteger(s.map.height) && s.map.height > 0)) {
      throw new Error(`${where}: map width/height must be positive integers, got ${s.map.width}x${s.map.height}`);
    }
    if (s.map.data.length !== s.map.width * s.map.height) {
      throw new Error(`${where}: map data has ${s.map.data.length} values for ${s.map.width}x${s.map.height}`);
    }
    if (!Array.isArray(s.gtBoxes) || s.gtBoxes.length === 0) throw new Error(`${where}: gtBoxes is empty`);
    s.gtBoxes.forEach((b, i) => checkBox(b, W, H, `${where}: gtBoxes[${i}]`));
    if (!(Number.isInteger(s.gtRank) && s.gtRank >= 0)) throw new Error(`${where}: gtRank must be an integer >= 0, got ${s.gtRank}`);
    if (s.mask && s.mask.length !== W * H) {
      throw new Error(`${where}: mask has ${s.mask.length} pixels, the image ${W}x${H} has ${W * H}`);
    }
    const map = normalizeScoreMap(resizeScoreMap(s.map, W, H, this.options.interpolation));
    if (s.mask) this.pixels.accumulate(map, s.mask);
    // One sweep over the grid plus the fixed threshold serves both box evaluators.
    const sweep = sweepBoxes(map, this.classic.sweepThresholds, s.gtBoxes, this.options.boxConvention);
    this.boxes.accumulateSweep(sweep);
    this.classic.accumulateSweep(sweep, s.gtRank);
    this.count++;
  }

  compute(): LocalizationMetrics {
    if (this.count === 0) throw new Error('LocalizationEvaluator.compute(): no sample was accumulated');
    const b = this.boxes.compute();
    const c = this.classic.compute();
    const px = this.pixels.samples > 0 ? this.pixels.compute() : null;
    return {
      count: this.count,
      top1Cls: c.top1Cls,
      top5Cls: c.top5Cls,
      gtKnownLoc: c.fixed.gtKnownLoc,
      top1Loc: c.fixed.top1Loc,
      top5Loc: c.fixed.top5Loc,
      gtKnownLocBest: c.best.gtKnownLoc,
      top1LocBest: c.best.top1Loc,
      top5LocBest: c.best.top5Loc,
      maxBoxAcc: b.maxBoxAcc,
      maxBoxAccV2: b.maxBoxAccV2,
      maxBoxAccV2PerIou: b.perIou.map((p) => p.accuracy),
      pxap: px ? px.pxap : null,
      thresholds: {
        fixed: c.fixed.threshold,
        maxBoxAcc: b.maxBoxAccThreshold,
        maxBoxAccV2: b.perIou.map((p) => p.threshold),
      },
      curves: {
        thresholds: b.curves.thresholds,
        iouThresholds: b.perIou.map((p) => p.iou),
        gtKnown: b.curves.largest,
        top1Loc: c.curves.top1Loc,
        top5Loc: c.curves.top5Loc,
        boxAccV2: b.curves.allRegions,
        pxThresholds: px ? px.thresholds : [],
        precision: px ? px.precision : [],
        recall: px ? px.recall : [],
      },
    };
  }
}
