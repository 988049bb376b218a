import { test } from 'node:test';
import assert from 'node:assert/strict';
import { imagesAtPercentiles, type ImageBox } from '../../src/notebook/split-boxes';

const image = (index: number, iou: number) => ({ index, iou, id: `i${index}` }) as ImageBox;

test('images at percentiles of IoU: rank round(p/100 * (n - 1)) in ascending IoU, ties by position', () => {
  const set = [0.9, 0.1, 0.5, 0.3, 0.7].map((v, i) => image(i, v)); // ascending: 0.1 (1), 0.3 (3), 0.5 (2), 0.7 (4), 0.9 (0)
  const picked = imagesAtPercentiles(set, [0, 25, 50, 100]);
  assert.deepEqual(picked.map((p) => p.image.index), [1, 3, 2, 0]);
  assert.deepEqual(imagesAtPercentiles([image(0, 0.2), image(1, 0.2)], [0, 100]).map((p) => p.image.index), [0, 1]);
  assert.throws(() => imagesAtPercentiles(set, [101]), /percentile must be in \[0, 100\], got 101/);
  assert.throws(() => imagesAtPercentiles([], [50]), /no images/);
});
