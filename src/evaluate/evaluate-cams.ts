/**
 * Evaluates score maps made elsewhere (a PyTorch model, wsolevaluation's inference.py, or
 * `wsol eval --save-cams`) against a dataset split: no model is needed. The maps are read from
 * a folder in wsolevaluation's layout (localize/cam-folder.ts) and evaluated as they are (no
 * resize, no normalisation: like wsolevaluation's evaluation.py, which only checks that they
 * lie in [0, 1]); boxes and masks are rescaled to the maps' size as there.
 * Without class scores there are no classification or Top-k numbers: MaxBoxAcc, MaxBoxAccV2
 * and (with masks) PxAP.
 */
import type { Dataset, Split } from '../data/dataset';
import { BoxEvaluator } from '../localize/box-evaluator';
import { loadCam } from '../localize/cam-folder';
import { DEFAULT_EVALUATOR } from '../localize/localization-evaluator';
import { PxapEvaluator } from '../localize/pxap-evaluator';
import { evalSizeOf, groundTruthAt } from './eval-ground-truth';

export interface CamFolderOptions {
  /** Maps are N x N, or each image's original size. */
  evalSize: number | 'original';
  /** At most this many images, the first of the split (0 = all). */
  limit?: number;
  onProgress?: (done: number, total: number) => void;
}

/** Accuracies in percent, as in LocalizationMetrics. */
export interface CamFolderMetrics {
  count: number;
  maxBoxAcc: number;
  maxBoxAccV2: number;
  maxBoxAccV2PerIou: number[];
  /** Null when the split has no masks. */
  pxap: number | null;
  thresholds: { maxBoxAcc: number; maxBoxAccV2: number[] };
  iouThresholds: number[];
}

export async function evaluateCamFolder(dir: string, dataset: Dataset, split: Split, opts: CamFolderOptions): Promise<CamFolderMetrics> {
  const all = dataset.items(split);
  if (all.length === 0) throw new Error(`${dataset.name}: the ${split} split is empty`);
  const items = opts.limit && opts.limit > 0 ? all.slice(0, opts.limit) : all;
  const boxes = new BoxEvaluator({ thresholdStep: DEFAULT_EVALUATOR.thresholdStep, iouThresholds: DEFAULT_EVALUATOR.iouThresholds, boxConvention: DEFAULT_EVALUATOR.boxConvention });
  const pixels = new PxapEvaluator(DEFAULT_EVALUATOR.thresholdStep);
  let done = 0;
  for (const item of items) {
    const { width, height } = evalSizeOf(item, opts.evalSize);
    const map = loadCam(dir, item.id, width, height);
    const gt = await groundTruthAt(dataset, item, width, height);
    if (gt.boxes.length > 0) boxes.accumulate(map, gt.boxes);
    if (gt.mask) pixels.accumulate(map, gt.mask);
    opts.onProgress?.(++done, items.length);
  }
  const b = boxes.compute();
  return {
    count: b.count,
    maxBoxAcc: b.maxBoxAcc,
    maxBoxAccV2: b.maxBoxAccV2,
    maxBoxAccV2PerIou: b.perIou.map((p) => p.accuracy),
    pxap: pixels.samples > 0 ? pixels.compute().pxap : null,
    thresholds: { maxBoxAcc: b.maxBoxAccThreshold, maxBoxAccV2: b.perIou.map((p) => p.threshold) },
    iouThresholds: b.perIou.map((p) => p.iou),
  };
}
