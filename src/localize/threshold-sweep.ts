/**
 * Boxes from a normalised map at every threshold of a sweep, in one pass.
 *
 * Same on-rule and 8-connectivity as connected-regions.ts (wsolevaluation's quantised
 * q > floor(t * max q)). As the threshold falls, regions only grow and merge, so pixels are
 * added level by level (q = 255 down to 1) into a union-find that keeps each region's pixel
 * count and bounds; after adding level L the state is the binary map of every threshold whose
 * cut floor(t * max q) equals L - 1. Cost: one counting sort plus near-linear union-find per
 * image, instead of one flood fill per threshold.
 *
 * Largest region = most pixels. OpenCV (wsolevaluation) ranks contours by cv2.contourArea, the
 * area of the polygon through the border pixels' centres: about the pixel count minus half the
 * border length (plus any holes), and 0 for one-pixel or one-line regions. The two criteria
 * pick the same region unless two regions are of similar size or one is thin. Exact ties go to a deterministic
 * but unspecified one of the tied regions here, to the first in OpenCV's contour order there.
 */
import type { Box, ScoreMap } from '../common/box';
import { bestIou } from './boxes';
import { EMPTY_BOX, cutOf, quantize, regionBox, type BoxConvention } from './connected-regions';

export interface SweepResult {
  /** Per threshold: best IoU of the largest region's box against the GT boxes. */
  largestIou: Float64Array;
  /** Per threshold: best IoU over the boxes of all regions (MaxBoxAccV2's multi-contour rule). */
  anyIou: Float64Array;
  /** Per threshold: the largest region's box (EMPTY_BOX when nothing is on, as wsolevaluation). */
  largestBoxes: Box[];
  /** Per threshold: number of regions (1 when nothing is on: the empty box counts, as there). */
  regionCounts: Int32Array;
}

