import { test } from 'node:test';
import assert from 'node:assert/strict';
import * as tf from '@tensorflow/tfjs-core';
import { initBackend } from '../../src/backend/select';
import { Rng } from '../../src/common/rng';

function random(shape: number[], seed: number): Float32Array {
  const r = new Rng(seed);
  return Float32Array.from({ length: shape.reduce((a, b) => a * b, 1) }, () => r.next() * 2 - 1);
}

/** Largest |a - b| relative to the largest |b| (so near-zero entries do not blow up the ratio). */
function relError(a: ArrayLike<number>, b: ArrayLike<number>): number {
  let num = 0;
  let den = 0;
  for (let i = 0; i < b.length; i++) {
    num = Math.max(num, Math.abs(a[i] - b[i]));
    den = Math.max(den, Math.abs(b[i]));
  }
  return num / Math.max(den, 1e-12);
}

interface Case {
  x: [number, number, number, number];
  k: number;
  co: number;
  stride: number;
  pad: 'same' | 'valid' | number;
}

const CASES: Case[] = [
  { x: [2, 9, 9, 3], k: 3, co: 4, stride: 1, pad: 'same' },
  { x: [1, 8, 8, 5], k: 3, co: 6, stride: 2, pad: 'same' },
  { x: [2, 7, 9, 3], k: 3, co: 2, stride: 2, pad: 'same' },
  { x: [1, 11, 11, 4], k: 3, co: 3, stride: 2, pad: 'valid' },
  { x: [3, 6, 5, 2], k: 1, co: 7, stride: 1, pad: 'valid' },
  { x: [2, 9, 7, 3], k: 1, co: 4, stride: 2, pad: 'same' },
  { x: [1, 10, 10, 2], k: 3, co: 3, stride: 1, pad: 1 },
  { x: [2, 13, 13, 3], k: 5, co: 2, stride: 2, pad: 2 },
  { x: [1, 5, 5, 1], k: 3, co: 1, stride: 1, pad: 'valid' },
];

async function gradsOn(backend: 'wasm' | 'cpu', c: Case, seed: number) {
  await tf.setBackend(backend);
  return tf.tidy(() => {
    const x = tf.tensor4d(random(c.x, seed), c.x);
    const w = tf.tensor4d(random([c.k, c.k, c.x[3], c.co], seed + 1), [c.k, c.k, c.x[3], c.co]);
    const y = tf.conv2d(x, w, c.stride, c.pad);
    const dy = tf.tensor(random(y.shape, seed + 2), y.shape) as tf.Tensor4D;
    const gradFilter = tf.grad((wt: tf.Tensor) => tf.sum(tf.mul(tf.conv2d(x, wt as tf.Tensor4D, c.stride, c.pad), dy)))(w);
    const gradInput = tf.grad((xt: tf.Tensor) => tf.sum(tf.mul(tf.conv2d(xt as tf.Tensor4D, w, c.stride, c.pad), dy)))(x);
    return { filter: gradFilter.dataSync().slice(), input: gradInput.dataSync().slice(), fShape: gradFilter.shape, iShape: gradInput.shape };
  });
}

test('wasm Conv2DBackpropFilter / Conv2DBackpropInput match the cpu backend (rel. error <= 1e-4)', async () => {
  await initBackend('wasm');
  assert.ok(tf.getKernel('Conv2DBackpropFilter', 'wasm'), 'filter kernel registered');
  for (const [i, c] of CASES.entries()) {
    await tf.setBackend('wasm');
    const before = tf.memory().numTensors;
    const ours = await gradsOn('wasm', c, 10 * i);
    assert.equal(tf.memory().numTensors, before, `no leak for case ${JSON.stringify(c)}`);
    const ref = await gradsOn('cpu', c, 10 * i);
    assert.deepEqual(ours.fShape, ref.fShape);
    assert.deepEqual(ours.iShape, ref.iShape);
    const ef = relError(ours.filter, ref.filter);
    const ei = relError(ours.input, ref.input);
    assert.ok(ef <= 1e-4, `filter grad rel error ${ef} for ${JSON.stringify(c)}`);
    assert.ok(ei <= 1e-4, `input grad rel error ${ei} for ${JSON.stringify(c)}`);
  }
  await tf.setBackend('wasm');
});

test('the kernels also agree with a brute-force loop on a tiny strided case', async () => {
  await initBackend('wasm');
  const x = [1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 11, 12, 13, 14, 15, 16, 17, 18, 19, 20, 21, 22, 23, 24, 25];
  const dy = [1, -1, 2, 0.5];
  // conv 3x3, stride 2, valid on a 5x5 single-channel input -> 2x2 output.
  const dwBrute: number[] = [];
  for (let a = 0; a < 3; a++) for (let b = 0; b < 3; b++) {
    let s = 0;
    for (let i = 0; i < 2; i++) for (let j = 0; j < 2; j++) s += x[(2 * i + a) * 5 + (2 * j + b)] * dy[i * 2 + j];
    dwBrute.push(s);
  }
  const dw = tf.engine().runKernel('Conv2DBackpropFilter', { x: tf.tensor4d(x, [1, 5, 5, 1]), dy: tf.tensor4d(dy, [1, 2, 2, 1]) }, {
    strides: [2, 2], pad: 'valid', dataFormat: 'NHWC', filterShape: [3, 3, 1, 1],
  }) as tf.Tensor;
  assert.deepEqual(Array.from(dw.dataSync()), dwBrute);
  const w = [1, 2, 3, 4, 5, 6, 7, 8, 9];
  const dxBrute = new Array(25).fill(0);
  for (let i = 0; i < 2; i++) for (let j = 0; j < 2; j++) for (let a = 0; a < 3; a++) for (let b = 0; b < 3; b++) {
    dxBrute[(2 * i + a) * 5 + (2 * j + b)] += w[a * 3 + b] * dy[i * 2 + j];
  }
  const dx = tf.conv2dTranspose(tf.tensor4d(dy, [1, 2, 2, 1]), tf.tensor4d(w, [3, 3, 1, 1]), [1, 5, 5, 1], 2, 'valid');
  assert.deepEqual(Array.from(dx.dataSync()), dxBrute);
});

