import { test } from 'node:test';
import assert from 'node:assert/strict';
import * as tf from '@tensorflow/tfjs-core';
import { initBackend } from '../../src/backend/select';
import { conv2dBackpropFilterByConvWasm, filterGradBlock } from '../../src/backend/kernels/conv2d-backprop-filter';
import { random, relError } from '../helpers/numeric';
import { nativeStatus } from '../../src/backend/native/register';

// These tests are about the project's wasm kernels: the native addon, when built, would run in
// front of them, so it stays unloaded here (the addon is read on first use, after this line).
process.env.WSOL_NATIVE = '0';

test('the native addon is off, so the tests below run the wasm kernels', async () => {
  await initBackend('wasm');
  const status = nativeStatus();
  assert.equal(status.active, false, status.reason);
  assert.match(status.reason, /disabled by WSOL_NATIVE=0/);
});

/** Runs `f` on both backends; asserts no tensor or backend-buffer leak on wasm. */
async function onBoth<T>(f: () => T): Promise<{ wasm: T; cpu: T }> {
  await tf.setBackend('wasm');
  const tensors = tf.memory().numTensors;
  const buffers = tf.engine().backend.numDataIds();
  const wasm = f();
  assert.equal(tf.memory().numTensors, tensors, 'no tensor leak on wasm');
  assert.equal(tf.engine().backend.numDataIds(), buffers, 'no wasm buffer leak (kernel intermediates)');
  await tf.setBackend('cpu');
  const cpu = f();
  await tf.setBackend('wasm');
  return { wasm, cpu };
}

interface ConvCase {
  x: [number, number, number, number];
  k: number;
  co: number;
  stride: number;
  pad: 'same' | 'valid' | number;
}

const CONV_CASES: ConvCase[] = [
  { x: [2, 9, 9, 3], k: 3, co: 4, stride: 1, pad: 'same' },
  { x: [1, 31, 29, 5], k: 3, co: 8, stride: 1, pad: 'same' },
  { x: [2, 7, 8, 3], k: 3, co: 5, stride: 1, pad: 'valid' },
  { x: [1, 10, 10, 2], k: 3, co: 3, stride: 1, pad: 1 },
  { x: [1, 6, 7, 2], k: 3, co: 3, stride: 1, pad: 2 },
  { x: [1, 6, 6, 2], k: 3, co: 2, stride: 1, pad: 0 },
  { x: [2, 9, 9, 3], k: 5, co: 2, stride: 1, pad: 'same' },
  { x: [3, 6, 5, 2], k: 1, co: 7, stride: 1, pad: 'valid' },
  { x: [1, 5, 5, 6], k: 1, co: 3, stride: 1, pad: 'same' },
  { x: [1, 8, 8, 5], k: 3, co: 6, stride: 2, pad: 'same' },
  { x: [2, 7, 9, 3], k: 3, co: 2, stride: 2, pad: 'same' },
  { x: [1, 11, 11, 4], k: 3, co: 3, stride: 2, pad: 'valid' },
  { x: [2, 9, 7, 3], k: 1, co: 4, stride: 2, pad: 'same' },
  { x: [2, 13, 13, 3], k: 5, co: 2, stride: 2, pad: 2 },
  { x: [1, 5, 5, 1], k: 3, co: 1, stride: 1, pad: 'valid' },
];

function convGrads(c: ConvCase, seed: number) {
  return tf.tidy(() => {
    const x = tf.tensor4d(random(c.x, seed), c.x);
    const w = tf.tensor4d(random([c.k, c.k, c.x[3], c.co], seed + 1), [c.k, c.k, c.x[3], c.co]);
    const y = tf.conv2d(x, w, c.stride, c.pad);
    const dy = tf.tensor(random(y.shape, seed + 2), y.shape) as tf.Tensor4D;
    const gradFilter = tf.grad((wt: tf.Tensor) => tf.sum(tf.mul(tf.conv2d(x, wt as tf.Tensor4D, c.stride, c.pad), dy)))(w);
    const gradInput = tf.grad((xt: tf.Tensor) => tf.sum(tf.mul(tf.conv2d(xt as tf.Tensor4D, w, c.stride, c.pad), dy)))(x);
    // The forward-convolution formulation of the filter gradient, called directly (any stride).
    const attrs = { strides: c.stride, pad: c.pad, dataFormat: 'NHWC', filterShape: w.shape } as unknown as tf.NamedAttrMap;
    const byConv =
      tf.getBackend() === 'wasm'
        ? tf.engine().makeTensorFromTensorInfo(conv2dBackpropFilterByConvWasm({ inputs: { x, dy }, backend: tf.backend(), attrs }))
        : gradFilter;
    return { filter: gradFilter.dataSync(), byConv: byConv.dataSync(), input: gradInput.dataSync(), fShape: gradFilter.shape, iShape: gradInput.shape };
  });
}

