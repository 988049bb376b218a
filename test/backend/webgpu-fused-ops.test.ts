/**
 * The webgpu engine's fused training ops (src/backend/webgpu/kernels/, contracts in
 * src/backend/fused-ops.ts) against their plain-tfjs references computed on the cpu backend, and
 * the dispatch count of a training step (src/backend/webgpu/dispatch-count.ts) with this project's
 * kernels against tfjs-webgpu's stock ones.
 *
 * Runs on any WebGPU adapter, a software one included (CI installs mesa's lavapipe,
 * data-scripts/setup-ci-vulkan.sh); skips with the reason where there is none.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import * as tf from '@tensorflow/tfjs-core';
import { initBackend } from '../../src/backend/select';
import {
  adamWReference,
  adamWUpdate,
  batchNormTrain,
  batchNormTrainGrad,
  batchNormTrainGradReference,
  batchNormTrainReference,
  FUSED_KERNELS,
  hasFusedKernel,
  localAttention,
  localAttentionGrad,
  localAttentionGradReference,
  localAttentionReference,
  scaleAdd,
  scaleAddReference,
  type AdamWHyper,
  type AdamWSlot,
} from '../../src/backend/fused-ops';
import { planBatchNorm } from '../../src/backend/webgpu/kernels/batch-norm-train';
import { MAX_ROWS, middleReduction } from '../../src/backend/webgpu/kernels/reduce-leading-axes';
import { countDispatches } from '../../src/backend/webgpu/dispatch-count';
import { useWebgpuKernels } from '../../src/backend/webgpu/kernels/register';
import { random, relError } from '../helpers/numeric';

const unavailable: Promise<string | null> = initBackend('webgpu').then(
  (info) => {
    console.log(`webgpu fused-op tests on ${info.webgpuAdapter}`);
    return null;
  },
  (err: Error) => {
    const why = `no usable WebGPU adapter: ${err.message}`;
    console.log(`SKIP webgpu fused-op tests: ${why}`);
    return why;
  },
);

/** Runs `fn` on cpu and on webgpu from the same arrays; checks neither leaks; returns both outputs. */
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

function assertClose(what: string, gpu: Float32Array[], cpu: Float32Array[], tol: number): void {
  assert.equal(gpu.length, cpu.length, `${what}: output count`);
  cpu.forEach((c, i) => {
    const err = relError(gpu[i], c);
    assert.ok(err < tol, `${what} output ${i}: relative error ${err} (webgpu kernel vs cpu reference)`);
    assert.ok(c.some((v) => v !== 0), `${what} output ${i} is not all zeros`);
  });
}

const ADAM_SHAPES = [[3, 3, 4, 8], [8], [8, 5], [70_000]];

function adamSlots(step: number): AdamWSlot[] {
  return ADAM_SHAPES.map((shape, i) => ({
    weight: tf.tensor(random(shape, 10 + i), shape),
    grad: tf.tensor(random(shape, 20 + i, 3), shape),
    m: tf.tensor(random(shape, 30 + i, 0.1), shape),
    // The second moment is non-negative.
    s: tf.abs(tf.tensor(random(shape, 40 + i, 0.01), shape)),
    rate: 0.01 * (i + 1) * step,
    decay: shape.length > 1 ? 0.05 : 0,
  }));
}

for (const decoupled of [true, false]) {
  test(`WsolAdamWUpdate on webgpu equals the reference on cpu (${decoupled ? 'decoupled' : 'L2'} weight decay)`, async (t) => {
    const why = await unavailable;
    if (why) return t.skip(why);
    const hyper: AdamWHyper = { step: 3, decoupled, beta1: 0.9, beta2: 0.999, epsilon: 1e-8 };
    await tf.setBackend('webgpu');
    assert.ok(hasFusedKernel(FUSED_KERNELS.adamW), 'webgpu registers WsolAdamWUpdate');
    const cpuRef = await onBoth(() => adamWReference(adamSlots(3), hyper).flatMap((r) => [r.weight, r.m, r.s]));
    const gpuFused = await onBoth(() => adamWUpdate(adamSlots(3), hyper).flatMap((r) => [r.weight, r.m, r.s]));
    // cpu runs the reference both times (no fused kernel there); webgpu the fused kernel.
    assertClose('AdamW', gpuFused.gpu, cpuRef.cpu, 1e-6);
    // The update moved the weights (a no-op kernel would fail here).
    const before = random(ADAM_SHAPES[0], 10);
    assert.ok(relError(gpuFused.gpu[0], before) > 1e-4, 'the first weight changed');
  });
}

