/**
 * Kernel parity of the webgpu engine against the pure-JS cpu backend, for every op family the
 * project's methods train with: fused convolution (bias + ReLU) and both convolution gradients
 * (this project's implicit-GEMM kernels, src/backend/webgpu/kernels/: every tiling, several tiles,
 * split-K, and the stock fallbacks for strided input gradients), matMul / batchMatMul with
 * transposes, max pooling and its gradient, softmax / logSoftmax, reductions, sigmoid, bilinear
 * resize and its gradient, gather and its gradient. Also: dataSync works in Node (sync readback),
 * and no tensor leaks.
 *
 * Runs on any WebGPU adapter, a software one included (CI installs mesa's lavapipe,
 * data-scripts/setup-ci-vulkan.sh); skips with the reason where there is none.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import * as tf from '@tensorflow/tfjs-core';
import { initBackend } from '../../src/backend/select';
import { planBackpropFilter } from '../../src/backend/webgpu/kernels/conv2d-backprop-filter';
import { useWebgpuKernels } from '../../src/backend/webgpu/kernels/register';
import { random, relError } from '../helpers/numeric';

const unavailable: Promise<string | null> = initBackend('webgpu').then(
  (info) => {
    console.log(`webgpu tests on ${info.webgpuAdapter}`);
    // This project's GEMMs at every size (the default uses them only for large convolutions).
    useWebgpuKernels('project');
    return null;
  },
  (err: Error) => {
    const why = `no usable WebGPU adapter: ${err.message}`;
    console.log(`SKIP webgpu kernel tests: ${why}`);
    return why;
  },
);

/** Runs `fn` on cpu and on webgpu (fresh tensors from the same arrays); returns both outputs. */
async function onBoth(fn: () => tf.Tensor[]): Promise<{ cpu: Float32Array[]; gpu: Float32Array[] }> {
  const run = async (backend: string) => {
    await tf.setBackend(backend);
    const before = tf.memory().numTensors;
    const out = tf.tidy(fn);
    const values = out.map((t) => t.dataSync() as Float32Array);
    tf.dispose(out);
    assert.equal(tf.memory().numTensors, before, `no tensors leaked on ${backend}`);
    return values;
  };
  const cpu = await run('cpu');
  const gpu = await run('webgpu');
  return { cpu, gpu };
}

async function expectParity(what: string, fn: () => tf.Tensor[], tol = 1e-4): Promise<void> {
  const { cpu, gpu } = await onBoth(fn);
  cpu.forEach((c, i) => {
    const err = relError(gpu[i], c);
    assert.ok(err < tol, `${what} output ${i}: relative error ${err} (webgpu vs cpu)`);
    assert.ok(c.some((v) => v !== 0), `${what} output ${i} is not all zeros`);
  });
}

function convCase(x: [number, number, number, number], f: [number, number, number, number], stride: number, pad: 'same' | 'valid') {
  const xs = random(x, 1);
  const fs = random(f, 2, 0.5);
  const bias = random([f[3]], 3, 0.1);
  return () => {
    const xt = tf.tensor4d(xs, x);
    const ft = tf.tensor4d(fs, f);
    const bt = tf.tensor1d(bias);
    const y = tf.fused.conv2d({ x: xt, filter: ft, bias: bt, strides: stride, pad, activation: 'relu' });
    const dy = tf.tensor(random(y.shape, 4), y.shape);
    const g = tf.grads((a: tf.Tensor, b: tf.Tensor) => tf.sum(tf.mul(tf.conv2d(a as tf.Tensor4D, b as tf.Tensor4D, stride, pad), dy)));
    const [dx, df] = g([xt, ft]);
    return [y, dx, df];
  };
}

test('fused conv2d and both convolution gradients match cpu (3x3 same, one split)', async (t) => {
  const why = await unavailable;
  if (why) return t.skip(why);
  await expectParity('conv 3x3 same', convCase([2, 7, 9, 3], [3, 3, 3, 5], 1, 'same'));
  const shaders = Object.keys((tf.findBackend('webgpu') as unknown as { pipelineCache: object }).pipelineCache);
  for (const k of ['wsolConv2D_', 'wsolConv2DBackpropInput_', 'wsolConv2DBackpropFilter_']) {
    assert.ok(shaders.some((s) => s.startsWith(k)), `this project's ${k} shader ran`);
  }
});

test('the default kernel set sends small convolutions to tfjs programs, still matching cpu', async (t) => {
  const why = await unavailable;
  if (why) return t.skip(why);
  const cache = () => Object.keys((tf.findBackend('webgpu') as unknown as { pipelineCache: object }).pipelineCache);
  useWebgpuKernels('auto');
  try {
    const before = cache().filter((k) => k.startsWith('wsolConv2D_')).length;
    await expectParity('conv 3x3 same, default kernels', convCase([2, 6, 6, 7], [3, 3, 7, 9], 1, 'same'));
    assert.equal(cache().filter((k) => k.startsWith('wsolConv2D_')).length, before, 'no new project forward shader for a small convolution');
  } finally {
    useWebgpuKernels('project');
  }
});

