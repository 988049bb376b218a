// Cases ported from wsolevaluation's evaluation_test.py (the expectations, not the code).
import { test } from 'node:test';
import assert from 'node:assert/strict';
import type { ScoreMap } from '../../src/common/box';
import { iou, resizeBox } from '../../src/localize/boxes';
import { normalizeScoreMap, thresholdList } from '../../src/localize/score-map';
import { sweepBoxes } from '../../src/localize/threshold-sweep';
import { BoxEvaluator } from '../../src/localize/box-evaluator';

const map = (rows: number[][]): ScoreMap => ({ width: rows[0].length, height: rows.length, data: Float32Array.from(rows.flat()) });
const asList = (b: { x0: number; y0: number; x1: number; y1: number }) => [b.x0, b.y0, b.x1, b.y1];
const T = thresholdList(0.2); // [0, 0.2, 0.4, 0.6, 0.8]

test('IoU: identical boxes 1, disjoint 0, realistic 8/27', () => {
  assert.equal(iou({ x0: 1, y0: 1, x1: 3, y1: 3 }, { x0: 1, y0: 1, x1: 3, y1: 3 }), 1);
  assert.equal(iou({ x0: 1, y0: 1, x1: 3, y1: 3 }, { x0: 4, y0: 4, x1: 5, y1: 5 }), 0);
  assert.ok(Math.abs(iou({ x0: 1, y0: 2, x1: 5, y1: 6 }, { x0: 3, y0: 1, x1: 4, y1: 5 }) - 8 / 27) < 1e-9);
  // wsolevaluation counts two all-zero boxes as the same single pixel: IoU 1.
  assert.equal(iou({ x0: 0, y0: 0, x1: 0, y1: 0 }, { x0: 0, y0: 0, x1: 0, y1: 0 }), 1);
});

test('resize_bbox truncates like wsolevaluation', () => {
  assert.deepEqual(resizeBox({ x0: 1, y0: 2, x1: 4, y1: 3 }, { width: 10, height: 20 }, { width: 35, height: 10 }), { x0: 3, y0: 1, x1: 14, y1: 1 });
  assert.deepEqual(resizeBox({ x0: 1, y0: 2, x1: 1, y1: 2 }, { width: 3, height: 3 }, { width: 3, height: 3 }), { x0: 1, y0: 2, x1: 1, y1: 2 });
});

test('degenerate all-zero map gives [0,0,0,0] at every threshold', () => {
  const r = sweepBoxes(map([[0, 0, 0], [0, 0, 0], [0, 0, 0]]), T, [{ x0: 0, y0: 0, x1: 2, y1: 2 }]);
  assert.deepEqual(r.largestBoxes.map(asList), [[0, 0, 0, 0], [0, 0, 0, 0], [0, 0, 0, 0], [0, 0, 0, 0], [0, 0, 0, 0]]);
});

test('unimodal map: the boxes of wsolevaluation', () => {
  const m = map([
    [0.0, 0.0, 0.0, 0.0, 0.0],
    [0.0, 0.4, 0.4, 0.4, 0.6],
    [0.0, 0.4, 1.0, 0.8, 0.6],
    [0.0, 0.4, 0.4, 0.4, 0.6],
  ]);
  const r = sweepBoxes(m, T, [{ x0: 0, y0: 0, x1: 4, y1: 3 }]);
  assert.deepEqual(r.largestBoxes.map(asList), [[1, 1, 4, 3], [1, 1, 4, 3], [2, 1, 4, 3], [2, 2, 4, 3], [2, 2, 3, 3]]);
});

test('multimodal map: exactly the boxes wsolevaluation expects (largest by contour area, OpenCV order on ties)', () => {
  const m = map([
    [0.4, 0.0, 0.2, 0.2, 0.2],
    [0.4, 0.4, 0.0, 0.4, 0.0],
    [0.0, 0.0, 0.0, 0.4, 0.0],
    [1.0, 0.6, 0.8, 0.2, 0.2],
  ]);
  const r = sweepBoxes(m, T, [{ x0: 0, y0: 0, x1: 2, y1: 2 }]);
  assert.deepEqual(r.largestBoxes.map(asList), [[0, 0, 4, 3], [0, 0, 2, 2], [0, 3, 3, 3], [2, 3, 3, 3], [0, 3, 1, 3]]);
  // t = 0.2 (cut 51): an L of 3 pixels (area 0.5) and a bent 5-pixel line joined through
  // corners (area 0): the L wins although it has fewer pixels.
  assert.equal(r.contourCounts[1], 2);
  // t = 0.6 (cut 153): two single pixels (0,3) and (2,3), both of area 0: OpenCV lists the
  // later-found one first, and max() keeps the first.
  assert.equal(r.contourCounts[3], 2);
});

test('NaN maps: compute_bboxes_from_scoremaps raises, normalize_scoremap returns zeros', () => {
  const nan = map([[NaN, NaN, NaN], [NaN, NaN, NaN], [NaN, NaN, NaN]]);
  assert.throws(() => new BoxEvaluator({ thresholdStep: 0.2 }).accumulate(nan, [{ x0: 0, y0: 0, x1: 1, y1: 1 }]), /map: value NaN at pixel 0,0/);
  assert.deepEqual(Array.from(normalizeScoreMap(nan).data), new Array(9).fill(0));
  assert.deepEqual(Array.from(normalizeScoreMap(map([[3, 3], [3, 3]])).data), [0, 0, 0, 0]);
});
