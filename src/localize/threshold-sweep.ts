/**
 * Boxes from a normalised map at every threshold of a sweep, in one pass.
 *
 * Semantics follow wsolevaluation: the map is quantised to q = floor(255 v) and a pixel is on at
 * threshold t when q > floor(t * max q). Regions are 8-connected components (what OpenCV's outer
 * contours trace). As the threshold falls, components only grow and merge, so pixels are added
 * level by level (255 down to 1) into a union-find that keeps each component's size and bounding
 * box; the state after level L is the binary map of every threshold with floor(t * max q) = L - 1.
 *
 * The largest region is the one with the most pixels. OpenCV ranks contours by polygon area
 * (cv2.contourArea), which is smaller than the pixel count by about half the perimeter and is 0 for
 * one-pixel or one-line regions; the two criteria agree except between regions of similar size.
 *
 * Box convention: 'wsolevaluation' reproduces its boundingRect-based box (x, y, x + w, y + h)
 * clipped to the image, i.e. one pixel wider and taller than the region when not at the border;
 * 'inclusive' gives the region's exact inclusive bounds.
 */
import type { Box, ScoreMap } from '../common/box';
import { bestIou } from './boxes';

export type BoxConvention = 'wsolevaluation' | 'inclusive';

export interface SweepResult {
  /** Per threshold: best IoU of the largest region's box against the GT boxes. */
  largestIou: Float64Array;
  /** Per threshold: best IoU over the boxes of all regions (MaxBoxAccV2's multi-contour rule). */
  anyIou: Float64Array;
  /** Per threshold: the largest region's box ([0,0,0,0] when nothing is on, as wsolevaluation). */
  largestBoxes: Box[];
  /** Per threshold: number of regions. */
  regionCounts: Int32Array;
}

const EMPTY: Box = { x0: 0, y0: 0, x1: 0, y1: 0 };

export function quantize(map: ScoreMap): { q: Uint8Array; maxQ: number } {
  const q = new Uint8Array(map.data.length);
  let maxQ = 0;
  for (let i = 0; i < q.length; i++) {
    const v = Math.floor(255 * Math.min(1, Math.max(0, map.data[i])));
    q[i] = v;
    if (v > maxQ) maxQ = v;
  }
  return { q, maxQ };
}

export function sweepBoxes(map: ScoreMap, thresholds: number[], gt: Box[], convention: BoxConvention = 'wsolevaluation'): SweepResult {
  const { width: W, height: H } = map;
  const n = thresholds.length;
  const result: SweepResult = {
    largestIou: new Float64Array(n),
    anyIou: new Float64Array(n),
    largestBoxes: new Array<Box>(n).fill(EMPTY),
    regionCounts: new Int32Array(n),
  };
  const { q, maxQ } = quantize(map);
  const emptyIou = bestIou(EMPTY, gt);
  // Which thresholds are emitted after adding level L (cut = floor(t * maxQ) = L - 1).
  const byLevel: number[][] = Array.from({ length: 257 }, () => []);
  thresholds.forEach((t, i) => {
    const cut = Math.floor(t * maxQ);
    if (cut + 1 <= 255 && cut + 1 >= 1) byLevel[cut + 1].push(i);
    else {
      result.largestIou[i] = emptyIou;
      result.anyIou[i] = emptyIou;
      result.regionCounts[i] = 1;
    }
  });
  // Counting sort of pixels by level.
  const counts = new Int32Array(257);
  for (let i = 0; i < q.length; i++) counts[q[i] + 1]++;
  for (let l = 1; l < 257; l++) counts[l] += counts[l - 1];
  const order = new Int32Array(q.length);
  const cursor = counts.slice();
  for (let i = 0; i < q.length; i++) order[cursor[q[i]]++] = i;

  const parent = new Int32Array(W * H).fill(-1);
  const size = new Int32Array(W * H);
  const bx0 = new Int32Array(W * H);
  const by0 = new Int32Array(W * H);
  const bx1 = new Int32Array(W * H);
  const by1 = new Int32Array(W * H);
  const roots = new Set<number>();
  let bestRoot = -1;
  const find = (p: number): number => {
    let r = p;
    while (parent[r] !== r) r = parent[r];
    while (parent[p] !== r) {
      const next = parent[p];
      parent[p] = r;
      p = next;
    }
    return r;
  };
  const union = (a: number, b: number): number => {
    let ra = find(a);
    let rb = find(b);
    if (ra === rb) return ra;
    if (size[ra] < size[rb]) [ra, rb] = [rb, ra];
    parent[rb] = ra;
    size[ra] += size[rb];
    bx0[ra] = Math.min(bx0[ra], bx0[rb]);
    by0[ra] = Math.min(by0[ra], by0[rb]);
    bx1[ra] = Math.max(bx1[ra], bx1[rb]);
    by1[ra] = Math.max(by1[ra], by1[rb]);
    roots.delete(rb);
    return ra;
  };
  const boxOf = (r: number): Box => {
    if (convention === 'inclusive') return { x0: bx0[r], y0: by0[r], x1: bx1[r], y1: by1[r] };
    return { x0: bx0[r], y0: by0[r], x1: Math.min(bx1[r] + 1, W - 1), y1: Math.min(by1[r] + 1, H - 1) };
  };

  for (let level = 255; level >= 1; level--) {
    for (let k = counts[level]; k < counts[level + 1]; k++) {
      const p = order[k];
      const x = p % W;
      const y = (p - x) / W;
      parent[p] = p;
      size[p] = 1;
      bx0[p] = bx1[p] = x;
      by0[p] = by1[p] = y;
      roots.add(p);
      let r = p;
      for (let dy = -1; dy <= 1; dy++) {
        const yy = y + dy;
        if (yy < 0 || yy >= H) continue;
        for (let dx = -1; dx <= 1; dx++) {
          const xx = x + dx;
          if ((dx === 0 && dy === 0) || xx < 0 || xx >= W) continue;
          const nb = yy * W + xx;
          if (parent[nb] >= 0) r = union(r, nb);
        }
      }
      r = find(r);
      if (bestRoot < 0 || size[r] > size[find(bestRoot)]) bestRoot = r;
      else bestRoot = find(bestRoot);
    }
    const emit = byLevel[level];
    if (emit.length === 0) continue;
    let largest = EMPTY;
    let largestIou = emptyIou;
    let anyIou = emptyIou;
    if (roots.size > 0) {
      largest = boxOf(find(bestRoot));
      largestIou = bestIou(largest, gt);
      anyIou = 0;
      for (const r of roots) anyIou = Math.max(anyIou, bestIou(boxOf(r), gt));
    }
    for (const i of emit) {
      result.largestBoxes[i] = largest;
      result.largestIou[i] = largestIou;
      result.anyIou[i] = anyIou;
      result.regionCounts[i] = Math.max(1, roots.size);
    }
  }
  return result;
}
