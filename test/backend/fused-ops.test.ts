/**
 * The fused training ops (src/backend/fused-ops.ts): their references against the unfused paths,
 * and, where an engine registers a kernel, that kernel against the reference.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import * as tf from '@tensorflow/tfjs-core';
import { initBackend } from '../../src/backend/select';
import { loadNativeAddon } from '../../src/backend/native/addon';
import { setNativeKernelsEnabled } from '../../src/backend/native/register';
import { adamWReference, adamWUpdate, batchNormTrain, FUSED_KERNELS, hasFusedKernel, batchNormTrainGradReference, batchNormTrainReference, scaleAdd, scaleAddReference } from '../../src/backend/fused-ops';
import { DEFAULT_OPTIMIZER, WsolOptimizer, type OptimizerConfig } from '../../src/train/optimizer';
import { random, relError } from '../helpers/numeric';

/** The optimizer's Adam update as it was written before the fused op, weight by weight. */
function unfusedAdam(c: OptimizerConfig, vars: tf.Variable[], slots: Map<string, tf.Variable[]>, grads: tf.NamedTensorMap, lr: number, t: number, mult: (n: string) => number): void {
  tf.tidy(() => {
    for (const v of vars) {
      const g0 = grads[v.name];
      const decay = c.weightDecay > 0 && v.shape.length > 1;
      const coupled = decay && c.weightDecayMode === 'l2';
      const g = coupled ? tf.add(g0, tf.mul(v, c.weightDecay)) : g0;
      const rate = lr * mult(v.name);
      if (decay && !coupled) v.assign(tf.mul(v, 1 - rate * c.weightDecay));
      const [m, s] = slots.get(v.name)!;
      m.assign(tf.add(tf.mul(m, c.beta1), tf.mul(g, 1 - c.beta1)));
      s.assign(tf.add(tf.mul(s, c.beta2), tf.mul(tf.square(g), 1 - c.beta2)));
      const mHat = tf.div(m, 1 - Math.pow(c.beta1, t));
      const sHat = tf.div(s, 1 - Math.pow(c.beta2, t));
      v.assign(tf.sub(v, tf.mul(tf.div(mHat, tf.add(tf.sqrt(sHat), c.epsilon)), rate)));
    }
  });
}

for (const mode of ['decoupled', 'l2'] as const) {
  test(`Adam(W) through the fused op equals the unfused update bit for bit (${mode} weight decay)`, async () => {
    await initBackend('cpu');
    const before = tf.memory().numTensors;
    const config: OptimizerConfig = { ...DEFAULT_OPTIMIZER, weightDecay: 0.05, weightDecayMode: mode, lrMultipliers: { head: 10 } };
    const shapes: Record<string, number[]> = { 'conv/kernel': [3, 3, 2, 4], 'conv/bias': [4], 'head/kernel': [4, 5] };
    const make = () => tf.tidy(() => Object.entries(shapes).map(([n, s], i) => tf.variable(tf.tensor(random(s, 10 + i), s), true, n)));
    const fusedVars = make();
    const opt = new WsolOptimizer(config);
    const plainVars = tf.tidy(() => fusedVars.map((v) => tf.variable(v.clone(), true, `plain/${v.name}`)));
    const slots = new Map(plainVars.map((v) => [v.name, tf.tidy(() => [tf.variable(tf.zerosLike(v), false), tf.variable(tf.zerosLike(v), false)])]));
    for (let t = 1; t <= 4; t++) {
      const grads: tf.NamedTensorMap = {};
      const plainGrads: tf.NamedTensorMap = {};
      fusedVars.forEach((v, i) => {
        grads[v.name] = tf.tensor(random(v.shape, 100 * t + i, 3), v.shape);
        plainGrads[`plain/${v.name}`] = grads[v.name];
      });
      opt.apply(fusedVars, grads, 0.01 * t);
      unfusedAdam(config, plainVars, slots, plainGrads, 0.01 * t, t, (n) => opt.multiplierFor(n.slice('plain/'.length)));
      tf.dispose(Object.values(grads));
    }
    fusedVars.forEach((v, i) => assert.deepEqual(Array.from(v.dataSync()), Array.from(plainVars[i].dataSync()), `${v.name} bit for bit`));
    const state = opt.getState();
    fusedVars.forEach((v) => assert.deepEqual(Array.from(state.slots[`${v.name}::1`].dataSync()), Array.from(slots.get(`plain/${v.name}`)![1].dataSync())));
    opt.dispose();
    tf.dispose([...fusedVars, ...plainVars, ...[...slots.values()].flat()]);
    assert.equal(tf.memory().numTensors, before, 'no tensor leak');
  });
}