test('WsolAdamWUpdate costs one dispatch per weight on webgpu', async (t) => {
  const why = await unavailable;
  if (why) return t.skip(why);
  await tf.setBackend('webgpu');
  const hyper: AdamWHyper = { step: 1, decoupled: true, beta1: 0.9, beta2: 0.999, epsilon: 1e-8 };
  const slots = adamSlots(1);
  // Uploads and the abs() of the slots happen before counting.
  slots.forEach((s) => [s.weight, s.grad, s.m, s.s].forEach((x) => x.dataSync()));
  const fused = countDispatches(() => adamWUpdate(slots, hyper));
  const reference = countDispatches(() => adamWReference(slots, hyper));
  assert.equal(fused.dispatches, ADAM_SHAPES.length, 'one dispatch per weight');
  assert.ok(reference.dispatches >= 10 * ADAM_SHAPES.length, `the reference takes ${reference.dispatches} dispatches`);
  const values = [fused.value, reference.value].map((rs) => rs.flatMap((r) => [r.weight, r.m, r.s]).map((x) => x.dataSync() as Float32Array));
  values[0].forEach((v, i) => assert.ok(relError(v, values[1][i]) < 1e-6, `output ${i} equals the reference's`));
  tf.dispose([...fused.value, ...reference.value].flatMap((r) => [r.weight, r.m, r.s]));
  tf.dispose(slots.flatMap((s) => [s.weight, s.grad, s.m, s.s]));
  useWebgpuKernels('auto');
});

/**
 * Batch-norm shapes: 20 channels (two channel tiles, the second partly empty) in one chunk; 8
 * channels over 1000 rows (four chunks, the last shorter); 3 channels over 4096 rows (16 chunks).
 * The values sit at an offset of 5 so that a variance computed as E[x^2] - E[x]^2 would lose digits.
 */
const BN_SHAPES: number[][] = [[2, 5, 6, 20], [10, 10, 10, 8], [4, 32, 32, 3]];

function bnInputs(shape: number[], seed: number) {
  const c = shape[shape.length - 1];
  return {
    x: tf.add(tf.tensor(random(shape, seed, 2), shape), 5),
    gamma: tf.tensor1d(random([c], seed + 1, 1)),
    beta: tf.tensor1d(random([c], seed + 2, 1)),
  };
}

test('the batch-norm plan cuts long batches into chunks, the last one shorter', () => {
  assert.deepEqual(planBatchNorm([2, 5, 6, 20]), { rows: 60, channels: 20, chunkRows: 256, chunks: 1 });
  assert.deepEqual(planBatchNorm([10, 10, 10, 8]), { rows: 1000, channels: 8, chunkRows: 256, chunks: 4 });
  assert.deepEqual(planBatchNorm([16, 64, 64, 8]), { rows: 65536, channels: 8, chunkRows: 1024, chunks: 64 });
});

for (const shape of BN_SHAPES) {
  test(`WsolBatchNormTrain and its gradient kernel on webgpu equal the references on cpu, x [${shape}]`, async (t) => {
    const why = await unavailable;
    if (why) return t.skip(why);
    await tf.setBackend('webgpu');
    assert.ok(hasFusedKernel(FUSED_KERNELS.batchNormTrain) && hasFusedKernel(FUSED_KERNELS.batchNormTrainGrad), 'webgpu registers both batch-norm kernels');
    const c = shape[shape.length - 1];
    const eps = 1e-3;
    const forward = (fn: typeof batchNormTrain) => () => {
      const { x, gamma, beta } = bnInputs(shape, 3);
      const r = fn(x, gamma, beta, eps);
      return [r.y, r.mean, r.variance];
    };
    const backward = (fn: typeof batchNormTrainGrad) => () => {
      const { x, gamma } = bnInputs(shape, 3);
      const { mean, variance } = tf.moments(x, [0, 1, 2]);
      const g = fn(
        { dy: tf.tensor(random(shape, 7), shape), x, gamma, mean: mean as tf.Tensor1D, variance: variance as tf.Tensor1D, dMean: tf.tensor1d(random([c], 8)), dVariance: tf.tensor1d(random([c], 9)) },
        eps,
      );
      return [g.dx, g.dGamma, g.dBeta];
    };
    const reference = { f: (await onBoth(forward(batchNormTrainReference))).cpu, b: (await onBoth(backward(batchNormTrainGradReference))).cpu };
    const fused = { f: (await onBoth(forward(batchNormTrain))).gpu, b: (await onBoth(backward(batchNormTrainGrad))).gpu };
    assertClose('batch-norm forward [y, mean, variance]', fused.f, reference.f, 2e-5);
    assertClose('batch-norm backward [dx, dGamma, dBeta]', fused.b, reference.b, 2e-5);
  });
}