test('Conv2DBackpropFilter / Conv2DBackpropInput match the cpu backend (rel. error <= 1e-4)', async () => {
  await initBackend('wasm');
  await initBackend('cpu');
  // A tiny GEMM block makes the stride-1 path cross many block (and image) boundaries.
  for (const block of [null, 64]) {
    filterGradBlock.kc = block;
    try {
      for (const [i, c] of CONV_CASES.entries()) {
        const { wasm, cpu } = await onBoth(() => convGrads(c, 10 * i));
        const what = `${JSON.stringify(c)} block ${block}`;
        assert.deepEqual(wasm.fShape, cpu.fShape);
        assert.deepEqual(wasm.iShape, cpu.iShape);
        assert.ok(relError(wasm.filter, cpu.filter) <= 1e-4, `filter grad rel error ${relError(wasm.filter, cpu.filter)} for ${what}`);
        assert.ok(relError(wasm.byConv, cpu.filter) <= 1e-4, `conv-form filter grad rel error ${relError(wasm.byConv, cpu.filter)} for ${what}`);
        assert.ok(relError(wasm.input, cpu.input) <= 1e-4, `input grad rel error ${relError(wasm.input, cpu.input)} for ${what}`);
      }
    } finally {
      filterGradBlock.kc = null;
    }
  }
});

test('the conv kernels agree with a brute-force loop on a tiny strided case', async () => {
  await initBackend('wasm');
  const x = Array.from({ length: 25 }, (_, i) => i + 1);
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
  // Stride 1, 'same', 2x2 image, 3x3 kernel: dW[a][b] = sum_{y,x} X[y+a-1, x+b-1] * dY[y, x].
  const dw1 = tf.engine().runKernel('Conv2DBackpropFilter', { x: tf.tensor4d([1, 2, 3, 4], [1, 2, 2, 1]), dy: tf.tensor4d([1, 10, 100, 1000], [1, 2, 2, 1]) }, {
    strides: 1, pad: 'same', dataFormat: 'NHWC', filterShape: [3, 3, 1, 1],
  }) as tf.Tensor;
  assert.deepEqual(Array.from(dw1.dataSync()), [1000, 2100, 200, 3010, 4321, 402, 30, 43, 4]);
  tf.dispose([dw, dx, dw1]);
});

test('MaxPoolGrad matches the cpu backend, including windows whose maximum is negative', async () => {
  await initBackend('wasm');
  const cases: { x: [number, number, number, number]; size: number; stride: number; pad: 'same' | 'valid' }[] = [
    { x: [1, 2, 4, 1], size: 2, stride: 2, pad: 'valid' },
    { x: [2, 5, 5, 3], size: 2, stride: 2, pad: 'same' },
    { x: [1, 8, 8, 4], size: 2, stride: 2, pad: 'valid' },
    { x: [2, 7, 6, 2], size: 3, stride: 2, pad: 'same' },
    { x: [1, 6, 6, 3], size: 2, stride: 1, pad: 'valid' },
  ];
  for (const [i, c] of cases.entries()) {
    const { wasm, cpu } = await onBoth(() =>
      tf.tidy(() => {
        const x = tf.tensor4d(random(c.x, 300 + i), c.x);
        const y = tf.maxPool(x, c.size, c.stride, c.pad);
        const dy = tf.tensor(random(y.shape, 400 + i), y.shape);
        return tf.grad((t: tf.Tensor) => tf.sum(tf.mul(tf.maxPool(t as tf.Tensor4D, c.size, c.stride, c.pad), dy)))(x).dataSync();
      }),
    );
    assert.ok(relError(wasm, cpu) <= 1e-6, `case ${JSON.stringify(c)}: ${relError(wasm, cpu)}`);
  }
  // Hand case: windows [0, .9, .4, .8] and [-.3, -.9, -.7, -.6]: the second routes its dy to -.3.
  const x = tf.tensor4d([0, 0.9, -0.3, -0.9, 0.4, 0.8, -0.7, -0.6], [1, 2, 4, 1]);
  const dx = tf.grad((t: tf.Tensor) => tf.sum(tf.mul(tf.maxPool(t as tf.Tensor4D, 2, 2, 'valid'), tf.tensor4d([5, 7], [1, 1, 2, 1]))))(x);
  assert.deepEqual(Array.from(dx.dataSync()), [0, 5, 7, 0, 0, 0, 0, 0]);
  tf.dispose([x, dx]);
});

