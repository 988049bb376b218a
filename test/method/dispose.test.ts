import { test } from 'node:test';
import assert from 'node:assert/strict';
import * as tf from '@tensorflow/tfjs-core';
import { initBackend } from '../../src/backend/select';
import { METHODS, createModel } from '../../src/method/registry';

test('disposing any method\'s net frees every weight (shared backbone and SSAM included)', async () => {
  await initBackend();
  for (const method of Object.keys(METHODS)) {
    const before = tf.memory().numTensors;
    const model = createModel({ method, backbone: 'tiny', numClasses: 3, inputSize: 32, tinyWidth: 4 });
    assert.ok(tf.memory().numTensors > before, `${method} holds weights`);
    model.net.dispose();
    assert.equal(tf.memory().numTensors, before, `${method}: net.dispose() leaves no tensor`);
  }
});
