/**
 * Thresholding a normalised map and boxing its contours at ONE threshold (the evaluators use
 * the sweep over all thresholds in threshold-sweep.ts; these are for drawing one threshold's
 * boxes and as the per-threshold reference in tests).
 *
 * "On" rule, as wsolevaluation: the map is quantised to q = floor(255 v) (its uint8 cast)
 * and a pixel is on at threshold t when q > floor(t * max q) (cv2.THRESH_BINARY). For a map
 * whose maximum is 1 this is v >= (floor(255 t) + 1) / 255: up to 1/255 above a plain v >= t.
 *
 * Boxes come from the contours of cv2.findContours(RETR_TREE) (contours.ts): one outer border
 * per 8-connected region and one inner border per hole.
 */
import type { Box, ScoreMap } from '../common/box';
import { findContours, largestContour } from './contours';

/**
 * How a contour becomes a box. 'wsolevaluation': cv2.boundingRect's (x, y, x + w, y + h) with
 * x1/y1 clipped to the image, i.e. one pixel wider and taller than the contour unless at the
 * right/bottom border (what the published numbers use). 'inclusive': the contour's exact bounds.
 */
export type BoxConvention = 'wsolevaluation' | 'inclusive';

/** Box that wsolevaluation reports when nothing is on. */
export const EMPTY_BOX: Box = Object.freeze({ x0: 0, y0: 0, x1: 0, y1: 0 });

export function quantize(map: ScoreMap): { q: Uint8Array; maxQ: number } {
  const data = map.data;
  const q = new Uint8Array(data.length);
  let maxQ = 0;
  for (let i = 0; i < q.length; i++) {
    const v = data[i];
    // Truncation like numpy's astype(uint8); values are clamped to [0, 1] first.
    const level = v >= 1 ? 255 : v > 0 ? (255 * v) | 0 : 0;
    q[i] = level;
    if (level > maxQ) maxQ = level;
  }
  return { q, maxQ };
}

/** The quantised cut of threshold t: a pixel is on when q > cut. */
export function cutOf(t: number, maxQ: number): number {
  if (!Number.isFinite(t)) throw new Error(`threshold must be a finite number, got ${t}`);
  return Math.floor(t * maxQ);
}

/** 1 where the map is on at threshold t (wsolevaluation's rule above), else 0. */
export function binarize(map: ScoreMap, t: number): Uint8Array {
  const { q, maxQ } = quantize(map);
  const cut = cutOf(t, maxQ);
  const on = new Uint8Array(q.length);
  for (let i = 0; i < q.length; i++) on[i] = q[i] > cut ? 1 : 0;
  return on;
}

/** Box of a contour's (or region's) inclusive bounds under a convention, in a width x height image. */
export function regionBox(bounds: Box, width: number, height: number, convention: BoxConvention): Box {
  if (convention === 'inclusive') return { x0: bounds.x0, y0: bounds.y0, x1: bounds.x1, y1: bounds.y1 };
  return { x0: bounds.x0, y0: bounds.y0, x1: Math.min(bounds.x1 + 1, width - 1), y1: Math.min(bounds.y1 + 1, height - 1) };
}

/** Boxes of all contours (objects and holes) of the map at threshold t ([EMPTY_BOX] when nothing is on, as wsolevaluation). */
export function regionBoxes(map: ScoreMap, t: number, convention: BoxConvention = 'wsolevaluation'): Box[] {
  const contours = findContours(binarize(map, t), map.width, map.height);
  if (contours.length === 0) return [{ ...EMPTY_BOX }];
  return contours.map((c) => regionBox(c, map.width, map.height, convention));
}

/** Box of the contour of largest cv2.contourArea at threshold t (the first in OpenCV's order on ties). */
export function largestRegionBox(map: ScoreMap, t: number, convention: BoxConvention = 'wsolevaluation'): Box {
  const contours = findContours(binarize(map, t), map.width, map.height);
  if (contours.length === 0) return { ...EMPTY_BOX };
  return regionBox(contours[largestContour(contours)], map.width, map.height, convention);
}
