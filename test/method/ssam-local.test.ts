/**
 * Windowed SSAM as a local operation (N x (2r+1)^2) against the masked N x N form it replaces:
 * values and gradients within 1e-5, border cells included, on the reference ops and on the native
 * kernels; the reference backward against tfjs autodiff.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import * as tf from '@tensorflow/tfjs-core';
import { initBackend } from '../../src/backend/select';
import { FUSED_KERNELS, hasFusedKernel, localAttentionGradReference, localAttentionReference } from '../../src/backend/fused-ops';
import { setNativeKernelsEnabled } from '../../src/backend/native/register';
import { SpatialSelfAttention } from '../../src/method/spatial-self-attention';
import { random, relError } from '../helpers/numeric';

/** Output and gradients (input, wq, wk, wv, gamma) of loss = sum(out * w), through `forward`. */
function gradsOf(layer: SpatialSelfAttention, f: tf.Tensor4D, w: tf.Tensor4D, forward: (x: tf.Tensor4D) => tf.Tensor): Float32Array[] {
  return tf.tidy(() => {
    const vars = layer.trainableWeights.map((v) => v.read() as tf.Variable);
    const out = forward(f);
    const { grads } = tf.variableGrads(() => tf.sum(tf.mul(forward(f), w)) as tf.Scalar, vars);
    const dInput = tf.grad((x: tf.Tensor) => tf.sum(tf.mul(forward(x as tf.Tensor4D), w)))(f);
    return [out, dInput, ...vars.map((v) => grads[v.name])].map((t) => t.dataSync() as Float32Array);
  });
}

/** The masked N x N form: gamma * (A V) + f with A from attention() (the window mask on N x N logits). */
function masked(layer: SpatialSelfAttention): (f: tf.Tensor4D) => tf.Tensor {
  return (f) => {
    const [n, h, w, c] = f.shape;
    const [, , wv, gamma] = layer.trainableWeights.map((v) => v.read());
    const v = tf.reshape(tf.matMul(tf.reshape(f, [n * h * w, c]), wv as tf.Tensor2D), [n, h * w, c]);
    return tf.add(tf.mul(tf.reshape(tf.matMul(layer.attention(f), v as tf.Tensor3D), [n, h, w, c]), gamma), f);
  };
}

async function parity(label: string): Promise<void> {
  for (const [h, w, r] of [[5, 6, 1], [5, 6, 2], [3, 3, 2]] as const) {
    const f = tf.tensor4d(random([2, h, w, 8], 1, 1.5), [2, h, w, 8]);
    const target = tf.tensor4d(random([2, h, w, 8], 2), [2, h, w, 8]);
    const layer = new SpatialSelfAttention({ queryReduction: 2, window: r });
    layer.apply(f);
    const start = layer.getWeights().map((t, i) => (i === 3 ? tf.tensor1d([0.7]) : tf.tensor(random(t.shape, 10 + i, 0.8), t.shape)));
    layer.setWeights(start);
    tf.dispose(start);
    const before = tf.memory().numTensors;
    const local = gradsOf(layer, f, target, (x) => layer.apply(x) as tf.Tensor);
    assert.equal(tf.memory().numTensors, before, `${label}: no tensor leak`);
    const reference = gradsOf(layer, f, target, masked(layer));
    ['output', 'd input', 'd wq', 'd wk', 'd wv', 'd gamma'].forEach((what, i) => {
      const e = relError(local[i], reference[i]);
      assert.ok(e < 1e-5, `${label} ${h}x${w} r=${r}: ${what} differs by ${e}`);
    });
    layer.dispose();
    tf.dispose([f, target]);
  }
}

test('local SSAM equals the masked N x N form on the reference ops (cpu)', async () => {
  await initBackend('cpu');
  assert.ok(!hasFusedKernel(FUSED_KERNELS.localAttention));
  await parity('cpu');
});

test('local SSAM equals the masked N x N form on wasm, with and without the native kernels', async () => {
  await initBackend('wasm');
  await parity(hasFusedKernel(FUSED_KERNELS.localAttention) ? 'native' : 'wasm');
  setNativeKernelsEnabled(false);
  try {
    assert.ok(!hasFusedKernel(FUSED_KERNELS.localAttention));
    await parity('wasm');
  } finally {
    setNativeKernelsEnabled(true);
  }
});

test('the local-attention reference backward equals tfjs autodiff of the reference forward', async () => {
  await initBackend('cpu');
  const s = [2, 4, 5, 3] as [number, number, number, number];
  const q = tf.tensor4d(random(s, 1), s);
  const k = tf.tensor4d(random(s, 2), s);
  const v = tf.tensor4d(random([2, 4, 5, 6], 3), [2, 4, 5, 6]);
  const dContext = tf.tensor4d(random([2, 4, 5, 6], 4), [2, 4, 5, 6]);
  const dWeights = tf.tensor4d(random([2, 4, 5, 9], 5), [2, 4, 5, 9]);
  const auto = tf.grads((a: tf.Tensor, b: tf.Tensor, c: tf.Tensor) => {
    const o = localAttentionReference(a as tf.Tensor4D, b as tf.Tensor4D, c as tf.Tensor4D, 1, 0.6);
    return tf.add(tf.sum(tf.mul(o.context, dContext)), tf.sum(tf.mul(o.weights, dWeights)));
  })([q, k, v]);
  const o = localAttentionReference(q, k, v, 1, 0.6);
  const mine = localAttentionGradReference({ dContext, dWeights, q, k, v, weights: o.weights }, 1, 0.6);
  [mine.dq, mine.dk, mine.dv].forEach((t, i) => assert.ok(relError(t.dataSync(), auto[i].dataSync()) < 1e-5, `gradient ${'qkv'[i]}`));
  // Border cells: the corner (0, 0) has 4 of 9 neighbours inside the map.
  const corner = Array.from(o.weights.dataSync().slice(0, 9));
  assert.deepEqual(corner.map((x) => x > 0), [false, false, false, false, true, true, false, true, true]);
  assert.ok(Math.abs(corner.reduce((a, b) => a + b, 0) - 1) < 1e-6);
  assert.throws(() => localAttentionReference(q, k, v, 0, 1), /radius must be an integer >= 1, got 0/);
  tf.dispose([q, k, v, dContext, dWeights, ...auto, o.context, o.weights, mine.dq, mine.dk, mine.dv]);
});
