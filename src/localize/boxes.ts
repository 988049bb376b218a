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

/**
 * Rescales a box from one image size to another as wsolevaluation's resize_bbox does:
 * int(x * new / old) per coordinate, in that order of operations (x * new first, then / old,
 * in double precision), truncated. Corners move independently, so a box shrinks by up to one
 * pixel on its right/bottom side compared with a pixel-area mapping.
 */
export function resizeBox(b: Box, from: { width: number; height: number }, to: { width: number; height: number }): Box {
  const x = (v: number) => Math.trunc((v * to.width) / from.width);
  const y = (v: number) => Math.trunc((v * to.height) / from.height);
  return { x0: x(b.x0), y0: y(b.y0), x1: x(b.x1), y1: y(b.y1) };
}
