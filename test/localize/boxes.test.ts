import { test } from 'node:test';
import assert from 'node:assert/strict';
import { bestIou, checkBox, iou, resizeBox } from '../../src/localize/boxes';

const box = (x0: number, y0: number, x1: number, y1: number) => ({ x0, y0, x1, y1 });

test('IoU of nested, disjoint, touching and overlapping boxes (inclusive coordinates, +1)', () => {
  // Nested: [0,0,9,9] has 100 px, [2,2,6,6] has 25 px inside it: 25 / 100.
  assert.equal(iou(box(0, 0, 9, 9), box(2, 2, 6, 6)), 0.25);
  // Disjoint with a gap.
  assert.equal(iou(box(0, 0, 2, 2), box(5, 5, 7, 7)), 0);
  // Touching edges: [0..2] and [3..5] share no pixel column.
  assert.equal(iou(box(0, 0, 2, 2), box(3, 0, 5, 2)), 0);
  // Sharing one column: x = 2 is in both: inter 1x3 = 3, union 9 + 9 - 3 = 15.
  assert.equal(iou(box(0, 0, 2, 2), box(2, 0, 4, 2)), 3 / 15);
  // Sharing one corner pixel (2,2): 1 / (9 + 9 - 1).
  assert.equal(iou(box(0, 0, 2, 2), box(2, 2, 4, 4)), 1 / 17);
  // Single pixels: same pixel 1, neighbours 0.
  assert.equal(iou(box(3, 4, 3, 4), box(3, 4, 3, 4)), 1);
  assert.equal(iou(box(3, 4, 3, 4), box(4, 4, 4, 4)), 0);
  // Symmetric.
  assert.equal(iou(box(1, 2, 5, 6), box(3, 1, 4, 5)), iou(box(3, 1, 4, 5), box(1, 2, 5, 6)));
});

test('several GT boxes: the best match counts', () => {
  const gts = [box(0, 0, 1, 1), box(10, 10, 19, 19), box(12, 12, 21, 21)];
  // Against [10,10,19,19] exactly: 1.
  assert.equal(bestIou(box(10, 10, 19, 19), gts), 1);
  // [12,12,19,19] (64 px) vs [10,10,19,19] (100 px): 0.64; vs [12,12,21,21] (100 px): 0.64 too.
  assert.equal(bestIou(box(12, 12, 19, 19), gts), 0.64);
  assert.equal(bestIou(box(50, 50, 60, 60), gts), 0);
});

test('checkBox names the field and the problem', () => {
  assert.doesNotThrow(() => checkBox(box(0, 0, 9, 4), 10, 5, 'gt'));
  assert.throws(() => checkBox(box(0, 0, 10, 4), 10, 5, 'gtBoxes[2]'), /gtBoxes\[2\]: .* outside the 10x5 image/);
  assert.throws(() => checkBox(box(-1, 0, 3, 4), 10, 5, 'gt'), /outside/);
  assert.throws(() => checkBox(box(4, 0, 3, 4), 10, 5, 'gt'), /gt: x1 < x0 or y1 < y0/);
  assert.throws(() => checkBox(box(0, 3, 3, 2), 10, 5, 'gt'), /x1 < x0 or y1 < y0/);
  assert.throws(() => checkBox(box(0, Number.NaN, 3, 2), 10, 5, 'gt'), /gt: y0 is not a finite number/);
});

test('resizeBox scales and truncates (wsolevaluation resize_bbox)', () => {
  // 500x375 -> 224x224: x * 0.448, y * 0.5973..: [100, 50, 400, 300] -> [44, 29, 179, 179].
  assert.deepEqual(resizeBox(box(100, 50, 400, 300), { width: 500, height: 375 }, { width: 224, height: 224 }), box(44, 29, 179, 179));
});
