import { test } from 'node:test';
import assert from 'node:assert/strict';
import * as tf from '@tensorflow/tfjs-core';
import { initBackend } from '../../src/backend/select';
import { attentionFusionLoss, unionTarget } from '../../src/method/attention-fusion-loss';
import { ChannelAssistedAttention } from '../../src/method/channel-assisted-attention';
import { applyComplementaryDropout, complementaryMasks } from '../../src/method/complementary-dropout';
import { DEFAULT_DROPOUT } from '../../src/method/method-config';
import { SpatialSelfAttention } from '../../src/method/spatial-self-attention';

test('complementary masks partition the image, are seeded, and change with the step', async () => {
  await initBackend();
  const size = 32;
  const m1 = complementaryMasks(4, size, DEFAULT_DROPOUT, 7, 3);
  const m2 = complementaryMasks(4, size, DEFAULT_DROPOUT, 7, 3);
  const m3 = complementaryMasks(4, size, DEFAULT_DROPOUT, 7, 4);
  assert.deepEqual(m1, m2);
  assert.notDeepEqual(m1, m3);
  for (let i = 0; i < 4; i++) {
    const one = m1.subarray(i * size * size, (i + 1) * size * size);
    const kept = one.reduce((a, b) => a + b, 0);
    assert.ok(kept > 0 && kept < size * size, 'never all kept or all dropped');
  }
  const images = tf.randomNormal([4, size, size, 3]) as tf.Tensor4D;
  const before = tf.memory().numTensors;
  const pair = applyComplementaryDropout(images, { ...DEFAULT_DROPOUT, fillValue: 0 }, 7, 3);
  // Every pixel is visible in exactly one image: x_A + x_B = x when the fill value is 0.
  assert.equal(tf.memory().numTensors, before + 3, 'exactly the three outputs are new');
  const err = tf.tidy(() => tf.max(tf.abs(tf.sub(tf.add(pair.imageA, pair.imageB), images))).dataSync()[0]);
  assert.ok(err < 1e-6);
  // Where mask A is 1, image B holds the fill value 0, and vice versa.
  const overlap = tf.tidy(() => tf.max(tf.abs(tf.mul(pair.imageB, pair.maskA))).dataSync()[0]);
  assert.equal(overlap, 0);
  tf.dispose([pair.imageA, pair.imageB, pair.maskA]);
  assert.equal(tf.memory().numTensors, before);
  images.dispose();
});

test('checkerboard masks alternate cells; bad configs name the field', () => {
  const m = complementaryMasks(1, 8, { ...DEFAULT_DROPOUT, cellFractions: [0.25], checkerboard: true }, 1, 0);
  // 2 px cells: pixel (0,0) and (2,0) differ, (0,0) and (2,2) agree.
  assert.notEqual(m[0], m[2]);
  assert.equal(m[0], m[2 * 8 + 2]);
  assert.throws(() => complementaryMasks(1, 8, { ...DEFAULT_DROPOUT, keepProbability: 1 }, 1, 0), /dropout.keepProbability must be in \(0, 1\)/);
  assert.throws(() => complementaryMasks(1, 8, { ...DEFAULT_DROPOUT, cellFractions: [1.5] }, 1, 0), /cellFractions 1.5 gives a 12 px cell, not smaller than the 8 px image/);
});

test('SSAM: shape kept, identity while gamma = 0, attention rows sum to 1', async () => {
  await initBackend();
  const ssam = new SpatialSelfAttention({ queryReduction: 8 });
  const f = tf.randomNormal([2, 5, 4, 16]) as tf.Tensor4D;
  const out = ssam.apply(f) as tf.Tensor;
  assert.deepEqual(out.shape, [2, 5, 4, 16]);
  assert.deepEqual(Array.from(out.dataSync()), Array.from(f.dataSync()));
  assert.equal(ssam.gammaValue(), 0);
  const a = ssam.attention(f);
  assert.deepEqual(a.shape, [2, 20, 20]);
  const rows = tf.sum(a, 2).dataSync();
  for (const r of rows) assert.ok(Math.abs(r - 1) < 1e-5);
  tf.dispose([f, out, a]);
});

test('CAAM: weights in (0,1), and branch B changes branch A\'s weights', async () => {
  await initBackend();
  const caam = new ChannelAssistedAttention({ reduction: 4 });
  const fa = tf.randomNormal([2, 4, 4, 8]) as tf.Tensor4D;
  const fb = tf.randomNormal([2, 4, 4, 8]) as tf.Tensor4D;
  const outs = caam.apply([fa, fb]) as tf.Tensor[];
  assert.deepEqual(outs.map((o) => o.shape), [[2, 4, 4, 8], [2, 4, 4, 8]]);
  const [a1] = caam.channelWeights(fa, fb);
  const values = a1.dataSync();
  for (const v of values) assert.ok(v > 0 && v < 1);
  const fb2 = tf.mul(fb, 3) as tf.Tensor4D;
  const [a2] = caam.channelWeights(fa, fb2);
  assert.ok(tf.max(tf.abs(tf.sub(a1, a2))).dataSync()[0] > 1e-4, 'a_A depends on F_B');
  tf.dispose([fa, fb, fb2, a1, a2, ...outs]);
});

test('fusion loss: zero at the union, hand-computed value, no gradient into the target', async () => {
  await initBackend();
  const a = tf.tensor3d([[[0.2, 0.8], [0.0, 1.0]]]);
  const b = tf.tensor3d([[[0.6, 0.1], [0.5, 0.0]]]);
  const t = unionTarget(a, b); // [[0.6, 0.8], [0.5, 1.0]]
  assert.deepEqual(Array.from(t.dataSync()).map((v) => +v.toFixed(6)), [0.6, 0.8, 0.5, 1]);
  assert.equal(attentionFusionLoss(t, t, t).dataSync()[0], 0);
  // mean|a - t| = (0.4 + 0 + 0.5 + 0) / 4 = 0.225; mean|b - t| = (0 + 0.7 + 0 + 1) / 4 = 0.425.
  assert.ok(Math.abs(attentionFusionLoss(a, b, t).dataSync()[0] - 0.65) < 1e-6);
  // The target is stop-gradient: d/da of L(full, full, union(a, b)) with full fixed is zero.
  const full = tf.tensor3d([[[0.1, 0.1], [0.1, 0.1]]]);
  const g = tf.grad((x: tf.Tensor) => attentionFusionLoss(full, full, unionTarget(x as tf.Tensor3D, b)))(a);
  assert.equal(tf.max(tf.abs(g)).dataSync()[0], 0);
  tf.dispose([a, b, t, full, g]);
});
