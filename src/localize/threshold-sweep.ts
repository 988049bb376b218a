/**
 * Boxes from a normalised map at every threshold of a sweep, as wsolevaluation's
 * compute_bboxes_from_scoremaps finds them.
 *
 * Same on-rule as connected-regions.ts (the quantised q > floor(t * max q)). At each threshold
 * the binary map is traced like cv2.findContours(RETR_TREE, CHAIN_APPROX_SIMPLE) (contours.ts):
 * - all-contours mode (MaxBoxAccV2) takes the box of every contour, inner borders of holes
 *   included;
 * - the largest-contour mode (MaxBoxAcc, GT-known Loc) takes the contour of largest
 *   cv2.contourArea, the first in OpenCV's list order on ties.
 *
 * Cost: the binary map changes only where the quantised cut changes, so thresholds that share
 * a cut are traced once, from the lowest cut up, by one tracer that only switches pixels off
 * between cuts; each trace scans, row by row, only the columns that hold pixels that are on
 * (fewer and fewer as the threshold rises) and follows the border pixels.
 */
import type { Box, ScoreMap } from '../common/box';
import { bestIou } from './boxes';
import { EMPTY_BOX, cutOf, quantize, regionBox, type BoxConvention } from './connected-regions';
import { ContourTracer, largestContour } from './contours';

export interface SweepResult {
  /** Per threshold: best IoU of the largest contour's box against the GT boxes. */
  largestIou: Float64Array;
  /** Per threshold: best IoU over the boxes of all contours (MaxBoxAccV2's multi-contour rule). */
  anyIou: Float64Array;
  /** Per threshold: the largest contour's box (EMPTY_BOX when nothing is on, as wsolevaluation). */
  largestBoxes: Box[];
  /** Per threshold: number of contours, holes included (1 when nothing is on: the empty box counts, as there). */
  contourCounts: Int32Array;
}

export function sweepBoxes(map: ScoreMap, thresholds: readonly number[], gt: readonly Box[], convention: BoxConvention = 'wsolevaluation'): SweepResult {
  const { width: W, height: H } = map;
  const n = thresholds.length;
  const result: SweepResult = {
    largestIou: new Float64Array(n),
    anyIou: new Float64Array(n),
    largestBoxes: new Array<Box>(n).fill(EMPTY_BOX),
    contourCounts: new Int32Array(n).fill(1),
  };
  const { q, maxQ } = quantize(map);
  const emptyIou = bestIou(EMPTY_BOX, gt as Box[]);
  result.largestIou.fill(emptyIou);
  result.anyIou.fill(emptyIou);
  // Thresholds by cut. A cut >= max q (or a map that is all zero) leaves nothing on: those keep
  // the empty-box defaults above.
  const byCut = new Map<number, number[]>();
  thresholds.forEach((t, i) => {
    const cut = cutOf(t, maxQ);
    if (cut < 0) throw new Error(`sweepBoxes: threshold ${t} is negative`);
    if (cut >= maxQ) return;
    const list = byCut.get(cut);
    if (list) list.push(i);
    else byCut.set(cut, [i]);
  });
  if (byCut.size === 0) return result;

  const tracer = new ContourTracer(W, H);
  tracer.setLevels(q);
  // Rising cuts: the tracer only switches pixels off between traces.
  for (const cut of [...byCut.keys()].sort((a, b) => a - b)) {
    const indices = byCut.get(cut) as number[];
    const contours = tracer.traceAbove(cut);
    let anyIou = 0;
    for (const c of contours) anyIou = Math.max(anyIou, bestIou(regionBox(c, W, H, convention), gt as Box[]));
    const largest = regionBox(contours[largestContour(contours)], W, H, convention);
    const largestIou = bestIou(largest, gt as Box[]);
    for (const i of indices) {
      result.largestBoxes[i] = largest;
      result.largestIou[i] = largestIou;
      result.anyIou[i] = anyIou;
      result.contourCounts[i] = contours.length;
    }
  }
  return result;
}
