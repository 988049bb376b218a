import { test } from 'node:test';
import assert from 'node:assert/strict';
import { createHash } from 'crypto';
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

test('a truncated or altered weights.bin is an error that names the file', async () => {
  await initBackend();
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'wsol-io-'));
  const m = tfl.sequential({ layers: [tfl.layers.dense({ inputShape: [4], units: 3 })] });
  await m.save(fileSystemHandler(dir));
  const file = path.join(dir, 'weights.bin');
  const good = fs.readFileSync(file);
  const json = JSON.parse(fs.readFileSync(path.join(dir, 'model.json'), 'utf8'));
  assert.equal(json.weightsIntegrity.bytes, (4 * 3 + 3) * 4);
  assert.equal(json.weightsIntegrity.sha256, createHash('sha256').update(good).digest('hex'));

  fs.writeFileSync(file, good.subarray(0, 20));
  await assert.rejects(tfl.loadLayersModel(fileSystemHandler(dir)), (e: Error) => e.message.includes(`${file} is truncated: 20 bytes`) && e.message.includes('model.json'));

  const flipped = Buffer.from(good);
  flipped[5] ^= 0xff; // same size, other bytes (random bytes or a NaN written over a weight)
  fs.writeFileSync(file, flipped);
  await assert.rejects(tfl.loadLayersModel(fileSystemHandler(dir)), (e: Error) => e.message.startsWith(`${file} is corrupt: its SHA-256`));

  // Without the integrity record (older runs) the size still comes from the weight specs.
  delete json.weightsIntegrity;
  fs.writeFileSync(path.join(dir, 'model.json'), JSON.stringify(json));
  fs.writeFileSync(file, good.subarray(0, 8));
  await assert.rejects(tfl.loadLayersModel(fileSystemHandler(dir)), new RegExp(`${file.replace(/[/.]/g, '\\$&')} is truncated: 8 bytes, .*describes 60`));
  m.dispose();
});

test('truncated named tensors (optimizer slots) name the file', async () => {
  await initBackend();
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'wsol-io-'));
  const t = { a: tf.tensor1d([1, 2, 3]) };
  await saveNamedTensors(dir, 'slots', t);
  t.a.dispose();
  const bin = path.join(dir, 'slots.bin');
  fs.writeFileSync(bin, fs.readFileSync(bin).subarray(0, 5));
  assert.throws(() => loadNamedTensors(dir, 'slots'), (e: Error) => e.message === `${bin} is truncated: 5 bytes, ${path.join(dir, 'slots.json')} describes 12`);
});