test('training through WsolBatchNormTrain on webgpu: gradients of x, gamma and beta equal cpu\'s; two dispatches each way', async (t) => {
  const why = await unavailable;
  if (why) return t.skip(why);
  const shape = [4, 8, 8, 12];
  const loss = () => {
    const { x, gamma, beta } = bnInputs(shape, 21);
    const w = tf.tensor(random(shape, 22), shape);
    const f = (a: tf.Tensor, g: tf.Tensor, b: tf.Tensor) => tf.sum(tf.mul(batchNormTrain(a, g as tf.Tensor1D, b as tf.Tensor1D, 1e-3).y, w));
    return tf.grads(f)([x, gamma, beta]);
  };
  const { cpu, gpu } = await onBoth(loss);
  assertClose('batch-norm gradients [dx, dGamma, dBeta]', gpu, cpu, 2e-5);
  await tf.setBackend('webgpu');
  const inputs = bnInputs(shape, 21);
  inputs.x.dataSync();
  const forward = countDispatches(() => batchNormTrain(inputs.x, inputs.gamma as tf.Tensor1D, inputs.beta as tf.Tensor1D, 1e-3));
  assert.equal(forward.dispatches, 2, 'the forward pass is two dispatches');
  const { y, mean, variance } = forward.value;
  const zeros = tf.zeros([shape[3]]) as tf.Tensor1D;
  zeros.dataSync();
  const backward = countDispatches(() => batchNormTrainGrad({ dy: y, x: inputs.x, gamma: inputs.gamma as tf.Tensor1D, mean, variance, dMean: zeros, dVariance: zeros }, 1e-3));
  assert.equal(backward.dispatches, 2, 'the backward pass is two dispatches');
  tf.dispose([y, mean, variance, zeros, backward.value.dx, backward.value.dGamma, backward.value.dBeta, inputs.x, inputs.gamma, inputs.beta]);
});

test('reductions over a block of axes before the last are viewed as [before, rows, after]', () => {
  assert.deepEqual(middleReduction([2, 3, 4, 5], [0, 1, 2], false), { before: 1, rows: 24, after: 5, outShape: [5] });
  assert.deepEqual(middleReduction([2, 3, 4, 5], [1, 2], true), { before: 2, rows: 12, after: 5, outShape: [2, 1, 1, 5] });
  assert.deepEqual(middleReduction([2, 3, 4, 5], [-3], false), { before: 2, rows: 3, after: 20, outShape: [2, 4, 5] });
  assert.equal(middleReduction([2, 3, 4, 5], [3], false), null, 'innermost: the stock kernel needs no transpose');
  assert.equal(middleReduction([2, 3, 4, 5], [0, 2], false), null, 'not one block of axes');
});

test('Sum and Mean over leading and middle axes match cpu in one dispatch each, long ones through the stock kernel', async (t) => {
  const why = await unavailable;
  if (why) return t.skip(why);
  const shape = [3, 7, 9, 20];
  const long = [MAX_ROWS + 4, 3];
  const cases = () => {
    const x = tf.add(tf.tensor(random(shape, 31), shape), 1);
    const y = tf.tensor(random(long, 32), long);
    return [tf.sum(x, [0, 1, 2]), tf.mean(x, [0, 1, 2], true), tf.sum(x, 1), tf.mean(x, [1, 2]), tf.sum(x, 3), tf.sum(y, 0), tf.mean(y, 0)];
  };
  const { cpu, gpu } = await onBoth(cases);
  assertClose('reductions', gpu, cpu, 1e-5);
  await tf.setBackend('webgpu');
  const x = tf.tensor(random(shape, 31), shape);
  x.dataSync();
  for (const [what, fn, expected] of [
    ['sum over [0, 1, 2]', () => tf.sum(x, [0, 1, 2]), 1],
    ['mean over [1, 2]', () => tf.mean(x, [1, 2]), 1],
  ] as const) {
    const r = countDispatches(fn);
    assert.equal(r.dispatches, expected, `${what}: ${r.dispatches} dispatches`);
    r.value.dispose();
  }
  useWebgpuKernels('stock');
  const stock = countDispatches(() => tf.sum(x, [0, 1, 2]));
  assert.equal(stock.dispatches, 2, 'stock tfjs-webgpu transposes, then reduces');
  stock.value.dispose();
  useWebgpuKernels('auto');
  x.dispose();
});

