/**
 * Where a model's boxes fall over a whole split: for every image, the box the localizer draws at a
 * threshold against the ground truth (IoU, size, share on the object, verdict), and the images at
 * chosen ranks, so a chapter can show how often a failure happens and pick its examples by a rule.
 */
import type { ScoreMap } from '../common/box';
import type { Dataset, Split } from '../data/dataset';
import { batches } from '../data/batches';
import type { WsolModel } from '../method/wsol-model';
import type { TrainConfig } from '../train/config';
import { groundTruthAt } from '../evaluate/eval-ground-truth';
import { evaluateModel } from '../evaluate/evaluate';
import { boxStats, boxVerdict, type BoxStats, type BoxVerdict } from '../viz/findings';
import { imageGrid, type GridCell } from '../viz/image-figures';
import type { FigureSpec } from '../viz/figures';
import { pngDataUrl, predictedBox, probeOverlayPng, rgbImages } from '../viz/probe-overlay';

export interface ImageBox extends BoxStats {
  /** Position in the split (unshuffled). */
  index: number;
  id: string;
  label: number;
  verdict: BoxVerdict;
  /** The ground-truth class's map at feature resolution. */
  map: ScoreMap;
  gt: { x0: number; y0: number; x1: number; y1: number };
}

/** Every image of `split` (at most `limit`, 0 = all): its box at `threshold` against its first GT box. */
export async function boxesOverSplit(model: WsolModel, dataset: Dataset, config: TrainConfig, options: { threshold: number; split?: Split; limit?: number }): Promise<ImageBox[]> {
  const split = options.split ?? 'val';
  const size = config.imageSize;
  const { predictions } = await evaluateModel(model, dataset, split, { imageSize: size, batchSize: config.batchSize, limit: options.limit ?? config.evalLimit, locThreshold: options.threshold }, true);
  const items = new Map(dataset.items(split).map((it) => [it.id, it]));
  const out: ImageBox[] = [];
  for (const [index, p] of predictions.entries()) {
    const { boxes } = await groundTruthAt(dataset, items.get(p.id)!, size, size);
    const stats = boxStats(predictedBox(p.map, size, size, options.threshold), boxes[0]);
    out.push({ ...stats, index, id: p.id, label: p.label, verdict: boxVerdict(stats), map: p.map, gt: boxes[0] });
  }
  return out;
}

/**
 * The images at the given percentiles of IoU (0 = the worst, 50 = the median), each picked as the
 * image of rank round(p / 100 * (n - 1)) in ascending IoU.
 */
export function imagesAtPercentiles(images: ImageBox[], percentiles: number[]): { percentile: number; image: ImageBox }[] {
  if (images.length === 0) throw new Error('imagesAtPercentiles: no images');
  const sorted = [...images].sort((a, b) => a.iou - b.iou || a.index - b.index);
  return percentiles.map((p) => {
    if (!(p >= 0 && p <= 100)) throw new Error(`imagesAtPercentiles: a percentile must be in [0, 100], got ${p}`);
    return { percentile: p, image: sorted[Math.round((p / 100) * (sorted.length - 1))] };
  });
}

/** Overlays of chosen images (map, GT box in green, predicted box in red), one row each. */
export async function chosenImagesGrid(dataset: Dataset, config: TrainConfig, chosen: { percentile: number; image: ImageBox }[], threshold: number, split: Split = 'val'): Promise<FigureSpec> {
  const wanted = new Set(chosen.map((c) => c.image.index));
  const last = Math.max(...wanted);
  const rgb = new Map<number, Awaited<ReturnType<typeof rgbImages>>[number]>();
  let offset = 0;
  for await (const batch of batches(dataset, split, { batchSize: config.batchSize, imageSize: config.imageSize, augment: false, shuffle: false, seed: 0, epoch: 0, limit: last + 1 })) {
    const images = await rgbImages(batch.images);
    batch.images.dispose();
    images.forEach((im, i) => wanted.has(offset + i) && rgb.set(offset + i, im));
    offset += images.length;
  }
  const rows: { label: string; cells: GridCell[] }[] = [];
  for (const { percentile, image } of chosen) {
    const im = rgb.get(image.index)!;
    rows.push({
      label: `${percentile === 0 ? 'worst' : percentile === 50 ? 'median' : `${percentile}th pct`} (${dataset.classNames[image.label]})`,
      cells: [
        { src: pngDataUrl(await probeOverlayPng(im, null, [image.gt])) },
        { src: pngDataUrl(await probeOverlayPng(im, image.map, [image.gt], { threshold })), caption: `IoU ${image.iou.toFixed(2)}, ${image.verdict}` },
      ],
    });
  }
  return imageGrid(rows, ['image', `map and box, t = ${threshold}`], { cellPx: 130 });
}
