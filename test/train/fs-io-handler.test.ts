import { test } from 'node:test';
import assert from 'node:assert/strict';
import * as fs from 'fs';
import * as os from 'os';
import * as path from 'path';
import * as tf from '@tensorflow/tfjs-core';
import * as tfl from '@tensorflow/tfjs-layers';
import { initBackend } from '../../src/backend/select';
import { fileSystemHandler, loadNamedTensors, saveNamedTensors } from '../../src/train/fs-io-handler';

test('a layers model saved as model.json + weights.bin reloads with identical outputs', async () => {
  await initBackend();
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'wsol-io-'));
  const model = tfl.sequential({ layers: [tfl.layers.dense({ inputShape: [3], units: 2, activation: 'relu' }), tfl.layers.dense({ units: 1 })] });
  await model.save(fileSystemHandler(dir));
  const json = JSON.parse(fs.readFileSync(path.join(dir, 'model.json'), 'utf8'));
  assert.equal(json.weightsManifest[0].paths[0], './weights.bin');
  assert.equal(fs.statSync(path.join(dir, 'weights.bin')).size, (3 * 2 + 2 + 2 * 1 + 1) * 4);
  assert.deepEqual(fs.readdirSync(dir).sort(), ['model.json', 'weights.bin'], 'no temp files are left');
  const loaded = await tfl.loadLayersModel(fileSystemHandler(dir));
  const x = tf.tensor2d([[0.5, -1, 2]]);
  const a = model.predict(x) as tf.Tensor;
  const b = loaded.predict(x) as tf.Tensor;
  assert.deepEqual(Array.from(a.dataSync()), Array.from(b.dataSync()));
  tf.dispose([x, a, b]);
  model.dispose();
  loaded.dispose();
});

test('named tensors round-trip; a missing weights file is a clear error', async () => {
  await initBackend();
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'wsol-io-'));
  const t = { 'a::0': tf.tensor2d([[1, 2], [3, 4]]), b: tf.tensor1d([7]) };
  await saveNamedTensors(dir, 'slots', t);
  const back = loadNamedTensors(dir, 'slots');
  assert.deepEqual(Array.from(back['a::0'].dataSync()), [1, 2, 3, 4]);
  assert.deepEqual(back['a::0'].shape, [2, 2]);
  tf.dispose([...Object.values(t), ...Object.values(back)]);
  const m = tfl.sequential({ layers: [tfl.layers.dense({ inputShape: [1], units: 1 })] });
  await m.save(fileSystemHandler(dir));
  fs.unlinkSync(path.join(dir, 'weights.bin'));
  await assert.rejects(tfl.loadLayersModel(fileSystemHandler(dir)), /refers to missing weights file .*weights.bin/);
  m.dispose();
});