/** Windowed attention at radius 1 and 2 on maps smaller and larger than the window (border cells included). */
for (const [shape, radius] of [[[2, 3, 4, 5], 1], [[2, 6, 5, 4], 2]] as const) {
  test(`WsolLocalAttention and its gradient kernel on webgpu equal the references on cpu, q [${shape}], radius ${radius}`, async (t) => {
    const why = await unavailable;
    if (why) return t.skip(why);
    await tf.setBackend('webgpu');
    assert.ok(hasFusedKernel(FUSED_KERNELS.localAttention) && hasFusedKernel(FUSED_KERNELS.localAttentionGrad), 'webgpu registers both local-attention kernels');
    const [n, h, w, d] = shape;
    const c = 3;
    const K = (2 * radius + 1) ** 2;
    const scale = 1 / Math.sqrt(d);
    const inputs = () => ({
      q: tf.tensor4d(random([n, h, w, d], 51, 2), [n, h, w, d]),
      k: tf.tensor4d(random([n, h, w, d], 52, 2), [n, h, w, d]),
      v: tf.tensor4d(random([n, h, w, c], 53), [n, h, w, c]),
    });
    const forward = (fn: typeof localAttention) => () => {
      const { q, k, v } = inputs();
      const r = fn(q, k, v, radius, scale);
      return [r.context, r.weights];
    };
    const backward = (fn: typeof localAttentionGrad) => () => {
      const { q, k, v } = inputs();
      const weights = localAttentionReference(q, k, v, radius, scale).weights;
      const g = fn({ dContext: tf.tensor4d(random([n, h, w, c], 54), [n, h, w, c]), dWeights: tf.tensor4d(random([n, h, w, K], 55), [n, h, w, K]), q, k, v, weights }, radius, scale);
      return [g.dq, g.dk, g.dv];
    };
    const reference = { f: (await onBoth(forward(localAttentionReference))).cpu, b: (await onBoth(backward(localAttentionGradReference))).cpu };
    const fused = { f: (await onBoth(forward(localAttention))).gpu, b: (await onBoth(backward(localAttentionGrad))).gpu };
    assertClose('local attention [context, weights]', fused.f, reference.f, 2e-5);
    assertClose('local attention backward [dq, dk, dv]', fused.b, reference.b, 2e-5);
    await tf.setBackend('webgpu');
    const x = inputs();
    [x.q, x.k, x.v].forEach((t) => t.dataSync());
    const counted = countDispatches(() => localAttention(x.q, x.k, x.v, radius, scale));
    assert.equal(counted.dispatches, 1, 'the forward pass is one dispatch');
    tf.dispose([counted.value.context, counted.value.weights, x.q, x.k, x.v]);
  });
}

test('WsolScaleAdd on webgpu equals the reference on cpu, in one dispatch', async (t) => {
  const why = await unavailable;
  if (why) return t.skip(why);
  await tf.setBackend('webgpu');
  assert.ok(hasFusedKernel(FUSED_KERNELS.scaleAdd), 'webgpu registers WsolScaleAdd');
  const shape = [2, 4, 4, 6];
  const make = () => [tf.tensor(random(shape, 61), shape), tf.tensor1d([0.37]), tf.tensor(random(shape, 62), shape)] as const;
  const reference = (await onBoth(() => [scaleAddReference(...make())])).cpu;
  const fused = (await onBoth(() => [scaleAdd(...make())])).gpu;
  assertClose('scale-add', fused, reference, 1e-6);
  await tf.setBackend('webgpu');
  const [a, s, b] = make();
  [a, s, b].forEach((x) => x.dataSync());
  const counted = countDispatches(() => scaleAdd(a, s, b));
  assert.equal(counted.dispatches, 1);
  tf.dispose([counted.value, a, s, b]);
});
