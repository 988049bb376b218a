import { test } from 'node:test';
import assert from 'node:assert/strict';
import * as tf from '@tensorflow/tfjs-core';
import { initBackend } from '../../src/backend/select';
import { attentionFusionLoss, fusionGate, fusionTarget } from '../../src/method/attention-fusion-loss';
import { boundedMaps, normalizeMaps } from '../../src/method/attention-maps';
import { createModel } from '../../src/method/registry';

const values = (t: tf.Tensor) => Array.from(t.dataSync()).map((v) => +v.toFixed(6));

test('mosaic target trusts each branch where it saw pixels; union takes the max', async () => {
  await initBackend();
  const a = tf.tensor3d([[[0.2, 0.8], [0.0, 1.0]]]);
  const b = tf.tensor3d([[[0.6, 0.1], [0.5, 0.0]]]);
  const visibleA = tf.tensor3d([[[1, 0], [0.5, 1]]]);
  // by hand: [0.2, 0.1], [0.5*0 + 0.5*0.5, 1.0]
  assert.deepEqual(values(fusionTarget('mosaic', a, b, visibleA)), [0.2, 0.1, 0.25, 1]);
  assert.deepEqual(values(fusionTarget('union', a, b, visibleA)), [0.6, 0.8, 0.5, 1]);
  tf.dispose([a, b, visibleA]);
});

test('bounded maps: relu(S)/max(peak,1), gradient stays bounded on flat maps where min-max explodes', async () => {
  await initBackend();
  assert.deepEqual(values(boundedMaps(tf.tensor3d([[[-1, 0.5], [2, 4]]]))), [0, 0.125, 0.5, 1]);
  assert.deepEqual(values(boundedMaps(tf.tensor3d([[[-1, 0.5], [0.2, 0.4]]]))), [0, 0.5, 0.2, 0.4], 'weak maps keep their scale');
  // A nearly flat map (range 1e-3): d/dS of sum(|map - 0.5|).
  const flat = tf.tensor3d([[[0.1, 0.1005], [0.1002, 0.101]]]);
  const loss = (f: (x: tf.Tensor3D) => tf.Tensor3D) => (x: tf.Tensor) => tf.sum(tf.abs(tf.sub(f(x as tf.Tensor3D), 0.5)));
  const gBounded = tf.grad(loss(boundedMaps))(flat);
  const gMinmax = tf.grad(loss(normalizeMaps))(flat);
  const maxAbs = (g: tf.Tensor) => tf.max(tf.abs(g)).dataSync()[0];
  assert.ok(maxAbs(gBounded) <= 1 + 1e-6, `bounded gradient ${maxAbs(gBounded)} <= 1`);
  assert.ok(maxAbs(gMinmax) > 100, `min-max gradient ${maxAbs(gMinmax)} grows as 1/(max - min)`);
  tf.dispose([flat, gBounded, gMinmax]);
});

test('fusion gate leaves out flat targets and unconfident images; the loss averages over the open ones', async () => {
  await initBackend();
  const target = tf.tensor3d([
    [[0, 1], [0, 0]],
    [[0.5, 0.51], [0.5, 0.5]], // flat: range 0.01 < 0.05
    [[0, 1], [1, 0]],
  ]);
  const probTrue = tf.tensor1d([0.9, 0.9, 0.3]);
  assert.deepEqual(values(fusionGate(target, probTrue, 0.5)), [1, 0, 0]);
  assert.deepEqual(values(fusionGate(target, probTrue, 0)), [1, 0, 1]);
  const a = tf.zeros([3, 2, 2]) as tf.Tensor3D;
  // per image mean|0 - T| * 2 maps: image 0 -> 0.25 * 2 = 0.5; only image 0 is open -> 0.5
  assert.ok(Math.abs(attentionFusionLoss(a, a, target, fusionGate(target, probTrue, 0.5)).dataSync()[0] - 0.5) < 1e-6);
  // nothing open: the term is exactly 0 (the warm-up)
  assert.equal(attentionFusionLoss(a, a, target, tf.zeros([3]) as tf.Tensor1D).dataSync()[0], 0);
  tf.dispose([target, probTrue, a]);
});

test('ours: the full-image pass trains the heads but not the backbone unless asked; inference maps max or mean', async () => {
  await initBackend();
  const images = tf.randomNormal([2, 32, 32, 3], 0, 1, 'float32', 3) as tf.Tensor4D;
  const labels = tf.tensor1d([0, 1], 'int32');
  for (const fullPassTrainsBackbone of [false, true]) {
    const model = createModel({ method: 'ours', backbone: 'tiny', numClasses: 3, inputSize: 32, tinyWidth: 4, loss: { lambdaFuse: 0, fullPassTrainsBackbone } });
    const vars = model.net.trainableWeights.map((w) => w.read() as tf.Variable);
    const backboneVar = vars.find((v) => v.name.includes('block1_conv1'))!;
    // Only the full-image CE term: its gradient reaches the backbone only when the option is on.
    const { grads } = tf.variableGrads(() => {
      const out = model.loss(images, labels, { step: 0, seed: 1 });
      return out.terms.clsFull;
    }, vars);
    const g = tf.max(tf.abs(grads[backboneVar.name])).dataSync()[0];
    if (fullPassTrainsBackbone) assert.ok(g > 0, 'full pass reaches the backbone');
    else assert.equal(g, 0, 'full pass is forward-only in the backbone');
    const headVar = vars.find((v) => v.name.includes('head_a_cam'))!;
    assert.ok(tf.max(tf.abs(grads[headVar.name])).dataSync()[0] > 0, 'full pass trains the heads');
    tf.dispose(Object.values(grads));
    model.net.dispose();
  }
  const mean = createModel({ method: 'ours', backbone: 'tiny', numClasses: 3, inputSize: 32, tinyWidth: 4, attention: { inferenceMap: 'mean' } }) as unknown as {
    predict(x: tf.Tensor4D): { logits: tf.Tensor2D; cams: tf.Tensor4D };
    branches(a: tf.Tensor4D, b: tf.Tensor4D): { camsA: tf.Tensor4D; camsB: tf.Tensor4D };
    net: { dispose(): void };
  };
  const afterBuild = tf.memory().numTensors;
  const p = mean.predict(images);
  const br = mean.branches(images, images);
  const err = tf.tidy(() => tf.max(tf.abs(tf.sub(p.cams, tf.div(tf.add(br.camsA, br.camsB), 2)))).dataSync()[0]);
  assert.ok(err < 1e-5, 'mean map = CAM of the averaged classifier');
  tf.dispose([p.logits, p.cams, br.camsA, br.camsB]);
  assert.equal(tf.memory().numTensors, afterBuild, 'predict leaks nothing');
  mean.net.dispose();
  tf.dispose([images, labels]);
});