test('the AdamW reference moves a weight by the hand-computed first step with decoupled decay', async () => {
  await initBackend('cpu');
  const [r] = tf.tidy(() => {
    const out = adamWReference([{ weight: tf.tensor1d([2, -4]), grad: tf.tensor1d([0.5, -3]), m: tf.zeros([2]), s: tf.zeros([2]), rate: 0.1, decay: 0.5 }], { step: 1, decoupled: true, beta1: 0.9, beta2: 0.999, epsilon: 0 });
    return out.map((x) => ({ weight: tf.keep(x.weight), m: tf.keep(x.m), s: tf.keep(x.s) }));
  });
  // w * (1 - 0.1 * 0.5) - 0.1 * sign(g): 2 * 0.95 - 0.1 = 1.8; -4 * 0.95 + 0.1 = -3.7
  Array.from(r.weight.dataSync()).forEach((v, i) => assert.ok(Math.abs(v - [1.8, -3.7][i]) < 1e-6, `${v}`));
  Array.from(r.m.dataSync()).forEach((v, i) => assert.ok(Math.abs(v - [0.05, -0.3][i]) < 1e-7));
  tf.dispose([r.weight, r.m, r.s]);
});

test('the batch-norm backward reference equals tfjs autodiff of moments + batchNorm, with gradients into mean and variance', async () => {
  await initBackend('cpu');
  const before = tf.memory().numTensors;
  const shape = [2, 3, 4, 5];
  const x = tf.tensor4d(random(shape, 1, 2), shape as [number, number, number, number]);
  const gamma = tf.tensor1d(random([5], 2));
  const beta = tf.tensor1d(random([5], 3));
  const dy = tf.tensor4d(random(shape, 4), shape as [number, number, number, number]);
  const wMean = tf.tensor1d(random([5], 5));
  const wVar = tf.tensor1d(random([5], 6));
  const eps = 1e-3;
  // loss = sum(y * dy) + sum(mean * wMean) + sum(variance * wVar): its gradients are the backward's inputs.
  const grads = tf.grads((xx: tf.Tensor, gg: tf.Tensor, bb: tf.Tensor) => {
    const r = batchNormTrainReference(xx, gg as tf.Tensor1D, bb as tf.Tensor1D, eps);
    return tf.addN([tf.sum(tf.mul(r.y, dy)), tf.sum(tf.mul(r.mean, wMean)), tf.sum(tf.mul(r.variance, wVar))]);
  })([x, gamma, beta]);
  const stats = batchNormTrainReference(x, gamma, beta, eps);
  const ref = batchNormTrainGradReference({ dy, x, gamma, mean: stats.mean, variance: stats.variance, dMean: wMean, dVariance: wVar }, eps);
  assert.ok(relError(ref.dx.dataSync(), grads[0].dataSync()) < 1e-5, 'dx');
  assert.ok(relError(ref.dGamma.dataSync(), grads[1].dataSync()) < 1e-5, 'dGamma');
  assert.ok(relError(ref.dBeta.dataSync(), grads[2].dataSync()) < 1e-5, 'dBeta');
  // Without a kernel for the backend, batchNormTrain is the reference itself.
  const viaOp = batchNormTrain(x, gamma, beta, eps);
  assert.deepEqual(Array.from(viaOp.y.dataSync()), Array.from(stats.y.dataSync()));
  tf.dispose([x, gamma, beta, dy, wMean, wVar, ...grads, stats.y, stats.mean, stats.variance, ref.dx, ref.dGamma, ref.dBeta, viaOp.y, viaOp.mean, viaOp.variance]);
  assert.equal(tf.memory().numTensors, before, 'no tensor leak');
});

test('scaleAdd rejects a non-scalar scale and mismatched shapes, naming them', async () => {
  await initBackend('cpu');
  const a = tf.ones([2, 2]);
  assert.throws(() => scaleAdd(a, tf.ones([2]), a), /scale must hold one value, got shape \[2\]/);
  assert.throws(() => scaleAdd(a, tf.ones([1]), tf.ones([4])), /a \[2,2\] and b \[4\]/);
  const y = scaleAdd(a, tf.scalar(3), a);
  const ref = scaleAddReference(a, tf.scalar(3), a);
  assert.deepEqual(Array.from(y.dataSync()), Array.from(ref.dataSync()));
  assert.deepEqual(Array.from(y.dataSync()), [4, 4, 4, 4]);
});

// ---------------------------------------------------------------------------------------------
// Native kernels (src/backend/native/fused-kernels.ts) against the reference ops

