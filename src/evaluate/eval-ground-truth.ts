/**
 * The ground truth of one image at the evaluation size, rescaled as wsolevaluation does it:
 * boxes by truncation, int(x * new / old) (resize_bbox), masks with cv2.INTER_NEAREST. The
 * evaluation size is the size at which maps, boxes and masks are compared: the model's input
 * size (what `wsol eval` reports by default), N x N (wsolevaluation compares at 224 x 224), or
 * each image's original size.
 */
import type { Box } from '../common/box';
import type { Dataset, DatasetItem } from '../data/dataset';
import { resizeBox } from '../localize/boxes';
import { resizeMaskNearest } from '../localize/score-map';

/** N (N x N), 'input' (the model's input size) or 'original' (each image's own size). */
export type EvalSize = number | 'input' | 'original';

/** Parses a --eval-size value: a positive integer, 'input' or 'original'. */
export function parseEvalSize(raw: string | number, flag = '--eval-size'): EvalSize {
  if (raw === 'input' || raw === 'original') return raw;
  const n = typeof raw === 'number' ? raw : /^\d+$/.test(raw) ? Number(raw) : NaN;
  if (!(Number.isInteger(n) && n > 0 && n <= 8192)) throw new Error(`${flag} must be a size in pixels (1..8192), 'input' or 'original', got "${raw}"`);
  return n;
}

/** Width and height at which `item` is evaluated; 'input' must be resolved to a number first. */
export function evalSizeOf(item: DatasetItem, size: number | 'original'): { width: number; height: number } {
  return size === 'original' ? { width: item.width, height: item.height } : { width: size, height: size };
}

export interface GroundTruth {
  boxes: Box[];
  /** width * height, 1 = object, or null when the item has no mask. */
  mask: Uint8Array | null;
}

export async function groundTruthAt(dataset: Dataset, item: DatasetItem, width: number, height: number): Promise<GroundTruth> {
  const boxes = item.boxes.map((b) => resizeBox(b, item, { width, height }));
  let mask: Uint8Array | null = null;
  if (item.hasMask) {
    const raw = await dataset.loadMask(item);
    if (raw) {
      if (raw.length !== item.width * item.height) {
        throw new Error(`${dataset.name}: mask of "${item.id}" has ${raw.length} pixels, the image is ${item.width}x${item.height}`);
      }
      mask = resizeMaskNearest(raw, item.width, item.height, width, height);
    }
  }
  return { boxes, mask };
}
