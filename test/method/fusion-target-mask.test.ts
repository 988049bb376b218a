import { test } from 'node:test';
import assert from 'node:assert/strict';
import * as tf from '@tensorflow/tfjs-core';
import { initBackend } from '../../src/backend/select';
import { binarizeTarget } from '../../src/method/attention-fusion-loss';
import { createModel } from '../../src/method/registry';

test('the fusion target mask: 1 from threshold x peak up, per image, 0 elsewhere', async () => {
  await initBackend();
  // Image 0 peaks at 0.8: threshold 0.5 keeps values >= 0.4. Image 1 peaks at 0.2: keeps >= 0.1.
  const t = tf.tensor3d([[[0.8, 0.4], [0.39, 0]], [[0.2, 0.1], [0.05, 0.09]]]);
  const m = binarizeTarget(t, 0.5);
  assert.deepEqual(m.arraySync(), [[[1, 1], [0, 0]], [[1, 1], [0, 0]]]);
  tf.dispose([t, m]);
});

test('ours trains with the masked target (finite loss, no leak), and the option is checked', async () => {
  await initBackend();
  assert.throws(() => createModel({ method: 'ours', backbone: 'tiny', numClasses: 2, inputSize: 32, tinyWidth: 4, loss: { fuseTargetThreshold: 1 } }), /loss\.fuseTargetThreshold must be in \[0, 1\), got 1/);
  const model = createModel({ method: 'ours', backbone: 'tiny', numClasses: 2, inputSize: 32, tinyWidth: 4, loss: { fuseTargetThreshold: 0.5, fuseConfidence: 0 } });
  const x = tf.randomNormal([2, 32, 32, 3], 0, 1, 'float32', 2) as tf.Tensor4D;
  const y = tf.tensor1d([0, 1], 'int32');
  const before = tf.memory().numTensors;
  const v = tf.tidy(() => model.loss(x, y, { seed: 1, step: 0 }).terms.fuse.dataSync()[0]);
  assert.equal(tf.memory().numTensors, before);
  assert.ok(Number.isFinite(v) && v > 0, `fuse ${v}`);
  tf.dispose([x, y]);
  model.net.dispose();
});