const native = loadNativeAddon();
const noNative = native.addon ? false : `native addon unavailable: ${native.reason}`;
if (noNative) process.stdout.write(`# skipping native fused-kernel tests: ${noNative}\n`);

/** Runs `f` with the native fused kernels and with the reference ops (native off) on wasm. */
async function nativeAndReference<T>(f: () => T): Promise<{ native: T; reference: T }> {
  await initBackend('wasm');
  assert.ok(hasFusedKernel(FUSED_KERNELS.adamW), 'the native fused kernels are registered on wasm');
  const tensors = tf.memory().numTensors;
  const result = { native: f() } as { native: T; reference: T };
  assert.equal(tf.memory().numTensors, tensors, 'no tensor leak (native)');
  setNativeKernelsEnabled(false);
  try {
    assert.ok(!hasFusedKernel(FUSED_KERNELS.adamW), 'native off: the reference ops run');
    result.reference = f();
  } finally {
    setNativeKernelsEnabled(true);
  }
  return result;
}

test('native WsolAdamWUpdate equals the reference bit for bit, both weight-decay modes', { skip: noNative }, async () => {
  for (const decoupled of [true, false]) {
    const r = await nativeAndReference(() =>
      tf.tidy(() => {
        const shapes = [[3, 3, 8, 16], [16], [40000]];
        const slots = shapes.map((s, i) => ({
          weight: tf.tensor(random(s, i + 1), s), grad: tf.tensor(random(s, i + 11, 5), s), m: tf.tensor(random(s, i + 21, 0.1), s),
          s: tf.abs(tf.tensor(random(s, i + 31, 0.01), s)), rate: 0.003 * (i + 1), decay: s.length > 1 ? 0.01 : 0,
        }));
        const out = adamWUpdate(slots, { step: 7, decoupled, beta1: 0.9, beta2: 0.999, epsilon: 1e-8 });
        return out.map((o) => [o.weight, o.m, o.s].map((t) => Array.from(t.dataSync())));
      }),
    );
    assert.deepEqual(r.native, r.reference, `decoupled=${decoupled}`);
  }
});

test('native WsolBatchNormTrain and its gradient equal the reference ops within 1e-5', { skip: noNative }, async () => {
  const shape = [4, 9, 7, 24] as [number, number, number, number];
  const r = await nativeAndReference(() =>
    tf.tidy(() => {
      // A large mean (x around 5) checks that the kernel does not lose the centred values.
      const x = tf.add(tf.tensor4d(random(shape, 1, 2), shape), 5);
      const gamma = tf.tensor1d(random([24], 2));
      const beta = tf.tensor1d(random([24], 3));
      const dy = tf.tensor4d(random(shape, 4), shape);
      const wMean = tf.tensor1d(random([24], 5));
      const wVar = tf.tensor1d(random([24], 6));
      const f = (xx: tf.Tensor, gg: tf.Tensor, bb: tf.Tensor) => {
        const o = batchNormTrain(xx, gg as tf.Tensor1D, bb as tf.Tensor1D, 1e-3);
        return tf.addN([tf.sum(tf.mul(o.y, dy)), tf.sum(tf.mul(o.mean, wMean)), tf.sum(tf.mul(o.variance, wVar))]);
      };
      const o = batchNormTrain(x, gamma, beta, 1e-3);
      const g = tf.grads(f)([x, gamma, beta]);
      return [o.y, o.mean, o.variance, ...g].map((t) => t.dataSync());
    }),
  );
  const names = ['y', 'mean', 'variance', 'dx', 'dGamma', 'dBeta'];
  names.forEach((n, i) => assert.ok(relError(r.native[i], r.reference[i]) < 1e-5, `${n}: ${relError(r.native[i], r.reference[i])}`));
});

test('native WsolScaleAdd and its gradient equal a * scale + b', { skip: noNative }, async () => {
  const r = await nativeAndReference(() =>
    tf.tidy(() => {
      const a = tf.tensor3d(random([4, 64, 80], 1), [4, 64, 80]);
      const b = tf.tensor3d(random([4, 64, 80], 2), [4, 64, 80]);
      const s = tf.tensor1d([0.37]);
      const g = tf.grads((aa: tf.Tensor, ss: tf.Tensor, bb: tf.Tensor) => tf.sum(tf.square(scaleAdd(aa, ss, bb))))([a, s, b]);
      return [scaleAdd(a, s, b), ...g].map((t) => t.dataSync());
    }),
  );
  r.native.forEach((v, i) => assert.ok(relError(v, r.reference[i]) < 1e-6, `output ${i}`));
});
