import { test } from 'node:test';
import assert from 'node:assert/strict';
import * as tf from '@tensorflow/tfjs-core';
import { initBackend } from '../../src/backend/select';
import { DEFAULT_OPTIMIZER, WsolOptimizer } from '../../src/train/optimizer';
import { learningRateAt } from '../../src/train/schedule';

test('SGD with momentum and per-variable multipliers matches a hand computation', async () => {
  await initBackend();
  const before = tf.memory().numTensors;
  const w = tf.tidy(() => tf.variable(tf.tensor2d([[1, 2]]), true, 'backbone/kernel'));
  const c = tf.tidy(() => tf.variable(tf.tensor2d([[1, 2]]), true, 'classifier/kernel'));
  const opt = new WsolOptimizer({ ...DEFAULT_OPTIMIZER, name: 'sgd', momentum: 0.5, weightDecay: 0, lrMultipliers: { classifier: 10 } });
  for (let i = 0; i < 2; i++) {
    const grads = { 'backbone/kernel': tf.tensor2d([[1, -1]]), 'classifier/kernel': tf.tensor2d([[1, -1]]) };
    opt.apply([w, c], grads, 0.1);
    tf.dispose(Object.values(grads));
  }
  // m1 = g = [1,-1]; w1 = w0 - 0.1 m1; m2 = 0.5 m1 + g = [1.5,-1.5]; w2 = w1 - 0.1 m2 -> w0 - 0.25 g
  assert.deepEqual(Array.from(w.dataSync()).map((x) => +x.toFixed(6)), [0.75, 2.25]);
  assert.deepEqual(Array.from(c.dataSync()).map((x) => +x.toFixed(6)), [-1.5, 4.5]);
  opt.dispose();
  w.dispose();
  c.dispose();
  assert.equal(tf.memory().numTensors, before);
});

test('Adam first step moves each weight by lr * sign(g); state round-trips', async () => {
  await initBackend();
  const w = tf.variable(tf.tensor1d([0, 0, 0]), true, 'adam/w');
  const opt = new WsolOptimizer({ ...DEFAULT_OPTIMIZER, name: 'adam', weightDecay: 0 });
  const g = { 'adam/w': tf.tensor1d([0.3, -2, 5]) };
  opt.apply([w], g, 0.01);
  // m_hat = g, s_hat = g^2 -> step = lr * g / (|g| + eps)
  Array.from(w.dataSync()).forEach((v, i) => assert.ok(Math.abs(v - [-0.01, 0.01, -0.01][i]) < 1e-6));
  const state = opt.getState();
  assert.equal(state.step, 1);
  const copy = new WsolOptimizer(opt.config);
  copy.setState(state);
  const afterOne = w.clone();
  opt.apply([w], g, 0.01);
  // with a constant gradient, bias correction makes m_hat = g and s_hat = g^2 again: another lr step
  Array.from(w.dataSync()).forEach((v, i) => assert.ok(Math.abs(v - [-0.02, 0.02, -0.02][i]) < 1e-6));
  const fromOpt = Array.from(w.dataSync());
  w.assign(afterOne);
  copy.apply([w], g, 0.01);
  assert.deepEqual(Array.from(w.dataSync()), fromOpt, 'the restored optimizer continues exactly');
  tf.dispose([w, afterOne, g['adam/w']]);
  opt.dispose();
  copy.dispose();
});

test('optimizer config errors name the field', () => {
  assert.throws(() => new WsolOptimizer({ ...DEFAULT_OPTIMIZER, learningRate: 0 }), /optimizer.learningRate must be > 0/);
  assert.throws(() => new WsolOptimizer({ ...DEFAULT_OPTIMIZER, momentum: 1 }), /optimizer.momentum/);
});

test('schedules: cosine ends at 0, step drops by gamma at milestones, warm-up ramps', () => {
  const s = { name: 'cosine' as const, milestones: [], gamma: 0.1, warmupSteps: 0 };
  assert.equal(learningRateAt(1, s, 0, 100, 10), 1);
  assert.ok(Math.abs(learningRateAt(1, s, 50, 100, 10) - 0.5) < 1e-12);
  assert.ok(Math.abs(learningRateAt(1, s, 100, 100, 10)) < 1e-12);
  const st = { name: 'step' as const, milestones: [2, 4], gamma: 0.1, warmupSteps: 0 };
  assert.equal(learningRateAt(1, st, 19, 100, 10), 1);
  assert.ok(Math.abs(learningRateAt(1, st, 20, 100, 10) - 0.1) < 1e-12);
  assert.ok(Math.abs(learningRateAt(1, st, 45, 100, 10) - 0.01) < 1e-12);
  assert.equal(learningRateAt(1, { ...st, name: 'constant', warmupSteps: 4 }, 1, 100, 10), 0.5);
});

test('decoupled weight decay shrinks kernels by lr * wd beside the Adam step; l2 adds wd * w to the gradient', async () => {
  await initBackend();
  const decoupled = new WsolOptimizer({ ...DEFAULT_OPTIMIZER, name: 'adam', weightDecay: 0.1, weightDecayMode: 'decoupled' });
  const w = tf.variable(tf.tensor2d([[2, -4]]), true, 'dec/kernel');
  decoupled.apply([w], { 'dec/kernel': tf.tensor2d([[1, 1]]) }, 0.01);
  // w * (1 - 0.01 * 0.1) - 0.01 * sign(g): 2 * 0.999 - 0.01 = 1.988; -4 * 0.999 - 0.01 = -4.006
  Array.from(w.dataSync()).forEach((v, i) => assert.ok(Math.abs(v - [1.988, -4.006][i]) < 1e-5, `decoupled ${v}`));
  const l2 = new WsolOptimizer({ ...DEFAULT_OPTIMIZER, name: 'sgd', momentum: 0, weightDecay: 0.1, weightDecayMode: 'l2' });
  const u = tf.variable(tf.tensor2d([[2, -4]]), true, 'l2/kernel');
  l2.apply([u], { 'l2/kernel': tf.tensor2d([[1, 1]]) }, 0.01);
  // u - 0.01 * (g + 0.1 u): 2 - 0.01 * 1.2 = 1.988; -4 - 0.01 * 0.6 = -4.006
  Array.from(u.dataSync()).forEach((v, i) => assert.ok(Math.abs(v - [1.988, -4.006][i]) < 1e-5, `l2 ${v}`));
  assert.throws(() => new WsolOptimizer({ ...DEFAULT_OPTIMIZER, weightDecayMode: 'bogus' as 'l2' }), /weightDecayMode/);
  decoupled.dispose();
  l2.dispose();
  tf.dispose([w, u]);
});
