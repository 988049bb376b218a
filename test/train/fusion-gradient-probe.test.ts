import { test } from 'node:test';
import assert from 'node:assert/strict';
import * as tf from '@tensorflow/tfjs-core';
import { initBackend } from '../../src/backend/select';
import { createModel } from '../../src/method/registry';
import type { WsolModel } from '../../src/method/wsol-model';
import { fusionGradientShare, probesFusion, FUSION_PROBE_EVERY } from '../../src/train/fusion-gradient-probe';
import { seedInitialWeights } from '../../src/train/seeded-init';

function headNorm(model: WsolModel, grads: tf.NamedTensorMap): number {
  return Math.sqrt(model.headVariables!().reduce((a, v) => a + tf.tidy(() => tf.sum(tf.square(grads[v.name])).dataSync()[0]), 0));
}

function totalGrads(model: WsolModel, x: tf.Tensor4D, y: tf.Tensor1D, step: number): tf.NamedTensorMap {
  const { value, grads } = tf.variableGrads(() => model.loss(x, y, { seed: 1, step }).total, model.net.trainableWeights.map((w) => w.read() as tf.Variable));
  value.dispose();
  return grads;
}

test('the fusion gradient share: measured on probe steps only, leaves batch-norm statistics alone, and scales with lambda_fuse', async () => {
  await initBackend();
  const x = tf.randomNormal([4, 32, 32, 3], 0, 1, 'float32', 3) as tf.Tensor4D;
  const y = tf.tensor1d([0, 1, 0, 1], 'int32');
  const shareAndNorm = (lambdaFuse: number) => {
    // fuseConfidence 0 opens the gate for every image with an informative target.
    const model = createModel({ method: 'ours', backbone: 'tiny', numClasses: 2, inputSize: 32, tinyWidth: 4, loss: { fuseConfidence: 0, lambdaFuse } });
    seedInitialWeights(model.net, 4);
    const stats = () => model.net.nonTrainableWeights.map((w) => Array.from(w.read().dataSync()));
    const grads = totalGrads(model, x, y, 0);
    const before = stats();
    const tensors = tf.memory().numTensors;
    const share = fusionGradientShare(model, x, y, { seed: 1, step: 0 }, grads);
    assert.equal(tf.memory().numTensors, tensors, 'no tensor leaked');
    assert.deepEqual(stats(), before, 'moving statistics are put back');
    const norm = headNorm(model, grads);
    tf.dispose(Object.values(grads));
    model.net.dispose();
    return { share, norm };
  };
  const one = shareAndNorm(1);
  const two = shareAndNorm(2);
  assert.ok(one.share > 0 && Number.isFinite(one.share), `share ${one.share}`);
  // share * ||grad total|| is ||grad (lambda fuse)||, so doubling lambda doubles it.
  const ratio = (two.share * two.norm) / (one.share * one.norm);
  assert.ok(Math.abs(ratio - 2) < 1e-3, `ratio ${ratio}`);
  tf.dispose([x, y]);
});

test('only methods with a fusion term are probed, every FUSION_PROBE_EVERY steps', async () => {
  await initBackend();
  const ours = createModel({ method: 'ours', backbone: 'tiny', numClasses: 2, inputSize: 32, tinyWidth: 4 });
  const cam = createModel({ method: 'cam', backbone: 'tiny', numClasses: 2, inputSize: 32, tinyWidth: 4 });
  assert.equal(probesFusion(ours, 0, { fuse: 0 }), true);
  assert.equal(probesFusion(ours, FUSION_PROBE_EVERY, { fuse: 0 }), true);
  assert.equal(probesFusion(ours, 1, { fuse: 0 }), false);
  assert.equal(probesFusion(ours, 0, { clsA: 0 }), false, 'no fusion term (ours-no-fusion)');
  assert.equal(probesFusion(cam, 0, { fuse: 0 }), false, 'no heads to probe');
  ours.net.dispose();
  cam.net.dispose();
});
