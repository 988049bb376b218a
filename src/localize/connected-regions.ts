/**
 * Thresholding a normalised map and labelling its connected regions at ONE threshold.
 * (The evaluators use the incremental sweep in threshold-sweep.ts; this direct flood fill is
 * the reference it is tested against and the tool for drawing one threshold's boxes.)
 *
 * "On" rule, as wsolevaluation: the map is quantised to q = floor(255 v) (its uint8 cast)
 * and a pixel is on at threshold t when q > floor(t * max q) (cv2.THRESH_BINARY). For a map
 * whose maximum is 1 this is v >= (floor(255 t) + 1) / 255: up to 1/255 above a plain v >= t.
 *
 * Regions are 8-connected: cv2.findContours traces the outer border of 8-connected
 * foreground components, so two pixels touching at a corner are one region.
 */
import type { Box, ScoreMap } from '../common/box';

/**
 * How a region becomes a box. 'wsolevaluation': cv2.boundingRect's (x, y, x + w, y + h) with
 * x1/y1 clipped to the image, i.e. one pixel wider and taller than the region unless at the
 * right/bottom border (what the published numbers use). 'inclusive': the region's exact bounds.
 */
export type BoxConvention = 'wsolevaluation' | 'inclusive';

export interface Region {
  /** Number of pixels (the "largest region" criterion, see threshold-sweep.ts). */
  size: number;
  /** Exact inclusive bounds of the pixels. */
  bounds: Box;
}

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

/** 8-connected regions of a binary width x height image, in raster order of their first pixel. */
export function labelRegions(on: Uint8Array, width: number, height: number): Region[] {
  if (on.length !== width * height) throw new Error(`labelRegions: binary image has ${on.length} pixels, expected ${width}x${height}`);
  const seen = new Uint8Array(on.length);
  const stack = new Int32Array(on.length);
  const regions: Region[] = [];
  for (let s = 0; s < on.length; s++) {
    if (!on[s] || seen[s]) continue;
    let top = 0;
    stack[top++] = s;
    seen[s] = 1;
    let size = 0;
    let x0 = width;
    let y0 = height;
    let x1 = -1;
    let y1 = -1;
    while (top > 0) {
      const p = stack[--top];
      const x = p % width;
      const y = (p - x) / width;
      size++;
      if (x < x0) x0 = x;
      if (x > x1) x1 = x;
      if (y < y0) y0 = y;
      if (y > y1) y1 = y;
      for (let dy = -1; dy <= 1; dy++) {
        const yy = y + dy;
        if (yy < 0 || yy >= height) continue;
        for (let dx = -1; dx <= 1; dx++) {
          const xx = x + dx;
          if (xx < 0 || xx >= width) continue;
          const nb = yy * width + xx;
          if (on[nb] && !seen[nb]) {
            seen[nb] = 1;
            stack[top++] = nb;
          }
        }
      }
    }
    regions.push({ size, bounds: { x0, y0, x1, y1 } });
  }
  return regions;
}

/** Box of a region's bounds under a convention, in a width x height image. */
export function regionBox(bounds: Box, width: number, height: number, convention: BoxConvention): Box {
  if (convention === 'inclusive') return { ...bounds };
  return { x0: bounds.x0, y0: bounds.y0, x1: Math.min(bounds.x1 + 1, width - 1), y1: Math.min(bounds.y1 + 1, height - 1) };
}

/** Boxes of all regions of the map at threshold t ([EMPTY_BOX] when nothing is on, as wsolevaluation). */
export function regionBoxes(map: ScoreMap, t: number, convention: BoxConvention = 'wsolevaluation'): Box[] {
  const regions = labelRegions(binarize(map, t), map.width, map.height);
  if (regions.length === 0) return [{ ...EMPTY_BOX }];
  return regions.map((r) => regionBox(r.bounds, map.width, map.height, convention));
}

/** Box of the region with the most pixels at threshold t (first in raster order on ties). */
export function largestRegionBox(map: ScoreMap, t: number, convention: BoxConvention = 'wsolevaluation'): Box {
  const regions = labelRegions(binarize(map, t), map.width, map.height);
  if (regions.length === 0) return { ...EMPTY_BOX };
  let best = regions[0];
  for (const r of regions) if (r.size > best.size) best = r;
  return regionBox(best.bounds, map.width, map.height, convention);
}