test('Conv2DBackpropFilter: several 64x64 tiles and split-K partial sums match cpu', async (t) => {
  const why = await unavailable;
  if (why) return t.skip(why);
  const x: [number, number, number, number] = [4, 16, 16, 16];
  const f: [number, number, number, number] = [3, 3, 16, 72];
  const info = tf.backend_util.computeConv2DInfo(x, f, 1, 1, 'same');
  const plan = planBackpropFilter(info);
  assert.ok(plan.splits > 1, `the case exercises split-K (splits=${plan.splits})`);
  assert.ok(plan.m > 64 && plan.n > 64, 'the case spans several tiles in both directions');
  await expectParity('conv 3x3 split-K', convCase(x, f, 1, 'same'));
});

test('strided valid, 1x1, 5x5 and mid-width convolutions match cpu (every GEMM tiling)', async (t) => {
  const why = await unavailable;
  if (why) return t.skip(why);
  await expectParity('conv 3x3 stride 2 valid', convCase([2, 11, 10, 4], [3, 3, 4, 6], 2, 'valid'));
  await expectParity('conv 1x1', convCase([3, 6, 6, 8], [1, 1, 8, 3], 1, 'same'));
  await expectParity('conv 5x5 same', convCase([1, 9, 9, 2], [5, 5, 2, 4], 1, 'same'));
  await expectParity('conv 3x3 same, 40 -> 48 channels', convCase([2, 5, 6, 40], [3, 3, 40, 48], 1, 'same'));
  await expectParity('conv 3x3 same, 3 -> 40 channels (64x64 filter-gradient tiles)', convCase([2, 6, 6, 3], [3, 3, 3, 40], 1, 'same'));
});

test('matMul and batchMatMul with transposes, and their gradients, match cpu', async (t) => {
  const why = await unavailable;
  if (why) return t.skip(why);
  const a = random([5, 7], 5);
  const b = random([6, 7], 6);
  const q = random([3, 10, 4], 7);
  const k = random([3, 10, 4], 8);
  await expectParity('matMul', () => {
    const at = tf.tensor2d(a, [5, 7]);
    const bt = tf.tensor2d(b, [6, 7]);
    const [ga, gb] = tf.grads((x: tf.Tensor, y: tf.Tensor) => tf.sum(tf.square(tf.matMul(x as tf.Tensor2D, y as tf.Tensor2D, false, true))))([at, bt]);
    return [tf.matMul(at, bt, false, true), ga, gb];
  });
  await expectParity('batchMatMul', () => {
    const qt = tf.tensor3d(q, [3, 10, 4]);
    const kt = tf.tensor3d(k, [3, 10, 4]);
    const f = (x: tf.Tensor, y: tf.Tensor) => tf.sum(tf.sin(tf.matMul(x as tf.Tensor3D, y as tf.Tensor3D, false, true)));
    const [gq, gk] = tf.grads(f)([qt, kt]);
    return [tf.matMul(qt, kt, false, true), tf.matMul(qt, kt, true, false), gq, gk];
  });
});

test('max pooling and its gradient, softmax, reductions, sigmoid, resize and gather match cpu', async (t) => {
  const why = await unavailable;
  if (why) return t.skip(why);
  const x = random([2, 8, 6, 3], 9);
  await expectParity('maxPool', () => {
    const xt = tf.tensor4d(x, [2, 8, 6, 3]);
    const dy = tf.tensor4d(random([2, 4, 3, 3], 10), [2, 4, 3, 3]);
    const g = tf.grad((a: tf.Tensor) => tf.sum(tf.mul(tf.maxPool(a as tf.Tensor4D, 2, 2, 'same'), dy)))(xt);
    return [tf.maxPool(xt, 2, 2, 'same'), g];
  });
  await expectParity('softmax and reductions', () => {
    const xt = tf.tensor2d(x.subarray(0, 60), [6, 10]);
    return [tf.softmax(xt), tf.logSoftmax(xt), tf.sum(xt, 0), tf.mean(xt, 1), tf.max(xt, 1), tf.min(xt, 0), tf.cast(tf.argMax(xt, 1), 'float32'), tf.sigmoid(xt)];
  });
  await expectParity('resizeBilinear and gather', () => {
    // Square maps, as the project's: tfjs 4.22's ResizeBilinear gradient fails shape checks on
    // non-square images (on cpu too).
    const xt = tf.tensor4d(x.subarray(0, 2 * 6 * 6 * 3), [2, 6, 6, 3]);
    const idx = tf.tensor1d([2, 0, 2], 'int32');
    const up = (a: tf.Tensor) => tf.sum(tf.square(tf.image.resizeBilinear(a as tf.Tensor4D, [12, 12])));
    const gather = (a: tf.Tensor) => tf.sum(tf.square(tf.gather(a, idx, 3)));
    return [tf.image.resizeBilinear(xt, [12, 12]), tf.grad(up)(xt), tf.grad(gather)(xt)];
  });
});

test('async data() and dataSync() agree, and the engine leaks no tensors across a gradient', async (t) => {
  const why = await unavailable;
  if (why) return t.skip(why);
  await tf.setBackend('webgpu');
  const before = tf.memory().numTensors;
  const a = tf.tensor1d([1, 2, 3, 4]);
  const b = tf.mul(a, 2);
  assert.deepEqual(Array.from(await b.data()), [2, 4, 6, 8]);
  const c = tf.add(b, 1);
  assert.deepEqual(Array.from(c.dataSync()), [3, 5, 7, 9]);
  tf.dispose([a, b, c]);
  assert.equal(tf.memory().numTensors, before);
});
