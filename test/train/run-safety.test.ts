/**
 * Nothing broken is saved or reported as success: divergence, corrupt checkpoints, foreign or busy
 * output folders, resume without a checkpoint, progress beyond the end.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { createHash } from 'node:crypto';
import * as fs from 'fs';
import * as os from 'os';
import * as path from 'path';
import * as tf from '@tensorflow/tfjs-core';
import { initBackend } from '../../src/backend/select';
import { partsDataset } from '../../src/data/parts-dataset';
import { writeImage } from '../data/fixtures';
import type { TrainConfig } from '../../src/train/config';
import { train, TrainingDivergedError, TrainingSession } from '../../src/train/trainer';

const cam: Partial<TrainConfig> = {
  method: 'cam',
  epochs: 2,
  imageSize: 32,
  batchSize: 8,
  seed: 7,
  methodOptions: { tinyWidth: 4, headWidth: 8 },
  backboneInit: 'scratch',
  probes: 1,
  evalLimit: 8,
};
const data = () => partsDataset({ imageSize: 32, sizes: { train: 32, val: 8, test: 8 } });
const tmp = (tag: string) => fs.mkdtempSync(path.join(os.tmpdir(), `wsol-${tag}-`));

/** A run stopped after 2 of its 8 steps: a mid-epoch checkpoint, no final model. */
async function stoppedRun(): Promise<{ out: string; ckpt: string }> {
  const out = tmp('stopped');
  let steps = 0;
  const r = await train(cam, { outDir: out, dataset: data(), callbacks: { onStep: () => steps++ }, shouldStop: () => steps >= 2 });
  r.model.net.dispose();
  assert.ok(r.stopped);
  const ckpt = path.join(out, 'checkpoints', JSON.parse(fs.readFileSync(path.join(out, 'checkpoints', 'latest.json'), 'utf8')).dir);
  return { out, ckpt };
}

test('an exploding loss (SGD at lr 1e6) stops with an error naming the last good checkpoint; no model is saved', async () => {
  await initBackend();
  const out = tmp('explode');
  await assert.rejects(
    train({ ...cam, optimizer: { name: 'sgd', learningRate: 1e6 } as TrainConfig['optimizer'] }, { outDir: out, dataset: data() }),
    (err: Error) =>
      err instanceof TrainingDivergedError &&
      /training diverged: (loss .* is more than 1e\+6 times the first loss|loss is (NaN|Infinity)|the weights hold \d+ NaN or infinite values)/.test(err.message) &&
      /(Last good checkpoint: .*ckpt-|No checkpoint was saved yet)/.test(err.message),
  );
  assert.ok(!fs.existsSync(path.join(out, 'model')), 'no final model');
  assert.ok(!fs.existsSync(path.join(out, 'metrics.json')), 'no metrics');
  assert.ok(!fs.existsSync(path.join(out, 'train.lock')), 'the lock is released');
});

test('resuming from a corrupt checkpoint fails, naming the file: altered bytes, NaN weights, truncation', async () => {
  await initBackend();
  const { out, ckpt } = await stoppedRun();
  const weights = path.join(ckpt, 'weights.bin');
  const modelJson = path.join(ckpt, 'model.json');
  const good = fs.readFileSync(weights);
  const goodJson = fs.readFileSync(modelJson, 'utf8');
  const resume = () => train(cam, { outDir: out, dataset: data(), resume: true });

  const random = Buffer.from(good);
  for (let i = 0; i < random.length; i += 97) random[i] ^= 0x5a;
  fs.writeFileSync(weights, random);
  await assert.rejects(resume(), (e: Error) => e.message.startsWith(`${weights} is corrupt: its SHA-256`));

  // NaN written into a weight, with a digest that matches (as an older version would have saved it).
  const nan = Buffer.from(good);
  nan.writeFloatLE(NaN, 0);
  nan.writeFloatLE(Infinity, 4);
  fs.writeFileSync(weights, nan);
  const json = JSON.parse(goodJson);
  json.weightsIntegrity.sha256 = createHash('sha256').update(nan).digest('hex');
  fs.writeFileSync(modelJson, JSON.stringify(json));
  await assert.rejects(resume(), (e: Error) => e.message.startsWith(`${weights} holds 2 NaN or infinite values (first in `));

  fs.writeFileSync(modelJson, goodJson);
  fs.writeFileSync(weights, good.subarray(0, 100));
  await assert.rejects(resume(), (e: Error) => e.message.startsWith(`${weights} is truncated: 100 bytes`));

  fs.writeFileSync(weights, good);
  const r = await resume();
  assert.equal(r.history.length, 2, 'the intact checkpoint resumes');
  r.model.net.dispose();
});

