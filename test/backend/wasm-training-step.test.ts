/**
 * A real training step on wasm, with every op family this project's nets use, against the cpu
 * backend: a tfjs-layers backbone (fused conv+bias+relu, max pooling, dense), then raw ops:
 * channel gating (sigmoid), self-attention over positions (batchMatMul Q K^T, softmax),
 * class maps (1x1 conv), gather, min-max normalisation (min, max, division), resizeBilinear,
 * an erasing mask (where/greaterEqual) and a second pass, abs/maximum fusion, softmax and
 * sparse (oneHot/logSoftmax) cross-entropy; then Adam and SGD-momentum updates.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import * as tf from '@tensorflow/tfjs-core';
import * as tfl from '@tensorflow/tfjs-layers';
import { initBackend } from '../../src/backend/select';
import { stopGradient } from '../../src/method/attention-fusion-loss';
import { Rng } from '../../src/common/rng';
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

const N = 4;
const S = 12;
const C = 16;
const K = 3;

/** The backbone as a tfjs-layers model (conv layers with bias+relu are fused by tfjs-layers). */
function buildBackbone(): tfl.LayersModel {
  return tfl.sequential({
    layers: [
      tfl.layers.conv2d({ inputShape: [S, S, 3], filters: 8, kernelSize: 3, padding: 'same', activation: 'relu' }),
      tfl.layers.maxPooling2d({ poolSize: 2, strides: 2 }),
      tfl.layers.conv2d({ filters: C, kernelSize: 3, padding: 'same', activation: 'relu' }),
    ],
  });
}

interface Net {
  backbone: tfl.LayersModel;
  gate: tfl.layers.Layer;
  head: tfl.layers.Layer;
  raw: tf.Variable[];
  vars: tf.Variable[];
}

let nets = 0;

function buildNet(): Net {
  const id = nets++;
  const backbone = buildBackbone();
  const gate = tfl.layers.dense({ units: C, inputShape: [C] });
  const head = tfl.layers.dense({ units: K, inputShape: [C] });
  gate.apply(tfl.input({ shape: [C] }));
  head.apply(tfl.input({ shape: [C] }));
  const raw = [
    tf.variable(tf.tensor2d(random([C, 4], 21, 0.5), [C, 4]), true, `wq_${id}`),
    tf.variable(tf.tensor2d(random([C, 4], 22, 0.5), [C, 4]), true, `wk_${id}`),
    tf.variable(tf.scalar(0.3), true, `gamma_${id}`),
    tf.variable(tf.tensor4d(random([1, 1, C, K], 23, 0.5), [1, 1, C, K]), true, `cam_w_${id}`),
    tf.variable(tf.tensor1d(random([K], 24, 0.1)), true, `cam_b_${id}`),
  ];
  const layerVars = [...backbone.trainableWeights, ...gate.trainableWeights, ...head.trainableWeights].map((w) => w.read() as tf.Variable);
  return { backbone, gate, head, raw, vars: [...layerVars, ...raw] };
}

function setWeights(net: Net, values: Float32Array[]): void {
  net.vars.forEach((v, i) => v.assign(tf.tensor(values[i], v.shape)));
}

/** Normalised class map of class 1: [n, S, S, 1] in [0, 1]. */
function classMaps(net: Net, x: tf.Tensor4D): { maps: tf.Tensor4D; logits: tf.Tensor2D; aux: tf.Tensor2D } {
  const [wq, wk, gamma, camW, camB] = net.raw;
  let f = net.backbone.apply(x) as tf.Tensor4D; // [n, 6, 6, C]
  const pooled = tf.mean(f, [1, 2]) as tf.Tensor2D;
  const gateValues = tf.sigmoid(net.gate.apply(pooled) as tf.Tensor2D);
  f = tf.mul(f, tf.reshape(gateValues, [N, 1, 1, C]));
  const flat = tf.reshape(f, [N, 36, C]) as tf.Tensor3D;
  const q = tf.reshape(tf.matMul(tf.reshape(flat, [N * 36, C]) as tf.Tensor2D, wq as tf.Tensor2D), [N, 36, 4]) as tf.Tensor3D;
  const k = tf.reshape(tf.matMul(tf.reshape(flat, [N * 36, C]) as tf.Tensor2D, wk as tf.Tensor2D), [N, 36, 4]) as tf.Tensor3D;
  const att = tf.softmax(tf.div(tf.matMul(q, k, false, true), 2));
  const g = tf.reshape(tf.add(tf.mul(gamma, tf.matMul(att, flat)), flat), [N, 6, 6, C]) as tf.Tensor4D;
  const s = tf.fused.conv2d({ x: g, filter: camW as tf.Tensor4D, bias: camB, strides: 1, pad: 'same' });
  const logits = tf.mean(s, [1, 2]) as tf.Tensor2D;
  const aux = net.head.apply(tf.mean(g, [1, 2])) as tf.Tensor2D;
  const map = tf.relu(tf.gather(s, tf.tensor1d([1], 'int32'), 3));
  const lo = tf.min(map, [1, 2], true);
  const hi = tf.max(map, [1, 2], true);
  const norm = tf.div(tf.sub(map, lo), tf.add(tf.sub(hi, lo), 1e-5));
  return { maps: tf.image.resizeBilinear(norm as tf.Tensor4D, [S, S]), logits, aux };
}

