import { test } from 'node:test';
import assert from 'node:assert/strict';
import type { ScoreMap } from '../../src/common/box';
import { binarize, largestRegionBox, regionBoxes } from '../../src/localize/connected-regions';
import { findContours } from '../../src/localize/contours';
import { sweepBoxes } from '../../src/localize/threshold-sweep';

const map = (rows: number[][]): ScoreMap => ({ width: rows[0].length, height: rows.length, data: Float32Array.from(rows.flat()) });
const box = (x0: number, y0: number, x1: number, y1: number) => ({ x0, y0, x1, y1 });

// Two objects: A (0.9, 2x2 top-left) with a faint 0.3 pixel at (2,2) touching it diagonally,
// and B (0.5 ring around a 1.0 centre, 3x3 at x 4..6, y 1..3). Quantised (floor 255 v):
// 0.9 -> 229, 0.5 -> 127, 0.3 -> 76, 1 -> 255; max q = 255.
const twoObjects = map([
  [0.9, 0.9, 0, 0, 0, 0, 0],
  [0.9, 0.9, 0, 0, 0.5, 0.5, 0.5],
  [0, 0, 0.3, 0, 0.5, 1.0, 0.5],
  [0, 0, 0, 0, 0.5, 0.5, 0.5],
  [0, 0, 0, 0, 0, 0, 0],
]);

test('regions of a two-object map, worked out by hand', () => {
  // t = 0.4: cut = floor(0.4 * 255) = 102: A (4 px) and B (9 px); (2,2) with q = 76 is off.
  // OpenCV lists top-level contours in reverse order of discovery: B first. Contour areas
  // (polygon through the border pixel centres): A a 1x1 square = 1, B a 2x2 square = 4.
  const at04 = findContours(binarize(twoObjects, 0.4), 7, 5);
  assert.deepEqual(at04, [
    { isHole: false, parent: -1, ...box(4, 1, 6, 3), area: 4 },
    { isHole: false, parent: -1, ...box(0, 0, 1, 1), area: 1 },
  ]);
  // Inclusive boxes are the bounds; wsolevaluation's add 1 to x1, y1 and clip to the image (W-1 = 6).
  assert.deepEqual(regionBoxes(twoObjects, 0.4, 'inclusive'), [box(4, 1, 6, 3), box(0, 0, 1, 1)]);
  assert.deepEqual(regionBoxes(twoObjects, 0.4), [box(4, 1, 6, 4), box(0, 0, 2, 2)]);
  assert.deepEqual(largestRegionBox(twoObjects, 0.4, 'inclusive'), box(4, 1, 6, 3));
  // t = 0.2: cut 51, (2,2) is on and joins A through the corner (8-connectivity): the square
  // plus a spike, area still 1.
  assert.deepEqual(regionBoxes(twoObjects, 0.2, 'inclusive'), [box(4, 1, 6, 3), box(0, 0, 2, 2)]);
  assert.equal(findContours(binarize(twoObjects, 0.2), 7, 5)[1].area, 1);
  // t = 0.6: cut 153: A keeps 4 px, B only its centre: A is the largest.
  assert.deepEqual(largestRegionBox(twoObjects, 0.6, 'inclusive'), box(0, 0, 1, 1));
  // t = 0.95: cut floor(242.25) = 242: only the centre (5,2); wsolevaluation box [5,2,6,3].
  assert.deepEqual(regionBoxes(twoObjects, 0.95), [box(5, 2, 6, 3)]);
});

test('the sweep reproduces the hand-worked boxes and IoUs', () => {
  const T = [0, 0.2, 0.4, 0.6, 0.95];
  const gt = [box(4, 1, 6, 3), box(0, 0, 1, 1)];
  const inc = sweepBoxes(twoObjects, T, gt, 'inclusive');
  assert.deepEqual(inc.largestBoxes, [box(4, 1, 6, 3), box(4, 1, 6, 3), box(4, 1, 6, 3), box(0, 0, 1, 1), box(5, 2, 5, 2)]);
  assert.deepEqual(Array.from(inc.contourCounts), [2, 2, 2, 2, 1]);
  // Largest box = GT B for t <= 0.4 and GT A at 0.6: IoU 1; at 0.95 the centre pixel: 1/9.
  assert.deepEqual(Array.from(inc.largestIou), [1, 1, 1, 1, 1 / 9]);
  const ws = sweepBoxes(twoObjects, T, gt);
  // wsolevaluation boxes: B -> [4,1,6,4] vs [4,1,6,3]: 9/12; A at 0.6 -> [0,0,2,2] vs [0,0,1,1]: 4/9.
  assert.deepEqual(Array.from(ws.largestIou), [0.75, 0.75, 0.75, 4 / 9, 4 / 9]);
  // All regions at 0.4: max(IoU(A box [0,0,2,2], GT A) = 4/9, 0.75) = 0.75.
  assert.equal(ws.anyIou[2], 0.75);
});

test('8-connectivity: diagonal chains are one contour, a value equal to the cut is off', () => {
  const diag = map([
    [1, 0, 0, 0],
    [0, 1, 0, 0],
    [0, 0, 1, 0],
    [0, 0, 0, 1],
  ]);
  assert.deepEqual(regionBoxes(diag, 0.5, 'inclusive'), [box(0, 0, 3, 3)]);
  // q(0.4) = 102 = floor(0.4 * 255): not on at t = 0.4 (cv2.THRESH_BINARY keeps q > cut).
  assert.deepEqual(Array.from(binarize(map([[0.4, 1]]), 0.4)), [0, 1]);
});

test('empty and constant maps give the empty box', () => {
  const zeros = map([[0, 0], [0, 0]]);
  assert.deepEqual(regionBoxes(zeros, 0), [box(0, 0, 0, 0)]);
  assert.deepEqual(largestRegionBox(zeros, 0.5), box(0, 0, 0, 0));
  // A constant map of ones: everything is on below t = 1 (cut = floor(t * 255) < 255).
  const ones = map([[1, 1, 1], [1, 1, 1]]);
  assert.deepEqual(largestRegionBox(ones, 0.99, 'inclusive'), box(0, 0, 2, 1));
  assert.throws(() => binarize(ones, Number.NaN), /threshold must be a finite number, got NaN/);
  assert.throws(() => findContours(new Uint8Array(5), 2, 2), /image has 5 pixels, expected 2x2/);
});
