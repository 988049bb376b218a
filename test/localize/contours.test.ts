// Hand-worked contours (values derived on paper: borders through pixel centres, areas by the
// shoelace formula; test/oracle checks thousands of random images against OpenCV itself).
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { Rng } from '../../src/common/rng';
import { ContourTracer, findContours, largestContour, type Contour } from '../../src/localize/contours';

const img = (rows: number[][]) => ({ on: Uint8Array.from(rows.flat()), w: rows[0].length, h: rows.length });
const contours = (rows: number[][]) => {
  const { on, w, h } = img(rows);
  return findContours(on, w, h);
};
const c = (isHole: boolean, parent: number, x0: number, y0: number, x1: number, y1: number, area: number): Contour => ({ isHole, parent, x0, y0, x1, y1, area });

test('a ring: the outer border (a 2x2 square, area 4) and the border of its hole (a diamond through the 4 pixels around it, area 2)', () => {
  assert.deepEqual(
    contours([
      [0, 0, 0, 0, 0],
      [0, 1, 1, 1, 0],
      [0, 1, 0, 1, 0],
      [0, 1, 1, 1, 0],
      [0, 0, 0, 0, 0],
    ]),
    [c(false, -1, 1, 1, 3, 3, 4), c(true, 0, 1, 1, 3, 3, 2)],
  );
});

test('an island in a hole: pre-order (object, its hole, the island inside); a 5x5 hole cuts the corners (area 36 - 4/2)', () => {
  const rows = Array.from({ length: 7 }, (_, y) => Array.from({ length: 7 }, (_, x) => (x === 0 || y === 0 || x === 6 || y === 6 || (x === 3 && y === 3) ? 1 : 0)));
  assert.deepEqual(contours(rows), [c(false, -1, 0, 0, 6, 6, 36), c(true, 0, 0, 0, 6, 6, 34), c(false, 1, 3, 3, 3, 3, 0)]);
});

test('background is 4-connected: two hole pixels touching at a corner are two holes, the later-found one listed first', () => {
  assert.deepEqual(
    contours([
      [1, 1, 1, 1],
      [1, 0, 1, 1],
      [1, 1, 0, 1],
      [1, 1, 1, 1],
    ]),
    [c(false, -1, 0, 0, 3, 3, 9), c(true, 0, 1, 1, 3, 3, 2), c(true, 0, 0, 0, 2, 2, 2)],
  );
});

test('objects touching the image edge are closed by the frame; one pixel and one-pixel lines have area 0', () => {
  assert.deepEqual(contours([[1, 1, 1]]), [c(false, -1, 0, 0, 2, 0, 0)]);
  assert.deepEqual(contours([[1], [1]]), [c(false, -1, 0, 0, 0, 1, 0)]);
  assert.deepEqual(contours([[0, 0], [0, 1]]), [c(false, -1, 1, 1, 1, 1, 0)]);
  assert.deepEqual(contours([[0, 0], [0, 0]]), []);
  // A full 3x2 block: a rectangle through the centres, 2 x 1.
  assert.deepEqual(contours([[1, 1, 1], [1, 1, 1]]), [c(false, -1, 0, 0, 2, 1, 2)]);
});

test('largest = first of maximal area in list order (an L of 3 pixels, area 0.5, beats a 5-pixel line, area 0)', () => {
  const list = contours([
    [1, 0, 0, 0, 1, 1, 1, 1, 1],
    [1, 1, 0, 0, 0, 0, 0, 0, 0],
  ]);
  assert.deepEqual(list, [c(false, -1, 4, 0, 8, 0, 0), c(false, -1, 0, 0, 1, 1, 0.5)]);
  assert.equal(largestContour(list), 1);
  // Equal areas: the first listed wins.
  assert.equal(largestContour([c(false, -1, 0, 0, 0, 0, 0), c(false, -1, 2, 2, 2, 2, 0)]), 0);
  assert.equal(largestContour([]), -1);
});

test('one tracer, several cuts of the same levels: the same contours as fresh traces', () => {
  const q = [
    [9, 9, 9, 0, 5],
    [9, 0, 9, 0, 5],
    [9, 9, 9, 0, 0],
  ].flat();
  const tracer = new ContourTracer(5, 3);
  tracer.setLevels(q);
  const ring = [c(false, -1, 0, 0, 2, 2, 4), c(true, 0, 0, 0, 2, 2, 2)];
  assert.deepEqual(tracer.traceAbove(0), [c(false, -1, 4, 0, 4, 1, 0), c(false, -1, 0, 0, 2, 2, 4), c(true, 1, 0, 0, 2, 2, 2)]);
  assert.deepEqual(tracer.traceAbove(5), ring);
  assert.deepEqual(tracer.traceAbove(0), findContours(q.map((v) => (v > 0 ? 1 : 0)), 5, 3));
  assert.deepEqual(tracer.traceAbove(9), []);
  assert.throws(() => new ContourTracer(0, 3), /width\/height must be positive integers, got 0x3/);
  assert.throws(() => tracer.setLevels([1, 2]), /image has 2 pixels, expected 5x3/);
});

test('cuts in any order (up, down, repeated, above 255) give the contours of a fresh binary image', () => {
  const rng = new Rng(3);
  const W = 12;
  const H = 9;
  const levels = Array.from({ length: W * H }, () => rng.int(8) * 30);
  const tracer = new ContourTracer(W, H);
  tracer.setLevels(levels);
  for (const cut of [0, 100, 30, 30, 200, 1000, 59, -1, 255, 60, 0]) {
    assert.deepEqual(tracer.traceAbove(cut), findContours(levels.map((v) => (v > cut ? 1 : 0)), W, H), `cut ${cut}`);
  }
  assert.throws(() => new ContourTracer(2, 2).traceAbove(0), /setLevels\(\) first/);
  assert.throws(() => tracer.setLevels(new Array(W * H).fill(256)), /level 256 at pixel 0 is not an integer in 0\.\.255/);
});