export function sweepBoxes(map: ScoreMap, thresholds: readonly number[], gt: readonly Box[], convention: BoxConvention = 'wsolevaluation'): SweepResult {
  const { width: W, height: H } = map;
  const N = W * H;
  const n = thresholds.length;
  const result: SweepResult = {
    largestIou: new Float64Array(n),
    anyIou: new Float64Array(n),
    largestBoxes: new Array<Box>(n).fill(EMPTY_BOX),
    regionCounts: new Int32Array(n).fill(1),
  };
  if (W > 0xffff || H > 0xffff) throw new Error(`sweepBoxes: maps up to 65535 pixels a side, got ${W}x${H}`);
  const { q, maxQ } = quantize(map);
  const emptyIou = bestIou(EMPTY_BOX, gt as Box[]);
  result.largestIou.fill(emptyIou);
  result.anyIou.fill(emptyIou);
  // Thresholds to emit after adding level L: those with cut = L - 1. Cuts >= 255 (or a map
  // that is all zero) leave nothing on: they keep the empty-box defaults above.
  const byLevel: number[][] = Array.from({ length: 256 }, () => []);
  let lowestLevel = 256;
  thresholds.forEach((t, i) => {
    const level = cutOf(t, maxQ) + 1;
    if (level >= 1 && level <= 255) {
      byLevel[level].push(i);
      lowestLevel = Math.min(lowestLevel, level);
    } else if (level < 1) {
      throw new Error(`sweepBoxes: threshold ${t} is negative`);
    }
  });
  if (lowestLevel > 255) return result;

  // The union-find lives on a grid padded with a never-on border, so the 8 neighbours of any
  // pixel can be read without bounds checks. P = padded index.
  const PW = W + 2;
  const P = PW * (H + 2);

  // Counting sort of the pixels by level (stable: raster order within a level);
  // start[L] .. start[L + 1] are the pixels with q = L.
  const start = new Int32Array(257);
  for (let i = 0; i < N; i++) start[q[i] + 1]++;
  for (let l = 1; l < 257; l++) start[l] += start[l - 1];
  const order = new Int32Array(N); // padded index
  const orderXY = new Int32Array(N); // (y << 16) | x, so the hot loop needs no division
  const cursor = start.slice(0, 256);
  for (let y = 0, i = 0; y < H; y++) {
    for (let x = 0; x < W; x++, i++) {
      const at = cursor[q[i]]++;
      order[at] = (y + 1) * PW + x + 1;
      orderXY[at] = (y << 16) | x;
    }
  }

  const parent = new Int32Array(P).fill(-1); // -1: not on (yet)
  const size = new Int32Array(P);
  const bx0 = new Int32Array(P);
  const by0 = new Int32Array(P);
  const bx1 = new Int32Array(P);
  const by1 = new Int32Array(P);
  // Current roots as a dense list with O(1) removal (swap with the last).
  const roots = new Int32Array(N);
  const rootAt = new Int32Array(P);
  let rootCount = 0;

  const find = (a: number): number => {
    while (parent[a] !== a) {
      parent[a] = parent[parent[a]]; // path halving
      a = parent[a];
    }
    return a;
  };
  /** Merges two distinct roots (union by size); returns the surviving root. */
  const merge = (ra: number, rb: number): number => {
    if (size[ra] < size[rb]) {
      const t = ra; // a destructuring swap would allocate on this hot path
      ra = rb;
      rb = t;
    }
    parent[rb] = ra;
    size[ra] += size[rb];
    if (bx0[rb] < bx0[ra]) bx0[ra] = bx0[rb];
    if (by0[rb] < by0[ra]) by0[ra] = by0[rb];
    if (bx1[rb] > bx1[ra]) bx1[ra] = bx1[rb];
    if (by1[rb] > by1[ra]) by1[ra] = by1[rb];
    const slot = rootAt[rb];
    const last = roots[--rootCount];
    roots[slot] = last;
    rootAt[last] = slot;
    return ra;
  };
  /** Joins the region of the on neighbour nb into r (-1: the new pixel has no region yet). */
  const join = (r: number, nb: number, up: number): number => {
    const rb = parent[up] === up ? up : find(nb);
    return r < 0 || r === rb ? rb : merge(r, rb);
  };
  const boxOf = (r: number): Box => regionBox({ x0: bx0[r], y0: by0[r], x1: bx1[r], y1: by1[r] }, W, H, convention);

  for (let level = 255; level >= lowestLevel; level--) {
    for (let k = start[level]; k < start[level + 1]; k++) {
      const p = order[k];
      let r = -1;
      // Unrolled 8-neighbourhood. Fast path: an on neighbour that already hangs directly
      // under r needs no find (the common case inside a region).
      let up = parent[p - PW - 1];
      if (up >= 0 && up !== r) r = join(r, p - PW - 1, up);
      up = parent[p - PW];
      if (up >= 0 && up !== r) r = join(r, p - PW, up);
      up = parent[p - PW + 1];
      if (up >= 0 && up !== r) r = join(r, p - PW + 1, up);
      up = parent[p - 1];
      if (up >= 0 && up !== r) r = join(r, p - 1, up);
      up = parent[p + 1];
      if (up >= 0 && up !== r) r = join(r, p + 1, up);
      up = parent[p + PW - 1];
      if (up >= 0 && up !== r) r = join(r, p + PW - 1, up);
      up = parent[p + PW];
      if (up >= 0 && up !== r) r = join(r, p + PW, up);
      up = parent[p + PW + 1];
      if (up >= 0 && up !== r) r = join(r, p + PW + 1, up);
      const xy = orderXY[k];
      const x = xy & 0xffff;
      const y = xy >>> 16;
      if (r < 0) {
        // A new region of one pixel.
        parent[p] = p;
        size[p] = 1;
        bx0[p] = bx1[p] = x;
        by0[p] = by1[p] = y;
        rootAt[p] = rootCount;
        roots[rootCount++] = p;
      } else {
        parent[p] = r;
        size[r]++;
        if (x < bx0[r]) bx0[r] = x;
        if (x > bx1[r]) bx1[r] = x;
        if (y < by0[r]) by0[r] = y;
        if (y > by1[r]) by1[r] = y;
      }
    }
    const emit = byLevel[level];
    if (emit.length === 0 || rootCount === 0) continue;
    let best = roots[0];
    let anyIou = 0;
    for (let j = 0; j < rootCount; j++) {
      const root = roots[j];
      if (size[root] > size[best]) best = root;
      anyIou = Math.max(anyIou, bestIou(boxOf(root), gt as Box[]));
    }
    const largest = boxOf(best);
    const largestIou = bestIou(largest, gt as Box[]);
    for (const i of emit) {
      result.largestBoxes[i] = largest;
      result.largestIou[i] = largestIou;
      result.anyIou[i] = anyIou;
      result.regionCounts[i] = rootCount;
    }
  }
  return result;
}
