import { test } from 'node:test';
import assert from 'node:assert/strict';
import sharp from 'sharp';
import { jet } from '../../src/viz/colormap';
import { GT_COLOUR, PRED_COLOUR, overlayPng, overlayRgb } from '../../src/viz/overlay';

test('jet: dark blue -> blue-cyan -> green-yellow -> orange -> dark red, clamped', () => {
  // Each channel is clamp(1.5 - |4t - k|) * 255 with k = 3 (red), 2 (green), 1 (blue).
  assert.deepEqual(jet(0), [0, 0, 128]);
  assert.deepEqual(jet(0.25), [0, 128, 255]);
  assert.deepEqual(jet(0.5), [128, 255, 128]);
  assert.deepEqual(jet(0.75), [255, 128, 0]);
  assert.deepEqual(jet(1), [128, 0, 0]);
  assert.deepEqual(jet(-3), jet(0));
  assert.deepEqual(jet(7), jet(1));
  assert.deepEqual(jet(Number.NaN), jet(0));
  // t = 0.1: r = 0, g = clamp(1.5 - 1.6) = 0, b = 1.5 - 0.6 = 0.9 -> 229.5 -> 230.
  assert.deepEqual(jet(0.1), [0, 0, 230]);
});

const W = 8;
const H = 6;
const grey = (v: number) => new Uint8Array(W * H * 3).fill(v);
const px = (rgb: Uint8Array, x: number, y: number) => Array.from(rgb.subarray((y * W + x) * 3, (y * W + x) * 3 + 3));

test('overlay: alpha blend arithmetic on a constant map', () => {
  const map = { width: 2, height: 2, data: new Float32Array(4).fill(0.5) }; // jet(0.5) = (128, 255, 128)
  const out = overlayRgb(grey(100), W, H, map, { alpha: 0.25 });
  // 0.75 * 100 + 0.25 * (128, 255, 128) = (107, 138.75, 107)
  assert.deepEqual(px(out, 3, 2), [107, 139, 107]);
  assert.deepEqual(px(overlayRgb(grey(100), W, H, map, { alpha: 0 }), 5, 5), [100, 100, 100]);
  assert.deepEqual(px(overlayRgb(grey(100), W, H, map, { alpha: 1 }), 0, 0), [128, 255, 128]);
});

test('overlay: the map is resized to the image (left half 0, right half 1)', () => {
  const map = { width: 2, height: 1, data: Float32Array.from([0, 1]) };
  const out = overlayRgb(grey(0), W, H, map, { alpha: 1 });
  assert.deepEqual(px(out, 0, 3), jet(0));
  assert.deepEqual(px(out, W - 1, 3), jet(1));
});

test('overlay: box outlines in their colours, inclusive corners, prediction drawn last, inside untouched', () => {
  const map = { width: 1, height: 1, data: new Float32Array(1) };
  const gt = { x0: 1, y0: 1, x1: 5, y1: 4 };
  const pred = { x0: 5, y0: 0, x1: 7, y1: 2 };
  const out = overlayRgb(grey(50), W, H, map, { alpha: 0, gtBoxes: [gt], predBoxes: [pred] });
  for (const [x, y] of [[1, 1], [5, 4], [1, 4], [3, 1], [1, 3], [5, 3]]) assert.deepEqual(px(out, x, y), GT_COLOUR, `gt at ${x},${y}`);
  for (const [x, y] of [[5, 0], [7, 2], [5, 2], [5, 1], [6, 0]]) assert.deepEqual(px(out, x, y), PRED_COLOUR, `pred at ${x},${y}`);
  for (const [x, y] of [[2, 2], [3, 3], [0, 0], [6, 1], [7, 5]]) assert.deepEqual(px(out, x, y), [50, 50, 50], `background at ${x},${y}`);
  // A box running off the image is clipped, not an error.
  const clipped = overlayRgb(grey(50), W, H, map, { alpha: 0, gtBoxes: [{ x0: -3, y0: -3, x1: 20, y1: 20 }] });
  assert.deepEqual(px(clipped, 0, 0), [50, 50, 50]);
});

test('overlay: bad input names the problem', () => {
  const map = { width: 1, height: 1, data: new Float32Array(1) };
  assert.throws(() => overlayRgb(new Uint8Array(5), W, H, map), /image has 5 bytes, expected 144/);
  assert.throws(() => overlayRgb(grey(0), W, H, map, { alpha: 2 }), /alpha must be in \[0, 1\]/);
});

test('overlayPng: decodes back to the same pixels, scaled by nearest neighbour', async () => {
  const map = { width: 1, height: 1, data: Float32Array.from([1]) };
  const opts = { alpha: 0.5, gtBoxes: [{ x0: 0, y0: 0, x1: 2, y1: 2 }] };
  const png = await overlayPng(grey(200), W, H, map, opts, 2);
  const { data, info } = await sharp(png).raw().toBuffer({ resolveWithObject: true });
  assert.equal(info.width, 2 * W);
  assert.equal(info.height, 2 * H);
  assert.equal(info.channels, 3);
  const direct = overlayRgb(grey(200), W, H, map, opts);
  const at = (x: number, y: number) => Array.from(data.subarray((y * 2 * W + x) * 3, (y * 2 * W + x) * 3 + 3));
  assert.deepEqual(at(1, 1), px(direct, 0, 0)); // box pixel
  assert.deepEqual(at(2 * 6 + 1, 2 * 4), px(direct, 6, 4)); // blended: 0.5 * 200 + 0.5 * (128, 0, 0) = (164, 100, 100)
  assert.deepEqual(px(direct, 6, 4), [164, 100, 100]);
});

test('imageRow: images side by side with white gaps, top-aligned', async () => {
  const { imageRow } = await import('../../src/viz/image-row');
  const solid = (w: number, h: number, r: number, g: number, b: number) => sharp({ create: { width: w, height: h, channels: 3, background: { r, g, b } } }).png().toBuffer();
  const row = await imageRow([await solid(3, 2, 255, 0, 0), await solid(2, 4, 0, 0, 255)], 1);
  const { data, info } = await sharp(row).removeAlpha().raw().toBuffer({ resolveWithObject: true });
  assert.equal(info.width, 3 + 1 + 2);
  assert.equal(info.height, 4);
  const at = (x: number, y: number) => Array.from(data.subarray((y * info.width + x) * 3, (y * info.width + x) * 3 + 3));
  assert.deepEqual(at(0, 0), [255, 0, 0]);
  assert.deepEqual(at(2, 1), [255, 0, 0]);
  assert.deepEqual(at(0, 3), [255, 255, 255]); // below the shorter first image
  assert.deepEqual(at(3, 0), [255, 255, 255]); // the gap
  assert.deepEqual(at(4, 3), [0, 0, 255]);
  await assert.rejects(imageRow([]), /no images given/);
});
