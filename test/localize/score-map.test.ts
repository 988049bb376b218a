import { test } from 'node:test';
import assert from 'node:assert/strict';
import type { ScoreMap } from '../../src/common/box';
import { checkNormalizedMap, normalizeScoreMap, resizeScoreMap, thresholdList } from '../../src/localize/score-map';

const row = (v: number[]): ScoreMap => ({ width: v.length, height: 1, data: Float32Array.from(v) });
const close = (a: ArrayLike<number>, b: number[], tol = 1e-6) => {
  assert.equal(a.length, b.length);
  for (let i = 0; i < b.length; i++) assert.ok(Math.abs(a[i] - b[i]) < tol, `[${i}] ${a[i]} vs ${b[i]}`);
};

test('bilinear follows cv2.INTER_LINEAR (half-pixel centres, clamped edges)', () => {
  // Upscale [0, 1] to 4: fx = (x + 0.5) / 2 - 0.5 = -0.25, 0.25, 0.75, 1.25 -> clamp -> 0, .25, .75, 1.
  close(resizeScoreMap(row([0, 1]), 4, 1, 'bilinear').data, [0, 0.25, 0.75, 1]);
  // Downscale by 2: fx = 2x + 0.5, the mean of each pair.
  close(resizeScoreMap(row([0, 1, 2, 3]), 2, 1, 'bilinear').data, [0.5, 2.5]);
  // 2D: a 2x2 map to 4x4; pixel (1,1) samples (0.25, 0.25): 0.75^2 a + .75*.25 (b + c) + .25^2 d.
  const m = { width: 2, height: 2, data: Float32Array.from([0, 4, 8, 16]) };
  const r = resizeScoreMap(m, 4, 4, 'bilinear');
  assert.ok(Math.abs(r.data[5] - (0.5625 * 0 + 0.1875 * 4 + 0.1875 * 8 + 0.0625 * 16)) < 1e-6);
  assert.equal(r.data[0], 0);
  assert.equal(r.data[15], 16);
});

test('bicubic follows cv2.INTER_CUBIC (Keys kernel a = -0.75, replicated border)', () => {
  // Upscale [0, 1] to 4. x = 0: fx = -0.25, taps -2..1 -> values 0,0,0,1, weight of the last tap
  // (distance 1.25): a|s|^3 - 5a|s|^2 + 8a|s| - 4a = -0.10546875.
  // x = 1: fx = 0.25, taps -1..2 -> 0,0,1,1: w(0.75) + w(1.75) = 0.26171875 - 0.03515625 = 0.2265625.
  // x = 2, 3 by symmetry: 1 - 0.2265625 and 1 + 0.10546875 (bicubic overshoots).
  close(resizeScoreMap(row([0, 1]), 4, 1, 'bicubic').data, [-0.10546875, 0.2265625, 0.7734375, 1.10546875]);
  // Downscale [0,1,2,3] by 2, x = 0: fx = 0.5, taps -1..2 -> 0,0,1,2 with weights
  // -0.09375, 0.59375, 0.59375, -0.09375: 0.59375 - 0.1875 = 0.40625; x = 1 by symmetry 3 - 0.40625.
  close(resizeScoreMap(row([0, 1, 2, 3]), 2, 1, 'bicubic').data, [0.40625, 2.59375]);
  // A constant map stays constant (weights sum to 1).
  const c = resizeScoreMap({ width: 3, height: 3, data: new Float32Array(9).fill(0.7) }, 7, 5, 'bicubic');
  for (const v of c.data) assert.ok(Math.abs(v - 0.7) < 1e-6);
});

test('resize rejects bad sizes and methods', () => {
  assert.throws(() => resizeScoreMap(row([0, 1]), 0, 1), /width\/height must be positive integers/);
  assert.throws(() => resizeScoreMap({ width: 3, height: 1, data: new Float32Array(2) }, 4, 1), /map data has 2 values for 3x1/);
  assert.throws(() => resizeScoreMap(row([0, 1]), 4, 1, 'nearest' as never), /interpolation must be/);
});

test('min-max normalisation; constant and NaN maps become zeros (wsolevaluation normalize_scoremap)', () => {
  close(normalizeScoreMap(row([2, 4, 3, 6])).data, [0, 0.5, 0.25, 1]);
  assert.deepEqual(Array.from(normalizeScoreMap(row([3, 3, 3])).data), [0, 0, 0]);
  assert.deepEqual(Array.from(normalizeScoreMap(row([1, Number.NaN, 3])).data), [0, 0, 0]);
  assert.throws(() => checkNormalizedMap(row([0, 1.5]), 'map'), /map: value 1.5 at pixel 1,0 is not in \[0, 1\]/);
  assert.throws(() => checkNormalizedMap(row([Number.NaN, 1]), 'map'), /value NaN at pixel 0,0/);
});

test('threshold grid = np.arange(0, 1, step)', () => {
  assert.equal(thresholdList(0.01).length, 100);
  assert.equal(thresholdList(0.001).length, 1000);
  assert.equal(thresholdList(0.01)[37], 0.37);
  // np.arange(0, 1, 0.2) = [0, 0.2, 0.4, 0.6000000000000001, 0.8]
  assert.deepEqual(thresholdList(0.2), [0, 0.2, 0.4, 0.6000000000000001, 0.8]);
  assert.deepEqual(thresholdList(0.3), [0, 0.3, 0.6, 0.8999999999999999]);
  for (const bad of [Number.NaN, 0, 1, -0.1, Infinity]) assert.throws(() => thresholdList(bad), /threshold step must be in \(0, 1\)/);
});
