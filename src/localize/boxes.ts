/** Box arithmetic in inclusive pixel coordinates (wsolevaluation's convention). */
import type { Box } from '../common/box';

/** Throws when a box is malformed or outside a width x height image; `what` names it. */
export function checkBox(b: Box, width: number, height: number, what: string): void {
  for (const k of ['x0', 'y0', 'x1', 'y1'] as const) {
    if (!Number.isFinite(b[k])) throw new Error(`${what}: ${k} is not a finite number (${b[k]})`);
  }
  if (b.x1 < b.x0 || b.y1 < b.y0) throw new Error(`${what}: x1 < x0 or y1 < y0 in ${JSON.stringify(b)}`);
  if (b.x0 < 0 || b.y0 < 0 || b.x1 > width - 1 || b.y1 > height - 1) {
    throw new Error(`${what}: ${JSON.stringify(b)} lies outside the ${width}x${height} image`);
  }
}

/** Intersection over union with inclusive coordinates (+1 on each side length). */
export function iou(a: Box, b: Box): number {
  const iw = Math.min(a.x1, b.x1) - Math.max(a.x0, b.x0) + 1;
  const ih = Math.min(a.y1, b.y1) - Math.max(a.y0, b.y0) + 1;
  const inter = Math.max(0, iw) * Math.max(0, ih);
  const areaA = (a.x1 - a.x0 + 1) * (a.y1 - a.y0 + 1);
  const areaB = (b.x1 - b.x0 + 1) * (b.y1 - b.y0 + 1);
  const union = areaA + areaB - inter;
  return union > 0 ? inter / union : 0;
}

/** Best IoU of `box` against any ground-truth box (an image counts if any GT box matches). */
export function bestIou(box: Box, gt: Box[]): number {
  let best = 0;
  for (const g of gt) best = Math.max(best, iou(box, g));
  return best;
}

/** Rescales a box from one image size to another, truncating like wsolevaluation's resize_bbox. */
export function resizeBox(b: Box, from: { width: number; height: number }, to: { width: number; height: number }): Box {
  const sx = to.width / from.width;
  const sy = to.height / from.height;
  return { x0: Math.trunc(b.x0 * sx), y0: Math.trunc(b.y0 * sy), x1: Math.trunc(b.x1 * sx), y1: Math.trunc(b.y1 * sy) };
}
