import { test } from 'node:test';
import assert from 'node:assert/strict';
import * as fs from 'fs';
import * as os from 'os';
import * as path from 'path';
import * as tf from '@tensorflow/tfjs-core';
import * as tfl from '@tensorflow/tfjs-layers';
import { initBackend } from '../../src/backend/select';
import { batches } from '../../src/data/batches';
import { partsDataset } from '../../src/data/parts-dataset';
import { buildBackbone } from '../../src/method/backbones';
import { ComplementaryModel } from '../../src/method/complementary-network';
import { createModel, METHODS, restoreModel, type ModelConfig } from '../../src/method/registry';
import { DEFAULT_OPTIMIZER, WsolOptimizer } from '../../src/train/optimizer';
import { fileSystemHandler } from '../../src/train/fs-io-handler';
import { trainableVariables, trainStep } from '../../src/train/train-step';

const small = (method: string): ModelConfig => ({ method, backbone: 'tiny', numClasses: 3, inputSize: 32, tinyWidth: 4, headWidth: 8 });

test('gradients of the total loss reach every trainable weight of ours (with gamma != 0)', async () => {
  await initBackend();
  const model = createModel(small('ours')) as ComplementaryModel;
  // gamma starts at 0, which zeroes the gradients of Wq, Wk, Wv: start it elsewhere for this check.
  const gamma = model.ssam!.weights.find((w) => w.name.includes('gamma'))!;
  tf.tidy(() => { gamma.write(tf.tensor1d([0.5])); });
  // CAAM's bottleneck has only 2C/16 = 2 ReLU units here; with a random init both can be dead for
  // the whole batch (zero gradient by design). z = GAP(ReLU features) >= 0, so |W1| keeps them alive.
  const w1 = model.caam!.weights.find((w) => w.name.endsWith('w1'))!;
  tf.tidy(() => { w1.write(tf.abs(w1.read())); });
  const images = tf.randomNormal([4, 32, 32, 3]) as tf.Tensor4D;
  const labels = tf.tensor1d([0, 1, 2, 0], 'int32');
  const { value, grads } = tf.variableGrads(() => model.loss(images, labels, { step: 0, seed: 1 }).total, trainableVariables(model));
  for (const v of trainableVariables(model)) {
    const g = grads[v.name];
    assert.ok(g, `gradient for ${v.name}`);
    assert.ok(tf.tidy(() => tf.max(tf.abs(g)).dataSync()[0]) > 0, `non-zero gradient for ${v.name}`);
  }
  tf.dispose([images, labels, value, ...Object.values(grads)]);
  model.net.dispose();
});

test('every method trains a step without leaking tensors, and reloads with identical outputs', async () => {
  await initBackend();
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'wsol-net-'));
  const images = tf.randomNormal([2, 32, 32, 3]) as tf.Tensor4D;
  for (const method of Object.keys(METHODS)) {
    const model = createModel(small(method));
    const opt = new WsolOptimizer(DEFAULT_OPTIMIZER);
    trainStep(model, opt, images, Int32Array.from([0, 2]), { step: 0, seed: 1 }, 1e-3); // creates the optimizer slots
    const before = tf.memory().numTensors;
    const r = trainStep(model, opt, images, Int32Array.from([0, 2]), { step: 1, seed: 1 }, 1e-3);
    assert.ok(Number.isFinite(r.loss), `${method} loss`);
    assert.equal(tf.memory().numTensors, before, `${method}: no tensor leak across a training step`);
    const sub = path.join(dir, method);
    await model.net.save(fileSystemHandler(sub));
    const again = restoreModel(small(method), await tfl.loadLayersModel(fileSystemHandler(sub)));
    const [p1, p2] = [model.predict(images), again.predict(images)];
    assert.deepEqual(Array.from(p1.logits.dataSync()), Array.from(p2.logits.dataSync()), `${method} logits`);
    assert.deepEqual(Array.from(p1.cams.dataSync()), Array.from(p2.cams.dataSync()), `${method} cams`);
    assert.deepEqual(p1.cams.shape, [2, 8, 8, 3]);
    tf.dispose([p1.logits, p1.cams, p2.logits, p2.cams]);
    opt.dispose();
    model.net.dispose();
    again.net.dispose();
  }
  images.dispose();
});

test('on parts (a small class part on a larger body) the loss of ours falls on a fixed batch', async () => {
  await initBackend();
  const ds = partsDataset({ sizes: { train: 16, val: 0, test: 0 }, numClasses: 4 });
  const it = batches(ds, 'train', { batchSize: 16, imageSize: 64, augment: false, shuffle: false, seed: 1, epoch: 0 });
  const batch = (await it.next()).value!;
  const model = createModel({ method: 'ours', backbone: 'tiny', numClasses: 4, inputSize: 64, tinyWidth: 8, headWidth: 16 });
  const opt = new WsolOptimizer({ ...DEFAULT_OPTIMIZER, learningRate: 3e-3 });
  const losses: number[] = [];
  for (let step = 0; step < 24; step++) losses.push(trainStep(model, opt, batch.images, batch.labels, { step, seed: 1 }, 3e-3).loss);
  const first = (losses[0] + losses[1]) / 2;
  const last = (losses[22] + losses[23]) / 2;
  console.log(`ours on a fixed parts batch: loss ${losses.map((l) => l.toFixed(3)).join(' ')}`);
  assert.ok(last < 0.8 * first, `loss fell from ${first} to ${last}`);
  batch.images.dispose();
  opt.dispose();
  model.net.dispose();
});