test('Sum over leading axes (bias gradients) and the stock fall-backs match the cpu backend', async () => {
  await initBackend('wasm');
  const shape = [3, 5, 4, 6];
  const reductions: { axis: number[]; keepDims: boolean }[] = [
    { axis: [0, 1, 2], keepDims: false },
    { axis: [0, 1, 2], keepDims: true },
    { axis: [0], keepDims: false },
    { axis: [1, 0], keepDims: false },
    { axis: [-4, -3], keepDims: true },
    { axis: [1, 2], keepDims: false },
    { axis: [3], keepDims: true },
    { axis: [0, 1, 2, 3], keepDims: false },
  ];
  for (const r of reductions) {
    const { wasm, cpu } = await onBoth(() =>
      tf.tidy(() => {
        const s = tf.sum(tf.tensor(random(shape, 7), shape), r.axis, r.keepDims);
        return { v: s.dataSync(), shape: s.shape };
      }),
    );
    assert.deepEqual(wasm.shape, cpu.shape, JSON.stringify(r));
    assert.ok(relError(wasm.v, cpu.v) <= 1e-5, `${JSON.stringify(r)}: ${relError(wasm.v, cpu.v)}`);
  }
  const hand = tf.sum(tf.tensor3d([1, 2, 3, 4, 5, 6, 7, 8], [2, 2, 2]), [0, 1]);
  assert.deepEqual(Array.from(hand.dataSync()), [16, 20]);
  hand.dispose();
});

test('UnsortedSegmentSum (gather gradients) matches the cpu backend', async () => {
  await initBackend('wasm');
  const direct = tf.unsortedSegmentSum(tf.tensor2d([1, 2, 3, 4, 5, 6, 7, 8], [4, 2]), tf.tensor1d([2, 0, 2, 5], 'int32'), 3);
  assert.deepEqual(Array.from(direct.dataSync()), [3, 4, 0, 0, 6, 8]); // id 5 is out of range: dropped
  const ints = tf.unsortedSegmentSum(tf.tensor1d([1, 2, 3], 'int32'), tf.tensor1d([1, 1, 0], 'int32'), 2);
  assert.equal(ints.dtype, 'int32');
  assert.deepEqual(Array.from(ints.dataSync()), [3, 3]);
  tf.dispose([direct, ints]);
  for (const axis of [0, 1, 3]) {
    const { wasm, cpu } = await onBoth(() =>
      tf.tidy(() => {
        const x = tf.tensor4d(random([3, 4, 2, 5], 11), [3, 4, 2, 5]);
        const idx = tf.tensor1d([2, 0, 2, 1, 0], 'int32').slice(0, axis === 0 ? 4 : 3);
        return tf.grad((t: tf.Tensor) => tf.sum(tf.square(tf.gather(t, idx, axis))))(x).dataSync();
      }),
    );
    assert.ok(relError(wasm, cpu) <= 1e-6, `gather axis ${axis}: ${relError(wasm, cpu)}`);
  }
});

test('BatchMatMul (transposes, batches, 2D, shared B) and its gradients match the cpu backend', async () => {
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
    const { wasm, cpu } = await onBoth(() =>
      tf.tidy(() => {
        const a = tf.tensor(random(c.a, 100 + i), c.a);
        const b = tf.tensor(random(c.b, 200 + i), c.b);
        const f = (x: tf.Tensor, y: tf.Tensor) => tf.sum(tf.square(tf.matMul(x as tf.Tensor3D, y as tf.Tensor3D, c.ta, c.tb)));
        const out = tf.matMul(a as tf.Tensor3D, b as tf.Tensor3D, c.ta, c.tb);
        // tfjs's BatchMatMul gradient does not reduce a broadcast batch: forward only there.
        const grads = c.a[0] === c.b[0] || c.a.length === 2 ? tf.grads(f)([a, b]) : [];
        return [out, ...grads].map((t) => t.dataSync());
      }),
    );
    wasm.forEach((arr, j) => assert.ok(relError(arr, cpu[j]) <= 1e-4, `case ${i} output ${j}: ${relError(arr, cpu[j])}`));
  }
});

test('registering the training kernels twice is harmless', async () => {
  await initBackend('wasm');
  const { registerWasmTrainingKernels } = await import('../../src/backend/wasm-training-kernels');
  const before = tf.getKernel('Conv2DBackpropFilter', 'wasm');
  registerWasmTrainingKernels();
  assert.equal(tf.getKernel('Conv2DBackpropFilter', 'wasm'), before);
});
