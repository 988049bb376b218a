/**
 * Runs a model over a split and feeds the localization evaluator. Each image's map is resized
 * (bicubic) to the evaluation size and min-max normalised; its boxes and mask are rescaled from
 * the original image as wsolevaluation does (eval-ground-truth.ts), not taken from the batch
 * pipeline (whose boxes and masks follow the training augmentation's rules).
 */
import * as tf from '@tensorflow/tfjs-core';
import type { ScoreMap } from '../common/box';
import { batches } from '../data/batches';
import type { Dataset, DatasetItem, Split } from '../data/dataset';
import { saveCam } from '../localize/cam-folder';
import { LocalizationEvaluator, type LocalizationMetrics } from '../localize/localization-evaluator';
import { channelMap, normalizeScoreMap, resizeScoreMap } from '../localize/score-map';
import type { WsolModel } from '../method/wsol-model';
import { evalSizeOf, groundTruthAt, type EvalSize } from './eval-ground-truth';

export interface EvaluateOptions {
  imageSize: number;
  batchSize: number;
  /** At most this many images (0 = all). */
  limit: number;
  /** Fixed CAM threshold for the classic metrics. */
  locThreshold: number;
  onProgress?: (done: number, total: number) => void;
  /** Size at which maps are compared with the ground truth (default 'input': imageSize). */
  evalSize?: EvalSize;
  /** Folder to write each image's evaluated map to, in wsolevaluation's layout (cam-folder.ts). */
  saveCams?: string;
}

/** Per-image result kept for overlays and the `localize` command. */
export interface ImagePrediction {
  id: string;
  label: number;
  predicted: number;
  /** Map of the ground-truth class at feature resolution, as the model gives it (not resized or normalised). */
  map: ScoreMap;
}

/** Rank of `label` in `scores` (0 = the top-scoring class). */
export function rankOf(scores: ArrayLike<number>, label: number): number {
  let rank = 0;
  for (let k = 0; k < scores.length; k++) if (scores[k] > scores[label]) rank++;
  return rank;
}

export { channelMap } from '../localize/score-map';

export async function evaluateModel(
  model: WsolModel,
  dataset: Dataset,
  split: Split,
  opts: EvaluateOptions,
  keepPredictions = false,
): Promise<{ metrics: LocalizationMetrics; predictions: ImagePrediction[] }> {
  const evaluator = new LocalizationEvaluator({ fixedThreshold: opts.locThreshold });
  const size = opts.evalSize === undefined || opts.evalSize === 'input' ? opts.imageSize : opts.evalSize;
  const items = new Map<string, DatasetItem>(dataset.items(split).map((it) => [it.id, it]));
  const predictions: ImagePrediction[] = [];
  const total = opts.limit > 0 ? Math.min(opts.limit, dataset.items(split).length) : dataset.items(split).length;
  let done = 0;
  for await (const batch of batches(dataset, split, {
    batchSize: opts.batchSize,
    imageSize: opts.imageSize,
    augment: false,
    shuffle: false,
    seed: 0,
    epoch: 0,
    limit: opts.limit,
  })) {
    const { logits, cams } = tf.tidy(() => {
      const p = model.predict(batch.images);
      return { logits: p.logits, cams: p.cams };
    });
    batch.images.dispose();
    const scores = logits.dataSync() as Float32Array;
    const camData = cams.dataSync() as Float32Array;
    const [, h, w, K] = cams.shape;
    logits.dispose();
    cams.dispose();
    const gts = await Promise.all(
      batch.ids.map((id) => {
        const item = items.get(id);
        if (!item) throw new Error(`${dataset.name}: the batch pipeline returned unknown image id "${id}"`);
        const { width, height } = evalSizeOf(item, size);
        return groundTruthAt(dataset, item, width, height).then((gt) => ({ item, width, height, gt }));
      }),
    );
    for (let i = 0; i < batch.labels.length; i++) {
      const label = batch.labels[i];
      const { item, width, height, gt } = gts[i];
      const row = scores.subarray(i * K, (i + 1) * K);
      const featureMap = channelMap(camData, i * h * w * K, h, w, K, label);
      const map = normalizeScoreMap(resizeScoreMap(featureMap, width, height, evaluator.options.interpolation));
      evaluator.accumulate({ map, imageWidth: width, imageHeight: height, gtBoxes: gt.boxes, gtRank: rankOf(row, label), mask: gt.mask });
      if (opts.saveCams) saveCam(opts.saveCams, item.id, map);
      if (keepPredictions) {
        let predicted = 0;
        for (let k = 1; k < K; k++) if (row[k] > row[predicted]) predicted = k;
        predictions.push({ id: batch.ids[i], label, predicted, map: featureMap });
      }
    }
    done += batch.labels.length;
    opts.onProgress?.(done, total);
  }
  return { metrics: evaluator.compute(), predictions };
}