test('vgg16 backbone: Keras layer names, conv5 without its pool (224 -> 14x14x512); tiny: 64 -> 16x16', () => {
  const vgg = buildBackbone({ name: 'vgg16', tinyWidth: 8, headWidth: 1024 }, 224);
  const convs = vgg.layers.filter((l) => l.getClassName() === 'Conv2D').map((l) => l.name);
  const expected = [2, 2, 3, 3, 3].flatMap((n, b) => Array.from({ length: n }, (_, i) => `block${b + 1}_conv${i + 1}`));
  assert.deepEqual(convs, expected);
  assert.deepEqual(vgg.outputs[0].shape, [null, 14, 14, 512]);
  assert.ok(!vgg.layers.some((l) => l.name === 'block5_pool'));
  assert.equal(vgg.countParams(), 14714688, 'the Keras VGG16 notop parameter count');
  vgg.dispose();
  const tiny = buildBackbone({ name: 'tiny', tinyWidth: 8, headWidth: 32 }, 64);
  assert.deepEqual(tiny.outputs[0].shape, [null, 16, 16, 32]);
  tiny.dispose();
});

test('inference of ours: eager path equals the saved container run on [x, x]', async () => {
  await initBackend();
  const model = createModel(small('ours')) as ComplementaryModel;
  const gamma = model.ssam!.weights.find((w) => w.name.includes('gamma'))!;
  tf.tidy(() => { gamma.write(tf.tensor1d([0.3])); }); // exercise SSAM too
  const x = tf.randomNormal([2, 32, 32, 3]) as tf.Tensor4D;
  const p = model.predict(x);
  const [sa, sb] = model.net.predict([x, x]) as tf.Tensor4D[];
  const expectedLogits = tf.div(tf.add(tf.mean(sa, [1, 2]), tf.mean(sb, [1, 2])), 2);
  // Independent min-max: per image and class over the h*w positions, in plain JS.
  const norm = (t: tf.Tensor4D) => {
    const [n, h, w, k] = t.shape;
    const d = t.dataSync();
    const out = new Float32Array(d.length);
    for (let i = 0; i < n; i++) for (let c = 0; c < k; c++) {
      const idx = (p: number) => ((i * h * w + p) * k + c);
      let lo = Infinity, hi = -Infinity;
      for (let q = 0; q < h * w; q++) { const v = Math.max(0, d[idx(q)]); lo = Math.min(lo, v); hi = Math.max(hi, v); }
      for (let q = 0; q < h * w; q++) out[idx(q)] = (Math.max(0, d[idx(q)]) - lo) / Math.max(hi - lo, 1e-6);
    }
    return out;
  };
  const [na, nb] = [norm(sa), norm(sb)];
  const cams = p.cams.dataSync();
  for (let i = 0; i < cams.length; i++) assert.ok(Math.abs(cams[i] - Math.max(na[i], nb[i])) < 1e-5, `cams[${i}]`);
  const ld = p.logits.dataSync();
  expectedLogits.dataSync().forEach((v, i) => assert.ok(Math.abs(v - ld[i]) < 1e-5, `logits[${i}]`));
  tf.dispose([x, p.logits, p.cams, sa, sb, expectedLogits]);
  model.net.dispose();
});

test('bad model configs name the method, option or field', () => {
  assert.throws(() => createModel(small('nope')), /unknown method "nope"; known: ours/);
  assert.throws(() => createModel({ ...small('cam'), tinyWdth: 4 } as ModelConfig), /unknown option "tinyWdth"/);
  assert.throws(() => createModel({ ...small('ours'), loss: { lambdaFus: 1 } } as unknown as ModelConfig), /unknown option loss.lambdaFus/);
  assert.throws(() => createModel({ ...small('ours'), dropout: { keepProbability: 0 } }), /dropout.keepProbability must be in \(0, 1\)/);
  assert.throws(() => createModel({ ...small('acol'), acolThreshold: 1.2 }), /acolThreshold must be in \(0, 1\)/);
  assert.throws(() => createModel({ ...small('cam'), inputSize: 30 }), /inputSize 30 must be a multiple of 4/);
  assert.throws(() => createModel({ ...small('ours'), attention: { caamReduction: 0 } }), /attention.caamReduction must be a positive integer, got 0/);
});
