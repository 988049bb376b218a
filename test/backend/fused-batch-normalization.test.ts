/**
 * The BatchNormalization layer with the fused training pass against the stock tfjs-layers layer:
 * same outputs, gradients and moving averages in training, same inference, same saved config.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import * as tf from '@tensorflow/tfjs-core';
import * as tfl from '@tensorflow/tfjs-layers';
import { initBackend } from '../../src/backend/select';
import { FusedBatchNormalization, fusedBatchNormalization } from '../../src/backend/fused-batch-normalization';
import { FUSED_KERNELS, hasFusedKernel } from '../../src/backend/fused-ops';
import { random, relError } from '../helpers/numeric';

function net(fused: boolean): tfl.Sequential {
  const m = tfl.sequential();
  m.add(tfl.layers.conv2d({ inputShape: [10, 10, 3], filters: 12, kernelSize: 3, padding: 'same', useBias: false, kernelInitializer: 'ones' }));
  const bn = { momentum: 0.9, epsilon: 1e-3, gammaInitializer: 'ones' as const };
  m.add(fused ? fusedBatchNormalization(bn) : tfl.layers.batchNormalization(bn));
  m.add(tfl.layers.activation({ activation: 'relu' }));
  return m;
}

/** Two training passes (gradients of sum(y * w)) and one inference pass of each net, same weights. */
function compare(): void {
  const stock = net(false);
  const fused = net(true);
  const start = stock.getWeights().map((w, i) => tf.tensor(random(w.shape, 50 + i, 0.5), w.shape));
  fused.setWeights(start);
  tf.dispose(start);
  stock.setWeights(fused.getWeights());
  const x = tf.tensor4d(random([3, 10, 10, 3], 1, 3), [3, 10, 10, 3]);
  const w = tf.tensor4d(random([3, 10, 10, 12], 2), [3, 10, 10, 12]);
  for (let pass = 0; pass < 2; pass++) {
    const run = (m: tfl.Sequential) =>
      tf.variableGrads(() => tf.sum(tf.mul(m.apply(x, { training: true }) as tf.Tensor, w)) as tf.Scalar, m.trainableWeights.map((v) => v.read() as tf.Variable));
    const a = run(stock);
    const b = run(fused);
    assert.ok(Math.abs(a.value.dataSync()[0] - b.value.dataSync()[0]) <= 1e-5 * Math.abs(a.value.dataSync()[0]) + 1e-5, 'loss');
    stock.trainableWeights.forEach((v, i) => {
      const name = (fused.trainableWeights[i].read() as tf.Variable).name;
      assert.ok(relError(b.grads[name].dataSync(), a.grads[(v.read() as tf.Variable).name].dataSync()) < 1e-5, `gradient of ${v.name}`);
    });
    tf.dispose([a.value, b.value, ...Object.values(a.grads), ...Object.values(b.grads)]);
  }
  // The moving averages moved the same way, so inference agrees too.
  stock.getWeights().forEach((t, i) => assert.ok(relError(fused.getWeights()[i].dataSync(), t.dataSync()) < 1e-5, `weight ${i}`));
  const yi = [stock, fused].map((m) => m.predict(x) as tf.Tensor);
  assert.ok(relError(yi[1].dataSync(), yi[0].dataSync()) < 1e-5, 'inference');
  tf.dispose([x, w, ...yi]);
  stock.dispose();
  fused.dispose();
}

test('fused batch norm trains like the stock layer on the reference ops (cpu)', async () => {
  await initBackend('cpu');
  assert.ok(!hasFusedKernel(FUSED_KERNELS.batchNormTrain));
  const before = tf.memory().numTensors;
  compare();
  assert.equal(tf.memory().numTensors, before, 'no tensor leak');
});

test('fused batch norm trains like the stock layer on the native kernels', async (t) => {
  await initBackend('wasm');
  if (!hasFusedKernel(FUSED_KERNELS.batchNormTrain)) {
    t.skip('no native fused kernels (addon not built)');
    return;
  }
  const before = tf.memory().numTensors;
  compare();
  assert.equal(tf.memory().numTensors, before, 'no tensor leak');
});

test('a saved model names the stock class and loads back with the fused training pass', async () => {
  await initBackend('cpu');
  const m = net(true);
  const json = m.toJSON(null, false) as unknown as { config: { layers: { class_name: string }[] } };
  assert.equal(json.config.layers[1].class_name, 'BatchNormalization');
  const loaded = (await tfl.models.modelFromJSON({ modelTopology: json } as unknown as Parameters<typeof tfl.models.modelFromJSON>[0])) as tfl.LayersModel;
  assert.ok(loaded.layers[1] instanceof FusedBatchNormalization);
  m.dispose();
  loaded.dispose();
});