function loss(net: Net, x: tf.Tensor4D, labels: tf.Tensor1D): tf.Scalar {
  const first = classMaps(net, x);
  // Erase what the first pass found (ACoL-style) and look again.
  const mask = tf.where(tf.greaterEqual(first.maps, 0.6), tf.zerosLike(first.maps), tf.onesLike(first.maps));
  const second = classMaps(net, tf.mul(x, mask) as tf.Tensor4D);
  const fused = tf.maximum(first.maps, second.maps);
  const oneHot = tf.oneHot(labels, K);
  const ce = tf.losses.softmaxCrossEntropy(oneHot, first.logits);
  const sparse = tf.neg(tf.mean(tf.sum(tf.mul(oneHot, tf.logSoftmax(second.aux)), -1)));
  const fusion = tf.mean(tf.abs(tf.sub(first.maps, stopGradient(fused))));
  return tf.addN([ce, sparse, fusion]) as tf.Scalar;
}

function batch(): { x: tf.Tensor4D; labels: tf.Tensor1D } {
  return { x: tf.tensor4d(random([N, S, S, 3], 5), [N, S, S, 3]), labels: tf.tensor1d([0, 1, 2, 1], 'int32') };
}

test('a training step of a net with every op family the project uses: wasm gradients match cpu (rel. error <= 1e-4)', async () => {
  await initBackend('cpu');
  await initBackend('wasm');
  const net = buildNet();
  const init = net.vars.map((v, i) => random(v.shape, 1000 + i, 0.4));
  const results: Record<string, Float32Array[]> = {};
  for (const backend of ['wasm', 'cpu']) {
    await tf.setBackend(backend);
    setWeights(net, init);
    const before = tf.memory().numTensors;
    results[backend] = tf.tidy(() => {
      const { x, labels } = batch();
      const { value, grads } = tf.variableGrads(() => loss(net, x, labels), net.vars);
      return [value.dataSync(), ...net.vars.map((v) => grads[v.name].dataSync())] as Float32Array[];
    });
    assert.equal(tf.memory().numTensors, before, `no tensor leak on ${backend}`);
  }
  results.wasm.forEach((arr, i) => {
    const name = i === 0 ? 'loss' : net.vars[i - 1].name;
    assert.ok(arr.every(Number.isFinite), `${name} finite`);
    assert.ok(relError(arr, results.cpu[i]) <= 1e-4, `${name}: rel error ${relError(arr, results.cpu[i])}`);
  });
  assert.ok(results.cpu.slice(1).every((g) => g.some((v) => v !== 0)), 'every variable gets a gradient');
  await tf.setBackend('wasm');
});

test('Adam and SGD-momentum steps on wasm match cpu', async () => {
  await initBackend('cpu');
  await initBackend('wasm');
  const net = buildNet();
  const init = net.vars.map((v, i) => random(v.shape, 2000 + i, 0.4));
  for (const [name, make, tol] of [
    ['sgd-momentum', () => tf.train.momentum(0.05, 0.9), 1e-4],
    ['adam', () => tf.train.adam(0.01), 1e-3],
  ] as const) {
    const finals: Record<string, Float32Array[]> = {};
    const losses: Record<string, number[]> = {};
    for (const backend of ['wasm', 'cpu']) {
      await tf.setBackend(backend);
      setWeights(net, init);
      const before = tf.memory().numTensors;
      const opt = make();
      const { x, labels } = batch();
      losses[backend] = [];
      for (let step = 0; step < 4; step++) {
        const l = opt.minimize(() => loss(net, x, labels), true, net.vars)!;
        losses[backend].push(l.dataSync()[0]);
        l.dispose();
      }
      finals[backend] = net.vars.map((v) => v.dataSync() as Float32Array);
      opt.dispose();
      tf.dispose([x, labels]);
      // tfjs 4.22's MomentumOptimizer leaks one scalar per construction on every backend: training must add none.
      const idle = tf.memory().numTensors;
      make().dispose();
      const constructionLeak = tf.memory().numTensors - idle;
      assert.equal(tf.memory().numTensors - 2 * constructionLeak, before, `${name} on ${backend}: training leaks no tensor`);
    }
    finals.wasm.forEach((arr, i) => assert.ok(relError(arr, finals.cpu[i]) <= tol, `${name} ${net.vars[i].name}: rel error ${relError(arr, finals.cpu[i])}`));
    assert.ok(losses.wasm[3] < losses.wasm[0], `${name}: loss fell on wasm (${losses.wasm.map((v) => v.toFixed(4)).join(' ')})`);
  }
  await tf.setBackend('wasm');
});

test('a 3-layer CNN trains on wasm: the loss falls on a fixed toy batch', async () => {
  await initBackend('wasm');
  const before = tf.memory().numTensors;
  const r = new Rng(3);
  const vars = tf.tidy(() => [
    tf.variable(tf.tensor4d(random([3, 3, 3, 8], 1, 0.3), [3, 3, 3, 8]), true, 'cnn/c1'),
    tf.variable(tf.tensor4d(random([3, 3, 8, 16], 2, 0.2), [3, 3, 8, 16]), true, 'cnn/c2'),
    tf.variable(tf.tensor4d(random([3, 3, 16, 2], 3, 0.2), [3, 3, 16, 2]), true, 'cnn/c3'),
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
    const l = opt.minimize(() => {
      let h = tf.relu(tf.conv2d(xs, vars[0] as tf.Tensor4D, 1, 'same'));
      h = tf.maxPool(tf.relu(tf.conv2d(h, vars[1] as tf.Tensor4D, 2, 'same')), 2, 2, 'same');
      const logits = tf.mean(tf.conv2d(h, vars[2] as tf.Tensor4D, 1, 'same'), [1, 2]);
      return tf.losses.softmaxCrossEntropy(ys, logits) as tf.Scalar;
    }, true)!;
    losses.push(l.dataSync()[0]);
    l.dispose();
  }
  assert.ok(losses[24] < 0.5 * losses[0], `loss fell from ${losses[0]} to ${losses[24]}`);
  opt.dispose();
  tf.dispose([xs, ys, ...vars]);
  assert.equal(tf.memory().numTensors, before);
});
