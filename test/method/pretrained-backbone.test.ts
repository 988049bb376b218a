import { test } from 'node:test';
import assert from 'node:assert/strict';
import * as fs from 'fs';
import * as os from 'os';
import * as path from 'path';
import * as tf from '@tensorflow/tfjs-core';
import type * as tfl from '@tensorflow/tfjs-layers';
import { initBackend } from '../../src/backend/select';
import { loadBackboneWeights, readBackboneWeights, saveBackboneWeights, SHIPPED_BACKBONE } from '../../src/weights/pretrained-backbone';
import { createModel } from '../../src/method/registry';
import { fashionPretrainDataset, PRETRAIN_SOURCE_ITEMS } from '../../src/data/fashion-clutter';
import { DEFAULT_TRAIN_CONFIG, resolveTrainConfig } from '../../src/train/config';
import { tinyBackboneManifest } from '../../src/train/start-model';

const backboneOf = (m: { net: tfl.LayersModel }) => m.net.getLayer('backbone') as unknown as tfl.LayersModel;
const values = (b: tfl.LayersModel) => b.weights.map((w) => Array.from(w.read().dataSync()));

test('backbone weights written by one model load into another, batch-norm statistics included, for every method', async () => {
  await initBackend();
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'wsol-bb-'));
  const source = createModel({ method: 'cam', backbone: 'tiny', numClasses: 3, inputSize: 32, tinyWidth: 4 });
  // Distinct values everywhere, moving statistics too, so a swapped or skipped tensor shows.
  tf.tidy(() => backboneOf(source).weights.forEach((w, i) => w.write(tf.add(tf.mul(tf.randomUniform(w.shape as number[], -1, 1, 'float32', 7 + i), 0.5), i % 3 === 2 ? 2 : 0))));
  const manifest = saveBackboneWeights(backboneOf(source), path.join(dir, 'w'), 4, { test: true });
  assert.equal(manifest.weights.length, backboneOf(source).weights.length);
  assert.ok(manifest.weights.some((e) => e.name.endsWith('/moving_variance')));
  const expected = values(backboneOf(source));
  for (const method of ['ours', 'adl', 'acol', 'has', 'cutmix']) {
    const target = createModel({ method, backbone: 'tiny', numClasses: 5, inputSize: 48, tinyWidth: 4 });
    const before = tf.memory().numTensors;
    assert.equal(loadBackboneWeights(backboneOf(target), path.join(dir, 'w.json'), 4), expected.length);
    assert.equal(tf.memory().numTensors, before, `${method}: no tensor leaked by loading`);
    assert.deepEqual(values(backboneOf(target)), expected, method);
    target.net.dispose();
  }
  source.net.dispose();
});

test('a weights file that was changed, cut short, or made for another width is refused with its name', async () => {
  await initBackend();
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'wsol-bb-'));
  const m = createModel({ method: 'cam', backbone: 'tiny', numClasses: 2, inputSize: 32, tinyWidth: 4 });
  saveBackboneWeights(backboneOf(m), path.join(dir, 'w'), 4, {});
  const bin = path.join(dir, 'w.bin');
  const bytes = fs.readFileSync(bin);
  assert.throws(() => loadBackboneWeights(backboneOf(m), path.join(dir, 'w.json'), 8), /tinyWidth 4.*tinyWidth 8/);
  const flipped = Buffer.from(bytes);
  flipped[10] ^= 1;
  fs.writeFileSync(bin, flipped);
  assert.throws(() => readBackboneWeights(path.join(dir, 'w.json')), /w\.bin: SHA-256/);
  fs.writeFileSync(bin, bytes.subarray(0, bytes.length - 4));
  assert.throws(() => readBackboneWeights(path.join(dir, 'w.json')), /w\.bin: \d+ bytes, the manifest says/);
  m.net.dispose();
});

test('the shipped weights load into the default tiny backbone and are the default start of every method', async () => {
  await initBackend();
  const { manifest } = readBackboneWeights(SHIPPED_BACKBONE);
  assert.equal(manifest.tinyWidth, 16);
  assert.ok(manifest.bytes < 4 * 1024 * 1024, `${manifest.bytes} bytes`);
  assert.equal(DEFAULT_TRAIN_CONFIG.backboneInit, 'auto');
  assert.equal(tinyBackboneManifest(resolveTrainConfig({})), SHIPPED_BACKBONE, 'the default width gets the shipped weights');
  assert.equal(tinyBackboneManifest(resolveTrainConfig({}), 4), null, 'another width starts from scratch under auto');
  assert.equal(tinyBackboneManifest(resolveTrainConfig({ backboneInit: 'pretrained' }), 4), SHIPPED_BACKBONE, 'pretrained asks for them anyway (and loading names the mismatch)');
  assert.equal(tinyBackboneManifest(resolveTrainConfig({ backboneInit: 'scratch' })), null);
  assert.equal(tinyBackboneManifest(resolveTrainConfig({ backbone: 'vgg16' })), null);
  const m = createModel({ method: 'ours', backbone: 'tiny', numClasses: 10, inputSize: 64 });
  loadBackboneWeights(backboneOf(m), SHIPPED_BACKBONE, 16);
  const conv = backboneOf(m).getLayer('block1_conv1').getWeights()[0].dataSync();
  const { values: raw } = readBackboneWeights(SHIPPED_BACKBONE);
  const entry = manifest.weights.find((e) => e.name === 'block1_conv1/kernel')!;
  assert.deepEqual(Array.from(conv), Array.from(raw.subarray(entry.offset, entry.offset + conv.length)));
  m.net.dispose();
});

test('pretraining canvases use only Fashion-MNIST train items below 50,000, for objects and clutter', () => {
  const ds = fashionPretrainDataset({ seed: 1, count: 40, valCount: 8, imageSize: 32 });
  assert.equal(PRETRAIN_SOURCE_ITEMS, 50_000);
  assert.equal(ds.items('train').length, 40);
  assert.equal(ds.items('val').length, 8);
  assert.equal(ds.items('test').length, 0);
  // The val canvases show other items than the train ones (labels come from the restricted pool).
  assert.throws(() => fashionPretrainDataset({ seed: 1, count: 41_000, valCount: 1_000 }), /exceed the 41666 object items/);
});
