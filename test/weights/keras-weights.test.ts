import assert from 'node:assert/strict';
import * as path from 'node:path';
import { test } from 'node:test';
import * as tf from '@tensorflow/tfjs-core';
import * as tfl from '@tensorflow/tfjs-layers';
import { initBackend } from '../../src/backend/select';
import { CAFFE_BGR_MEAN, loadH5wasm, loadKerasH5Weights } from '../../src/weights/keras-weights';
import { IMAGENET_MEAN, IMAGENET_STD } from '../../src/data/image-ops';
import { tempDir } from '../data/fixtures';

function model(conv2Filters = 2) {
  return tfl.sequential({
    layers: [
      tfl.layers.conv2d({ name: 'block1_conv1', inputShape: [6, 6, 3], filters: 4, kernelSize: 3, padding: 'same' }),
      tfl.layers.conv2d({ name: 'block1_conv2', filters: conv2Filters, kernelSize: 3, padding: 'same' }),
      tfl.layers.maxPooling2d({ name: 'block1_pool', poolSize: 2 }),
    ],
  });
}

const values = (n: number, seed: number) => Float32Array.from({ length: n }, (_, i) => Math.sin(i * 0.37 + seed) * 0.1);

/** Writes the Keras 2 layout directly with h5wasm (fixed-length names as h5py stores them). */
async function writeKerasFile(file: string, layers: { name: string; weights: [string, Float32Array, number[]][] }[]) {
  const h5 = await loadH5wasm();
  const f = new h5.File(file, 'w');
  f.create_attribute('layer_names', layers.map((l) => l.name), null, 'S20');
  for (const l of layers) {
    const g = f.create_group(l.name);
    if (l.weights.length) {
      g.create_attribute('weight_names', l.weights.map((w) => `${l.name}/${w[0]}`), null, 'S40');
      g.create_group(l.name);
      for (const [wn, data, shape] of l.weights) g.create_dataset({ name: `${l.name}/${wn}`, data, shape, dtype: '<f' });
    } else g.create_attribute('weight_names', new Float32Array(0), [0]);
  }
  f.close();
}

const K1 = values(3 * 3 * 3 * 4, 1);
const B1 = values(4, 2);
const K2 = values(3 * 3 * 4 * 2, 3);
const B2 = values(2, 4);
const LAYERS = [
  { name: 'input_1', weights: [] as [string, Float32Array, number[]][] },
  { name: 'block1_conv1', weights: [['kernel:0', K1, [3, 3, 3, 4]], ['bias:0', B1, [4]]] as [string, Float32Array, number[]][] },
  { name: 'block1_conv2', weights: [['kernel:0', K2, [3, 3, 4, 2]], ['bias:0', B2, [2]]] as [string, Float32Array, number[]][] },
  { name: 'block1_pool', weights: [] as [string, Float32Array, number[]][] },
];

test('loadKerasH5Weights: loads by layer name, as-is values equal the file', async () => {
  await initBackend('cpu');
  const file = path.join(tempDir('h5'), 'w.h5');
  await writeKerasFile(file, LAYERS);
  const m = model();
  const before = tf.memory().numTensors;
  const loaded = await loadKerasH5Weights(file, m, { input: 'as-is' });
  assert.deepEqual(loaded, ['block1_conv1', 'block1_conv2']);
  assert.equal(tf.memory().numTensors, before);
  const [k1, b1] = m.getLayer('block1_conv1').getWeights();
  assert.deepEqual(k1.dataSync(), K1);
  assert.deepEqual(b1.dataSync(), B1);
  assert.deepEqual(m.getLayer('block1_conv2').getWeights()[0].dataSync(), K2);
  m.dispose();
});

test('loadKerasH5Weights: the normalised-RGB first conv equals the caffe conv on caffe input (interior pixels)', async () => {
  await initBackend('cpu');
  const file = path.join(tempDir('h5'), 'w.h5');
  await writeKerasFile(file, LAYERS);
  const m = model();
  await loadKerasH5Weights(file, m);
  // An RGB image in 0..255; both input conventions computed by hand.
  const rgb = Float32Array.from({ length: 6 * 6 * 3 }, (_, i) => (i * 37) % 256);
  const norm = rgb.map((v, i) => (v / 255 - IMAGENET_MEAN[i % 3]) / IMAGENET_STD[i % 3]);
  const caffe = new Float32Array(rgb.length);
  for (let p = 0; p < 36; p++) for (let c = 0; c < 3; c++) caffe[p * 3 + c] = rgb[p * 3 + (2 - c)] - CAFFE_BGR_MEAN[c];
  const ours = tf.tidy(() => (m.getLayer('block1_conv1').apply(tf.tensor4d(norm, [1, 6, 6, 3])) as tf.Tensor).dataSync());
  const ref = tf.tidy(() => tf.add(tf.conv2d(tf.tensor4d(caffe, [1, 6, 6, 3]), tf.tensor4d(K1, [3, 3, 3, 4]), 1, 'same'), tf.tensor1d(B1)).dataSync());
  for (let y = 1; y < 5; y++) {
    for (let x = 1; x < 5; x++) {
      for (let o = 0; o < 4; o++) {
        const i = (y * 6 + x) * 4 + o;
        assert.ok(Math.abs(ours[i] - ref[i]) < 1e-3 * (1 + Math.abs(ref[i])), `(${x},${y},${o}): ${ours[i]} vs ${ref[i]}`);
      }
    }
  }
  m.dispose();
});

test('loadKerasH5Weights: missing layer, shape mismatch, not an HDF5 file', async () => {
  await initBackend('cpu');
  const dir = tempDir('h5bad');
  const file = path.join(dir, 'w.h5');
  await writeKerasFile(file, LAYERS);
  const small = tfl.sequential({ layers: [tfl.layers.conv2d({ name: 'block1_conv1', inputShape: [6, 6, 3], filters: 4, kernelSize: 3 })] });
  await assert.rejects(loadKerasH5Weights(file, small), /w\.h5: the model has no layer "block1_conv2"/);
  const wrong = model(5);
  await assert.rejects(loadKerasH5Weights(file, wrong), /shape mismatch for "block1_conv2\/block1_conv2\/kernel:0": file \[3, 3, 4, 2\], model \[3, 3, 4, 5\]/);
  await assert.rejects(loadKerasH5Weights(file, wrong, { layers: ['block9_conv1'] }), /has no layer "block9_conv1"/);
  const fs = await import('node:fs');
  fs.writeFileSync(path.join(dir, 'x.h5'), 'not hdf5');
  await assert.rejects(loadKerasH5Weights(path.join(dir, 'x.h5'), wrong), /x\.h5 is not a readable HDF5 file/);
  await assert.rejects(loadKerasH5Weights(path.join(dir, 'none.h5'), wrong), /weights file not found/);
  small.dispose();
  wrong.dispose();
});