test('a state.json step beyond the end, or resume without a checkpoint, is an error', async () => {
  await initBackend();
  const { out, ckpt } = await stoppedRun();
  const stateFile = path.join(ckpt, 'state.json');
  const state = JSON.parse(fs.readFileSync(stateFile, 'utf8'));
  fs.writeFileSync(stateFile, JSON.stringify({ ...state, step: 10000 }));
  await assert.rejects(train(cam, { outDir: out, dataset: data(), resume: true }), (e: Error) =>
    e.message.startsWith(`${stateFile}: step 10000 does not fit 0 finished epochs of 4 steps (expected 0..4)`),
  );
  fs.writeFileSync(stateFile, JSON.stringify({ ...state, epochsDone: 7, history: [] }));
  await assert.rejects(train(cam, { outDir: out, dataset: data(), resume: true }), /history must list one record per finished epoch/);

  await assert.rejects(train(cam, { outDir: tmp('empty'), dataset: data(), resume: true }), /--resume: .* holds no run to resume; start a new run without --resume/);
  const fresh = await train({ ...cam, epochs: 1 }, { outDir: tmp('ifpresent'), dataset: data(), resume: 'if-present' });
  assert.equal(fresh.history.length, 1, "'if-present' starts a run when there is none");
  fresh.model.net.dispose();
});

test('--out: a foreign non-empty folder, a file, or /proc is refused before any data is read', async () => {
  await initBackend();
  const user = tmp('user');
  fs.writeFileSync(path.join(user, 'config.json'), '{"lr": 0.1}\n');
  fs.writeFileSync(path.join(user, 'metrics.json'), '{"acc": 99}\n');
  fs.mkdirSync(path.join(user, 'model'));
  fs.writeFileSync(path.join(user, 'model', 'weights.bin'), 'mine');
  let opened = 0;
  const counting = () => {
    opened++;
    return data();
  };
  await assert.rejects(train(cam, { outDir: user, dataset: counting() }), /is not empty and is not a wsol run folder/);
  assert.equal(fs.readFileSync(path.join(user, 'config.json'), 'utf8'), '{"lr": 0.1}\n', 'untouched');
  assert.equal(fs.readFileSync(path.join(user, 'model', 'weights.bin'), 'utf8'), 'mine');
  assert.deepEqual(fs.readdirSync(user).sort(), ['config.json', 'metrics.json', 'model']);
  const file = path.join(user, 'metrics.json');
  await assert.rejects(train(cam, { outDir: file }), /metrics\.json exists and is not a folder/);
  if (fs.existsSync('/proc/self')) {
    const t0 = Date.now();
    await assert.rejects(train(cam, { outDir: '/proc/wsol-x' }), /cannot create folder \/proc\/wsol-x/);
    assert.ok(Date.now() - t0 < 5000);
  }
  assert.equal(opened, 1);
});

test('a run folder is locked while it trains; a stale lock (dead process) is taken over', async () => {
  await initBackend();
  const out = tmp('lock');
  // Two trainings on one folder: the second is refused while the first runs (it locks before its first await).
  const first = train({ ...cam, epochs: 1 }, { outDir: out, dataset: data() });
  await assert.rejects(train({ ...cam, seed: 9 }, { outDir: out, dataset: data() }), new RegExp(`is in use by training process ${process.pid}`));
  const r = await first;
  r.model.net.dispose();
  assert.equal(JSON.parse(fs.readFileSync(path.join(out, 'config.json'), 'utf8')).train.seed, 7, 'config.json is the first run\'s');
  assert.ok(!fs.existsSync(path.join(out, 'train.lock')));

  const stale = tmp('stale');
  const dead = spawnSync(process.execPath, ['-e', '0']).pid!;
  fs.writeFileSync(path.join(stale, 'train.lock'), JSON.stringify({ pid: dead, host: os.hostname(), startedAt: 'earlier' }));
  const logs: string[] = [];
  const s = await train({ ...cam, epochs: 1 }, { outDir: stale, dataset: data(), callbacks: { onLog: (l) => logs.push(l) } });
  s.model.net.dispose();
  assert.ok(logs.some((l) => l.startsWith('removed the stale lock')), logs.join('\n'));
});