test('a 3-layer CNN trains on wasm: the loss falls on a fixed toy batch', async () => {
  await initBackend('wasm');
  const before = tf.memory().numTensors;
  const r = new Rng(3);
  const vars = tf.tidy(() => [
    tf.variable(tf.tensor4d(random([3, 3, 3, 8], 1), [3, 3, 3, 8]).mul(0.3), true, 'cnn/c1'),
    tf.variable(tf.tensor4d(random([3, 3, 8, 16], 2), [3, 3, 8, 16]).mul(0.2), true, 'cnn/c2'),
    tf.variable(tf.tensor4d(random([3, 3, 16, 2], 3), [3, 3, 16, 2]).mul(0.2), true, 'cnn/c3'),
  ]);
  // Class 1 images have a bright square; class 0 do not.
  const labels = Array.from({ length: 8 }, (_, i) => i % 2);
  const pixels = new Float32Array(8 * 16 * 16 * 3);
  labels.forEach((l, n) => {
    for (let p = 0; p < 16 * 16 * 3; p++) pixels[n * 768 + p] = r.next() * 0.2;
    if (l) for (let y = 4; y < 9; y++) for (let xx = 5; xx < 10; xx++) for (let ch = 0; ch < 3; ch++) pixels[n * 768 + (y * 16 + xx) * 3 + ch] = 1;
  });
  const xs = tf.tensor4d(pixels, [8, 16, 16, 3]);
  const ys = tf.tidy(() => tf.oneHot(tf.tensor1d(labels, 'int32'), 2));
  const opt = tf.train.adam(0.01);
  const losses: number[] = [];
  for (let step = 0; step < 25; step++) {
    const loss = opt.minimize(() => {
      let h = tf.relu(tf.conv2d(xs, vars[0] as tf.Tensor4D, 1, 'same'));
      h = tf.maxPool(tf.relu(tf.conv2d(h, vars[1] as tf.Tensor4D, 2, 'same')), 2, 2, 'same');
      const logits = tf.mean(tf.conv2d(h, vars[2] as tf.Tensor4D, 1, 'same'), [1, 2]);
      return tf.losses.softmaxCrossEntropy(ys, logits) as tf.Scalar;
    }, true)!;
    losses.push(loss.dataSync()[0]);
    loss.dispose();
  }
  assert.ok(losses[24] < 0.5 * losses[0], `loss fell from ${losses[0]} to ${losses[24]}`);
  opt.dispose();
  tf.dispose([xs, ys, ...vars]);
  assert.equal(tf.memory().numTensors, before);
});

test('wasm BatchMatMul (transposes, batches, 2D, shared B) and its gradients match the cpu backend', async () => {
  await initBackend('wasm');
  const cases: { a: number[]; b: number[]; ta: boolean; tb: boolean }[] = [
    { a: [5, 7], b: [7, 3], ta: false, tb: false },
    { a: [7, 5], b: [3, 7], ta: true, tb: true },
    { a: [5, 7], b: [3, 7], ta: false, tb: true },
    { a: [4, 6, 5], b: [4, 5, 3], ta: false, tb: false },
    { a: [4, 5, 6], b: [4, 3, 5], ta: true, tb: true },
    { a: [3, 9, 4], b: [1, 4, 2], ta: false, tb: false },
    { a: [1, 2, 3], b: [1, 3, 1], ta: false, tb: false },
  ];
  for (const [i, c] of cases.entries()) {
    const results: Float32Array[][] = [];
    for (const backend of ['wasm', 'cpu']) {
      await tf.setBackend(backend);
      const before = tf.memory().numTensors;
      results.push(tf.tidy(() => {
        const a = tf.tensor(random(c.a, 100 + i), c.a);
        const b = tf.tensor(random(c.b, 200 + i), c.b);
        const f = (x: tf.Tensor, y: tf.Tensor) => tf.sum(tf.square(tf.matMul(x as tf.Tensor3D, y as tf.Tensor3D, c.ta, c.tb)));
        const out = tf.matMul(a as tf.Tensor3D, b as tf.Tensor3D, c.ta, c.tb);
        // tfjs's BatchMatMul gradient does not reduce a broadcast batch: forward only there.
        const grads = c.a[0] === c.b[0] || c.a.length === 2 ? tf.grads(f)([a, b]) : [];
        return [out, ...grads].map((t) => t.dataSync() as Float32Array);
      }));
      assert.equal(tf.memory().numTensors, before);
    }
    results[0].forEach((arr, j) => assert.ok(relError(arr, results[1][j]) <= 1e-4, `case ${i} output ${j}: ${relError(arr, results[1][j])}`));
  }
  await tf.setBackend('wasm');
});
