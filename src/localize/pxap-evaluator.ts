/**
 * PxAP: average precision of the pixel-wise precision-recall curve (wsolevaluation's
 * MaskEvaluator), for datasets with foreground masks.
 *
 * Scores of foreground and background pixels are histogrammed over the bins
 * [t_0, t_1), ..., [t_{n-1}, 1), [1, 2), [2, 3] (t = the CAM threshold grid), summed over the
 * split. Walking the bins from the top, the cumulative counts give TP and FP at each
 * threshold, precision = TP / (TP + FP), recall = TP / #foreground, and
 * AP = sum_i precision_i * (recall_i - recall_{i-1}), skipping points where nothing is
 * predicted (TP + FP = 0). Mask values: 1 foreground, 0 background, 255 ignored (wsolevaluation's
 * "ignore" regions); anything else is an error.
 */
import type { ScoreMap } from '../common/box';
import { checkNormalizedMap, DEFAULT_THRESHOLD_STEP, thresholdList } from './score-map';

export const MASK_IGNORE = 255;

export interface PxapResult {
  /** Percent. */
  pxap: number;
  /** Descending thresholds: the bin left edges from the top ([2, 1, t_{n-1}, ..., 0]). */
  thresholds: number[];
  precision: number[];
  recall: number[];
}

export class PxapEvaluator {
  readonly thresholds: number[];
  /** Bin left edges: thresholds, then 1 and 2; the last bin is [2, 3]. */
  private edges: number[];
  private trueHist: Float64Array;
  private falseHist: Float64Array;
  private count = 0;

  constructor(thresholdStep = DEFAULT_THRESHOLD_STEP) {
    this.thresholds = thresholdList(thresholdStep);
    this.edges = [...this.thresholds, 1, 2];
    this.trueHist = new Float64Array(this.edges.length);
    this.falseHist = new Float64Array(this.edges.length);
  }

  /** Index of the bin holding v: the last edge <= v. */
  private binOf(v: number): number {
    const n = this.thresholds.length;
    if (v >= 1) return n;
    const step = this.thresholds.length > 1 ? this.thresholds[1] : 1;
    let b = Math.min(n - 1, Math.floor(v / step));
    // The guess can be off by one where v / step rounds across an edge.
    while (b > 0 && this.edges[b] > v) b--;
    while (b < n - 1 && this.edges[b + 1] <= v) b++;
    return b;
  }

  /** One image: a normalised map and a mask of the same size. */
  accumulate(map: ScoreMap, mask: Uint8Array): void {
    const where = `PxapEvaluator sample ${this.count}`;
    checkNormalizedMap(map, `${where}: map`);
    if (mask.length !== map.width * map.height) {
      throw new Error(`${where}: mask has ${mask.length} pixels, the map ${map.width}x${map.height} has ${map.width * map.height}`);
    }
    for (let p = 0; p < mask.length; p++) {
      const m = mask[p];
      if (m === MASK_IGNORE) continue;
      if (m > 1) throw new Error(`${where}: mask value ${m} at pixel ${p % map.width},${Math.floor(p / map.width)} (expected 0, 1 or ${MASK_IGNORE})`);
      const b = this.binOf(map.data[p]);
      if (m === 1) this.trueHist[b]++;
      else this.falseHist[b]++;
    }
    this.count++;
  }

  get samples(): number {
    return this.count;
  }

  compute(): PxapResult {
    if (this.count === 0) throw new Error('PxapEvaluator.compute(): no sample was accumulated');
    const totalTrue = this.trueHist.reduce((a, b) => a + b, 0);
    const totalFalse = this.falseHist.reduce((a, b) => a + b, 0);
    if (totalTrue === 0) throw new Error('PxapEvaluator.compute(): the masks have no foreground pixel');
    if (totalTrue + totalFalse === 0) throw new Error('PxapEvaluator.compute(): the masks have no scored pixel');
    const thresholds: number[] = [];
    const precision: number[] = [];
    const recall: number[] = [];
    let tp = 0;
    let fp = 0;
    let ap = 0;
    for (let b = this.edges.length - 1; b >= 0; b--) {
      tp += this.trueHist[b];
      fp += this.falseHist[b];
      const p = tp + fp > 0 ? tp / (tp + fp) : NaN;
      const r = tp / totalTrue;
      if (recall.length > 0 && tp + fp > 0) ap += p * (r - recall[recall.length - 1]);
      thresholds.push(this.edges[b]);
      precision.push(p);
      recall.push(r);
    }
    return { pxap: 100 * ap, thresholds, precision, recall };
  }
}