test('a TrainingSession driven step by step gives the same weights as train(), without leaking tensors', async () => {
  await initBackend();
  const a = tmp('whole');
  const whole = await train({ ...cam, epochs: 1 }, { outDir: a, dataset: data() });
  whole.model.net.dispose();

  const before = tf.memory().numTensors;
  const b = tmp('steps');
  const s = await TrainingSession.open({ ...cam, epochs: 1 }, { outDir: b, dataset: data() });
  const losses: number[] = [];
  try {
    for (let info = await s.step(); info; info = await s.step()) losses.push(info.loss);
    assert.equal(losses.length, s.stepsPerEpoch);
    assert.equal(await s.step(), null, 'no batch left in the epoch');
    const rec = await s.finishEpoch();
    assert.equal(rec.epoch, 1);
    assert.ok(s.done);
    await s.finish();
  } finally {
    s.close();
    s.model.net.dispose();
  }
  assert.equal(tf.memory().numTensors, before);
  assert.ok(fs.readFileSync(path.join(a, 'model', 'weights.bin')).equals(fs.readFileSync(path.join(b, 'model', 'weights.bin'))));
  assert.deepEqual(JSON.parse(fs.readFileSync(path.join(a, 'metrics.json'), 'utf8')), JSON.parse(fs.readFileSync(path.join(b, 'metrics.json'), 'utf8')));
});

test('--skip-bad: training skips a missing and a truncated image, warns once for each, and counts them', async () => {
  await initBackend();
  const root = tmp('skipbad');
  const images = path.join(root, 'images');
  const ids = Array.from({ length: 8 }, (_, i) => `t/${i}.jpg`);
  for (const [i, id] of ids.entries()) await writeImage(path.join(images, id), 24, 24, i, 'jpeg');
  await writeImage(path.join(images, 'v/0.png'), 24, 24, 20);
  await writeImage(path.join(images, 'v/1.png'), 24, 24, 21);
  const meta = path.join(root, 'meta');
  const files: Record<string, string> = {
    'train/image_ids.txt': ids.join('\n'),
    'train/class_labels.txt': ids.map((id, i) => `${id},${i % 2}`).join('\n'),
    // With sizes given, headers are not read at open: the truncated file is found when decoded.
    'train/image_sizes.txt': ids.map((id) => `${id},24,24`).join('\n'),
    'val/image_ids.txt': 'v/0.png\nv/1.png\n',
    'val/class_labels.txt': 'v/0.png,0\nv/1.png,1\n',
    'val/localization.txt': 'v/0.png,2,2,20,20\nv/1.png,0,0,10,23\n',
  };
  for (const [f, text] of Object.entries(files)) {
    fs.mkdirSync(path.dirname(path.join(meta, f)), { recursive: true });
    fs.writeFileSync(path.join(meta, f), text);
  }
  fs.rmSync(path.join(images, 't/3.jpg'));
  const jpg = path.join(images, 't/5.jpg');
  fs.writeFileSync(jpg, fs.readFileSync(jpg).subarray(0, 300)); // header intact, scan data cut
  const spec = `folder:${meta},${images}`;
  const config = { ...cam, dataset: spec, imageSize: 16, batchSize: 4, evalLimit: 0 };
  await assert.rejects(train(config, { outDir: tmp('strict') }), /image file not found: .*t\/3\.jpg/);
  const logs: string[] = [];
  const r = await train(config, { outDir: tmp('lenient'), skipBad: true, callbacks: { onLog: (l) => logs.push(l) } });
  r.model.net.dispose();
  assert.equal(r.history.length, 2);
  assert.equal(r.skippedImages, 2);
  const warnings = logs.filter((l) => l.startsWith('warning:'));
  assert.equal(warnings.length, 2, warnings.join('\n'));
  assert.ok(warnings.some((w) => /skipping "t\/3\.jpg": image file not found/.test(w)));
  assert.ok(warnings.some((w) => /skipping "t\/5\.jpg": corrupt or unsupported image/.test(w)));
});
