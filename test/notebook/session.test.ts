import { test } from 'node:test';
import assert from 'node:assert/strict';
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import * as tf from '@tensorflow/tfjs-core';
import { initBackend } from '../../src/backend/select';
import { partsDataset } from '../../src/data/parts-dataset';
import { trainOrReuse } from '../../src/notebook/run-or-reuse';
import { notebookRecipe, NOTEBOOK_RECIPES } from '../../src/notebook/recipes';

const tiny = { method: 'cam', epochs: 1, batchSize: 8, probes: 2, evalLimit: 8 };
const sizes = { train: 16, val: 8, test: 0 };

test('a finished run with the same settings is reused; other settings or data train again', async () => {
  await initBackend();
  const dir = path.join(fs.mkdtempSync(path.join(os.tmpdir(), 'wsol-nbrun-')), 'run');
  const dataset = partsDataset({ sizes });
  const first = await trainOrReuse(dir, tiny, { dataset, dataKey: 'a' });
  assert.equal(first.reused, false);
  assert.equal(first.history.length, 1);
  const x = tf.randomNormal([1, 64, 64, 3], 0, 1, 'float32', 3) as tf.Tensor4D;
  const logits = (m: typeof first.model) => tf.tidy(() => Array.from(m.predict(x).logits.dataSync()));
  const again = await trainOrReuse(dir, tiny, { dataset, dataKey: 'a' });
  assert.equal(again.reused, true);
  assert.deepEqual(again.history, first.history);
  assert.ok(again.snapshots && again.snapshots.snapshots.length >= 2);
  assert.deepEqual(logits(again.model), logits(first.model), 'the loaded model is the trained one');
  assert.equal((await trainOrReuse(dir, tiny, { dataset, dataKey: 'b' })).reused, false, 'other data');
  assert.equal((await trainOrReuse(dir, { ...tiny, seed: 2 }, { dataset, dataKey: 'b' })).reused, false, 'other settings');
  assert.deepEqual(fs.readdirSync(path.dirname(dir)).sort(), ['run'], 'one folder, no lock left behind');
  x.dispose();
});

test('two runs into one folder at once: the second waits and reuses the first', async () => {
  await initBackend();
  const dir = path.join(fs.mkdtempSync(path.join(os.tmpdir(), 'wsol-nbrun-')), 'shared');
  const dataset = partsDataset({ sizes });
  const [a, b] = await Promise.all([trainOrReuse(dir, tiny, { dataset, dataKey: 'k' }), trainOrReuse(dir, tiny, { dataset, dataKey: 'k' })]);
  assert.deepEqual([a.reused, b.reused].sort(), [false, true]);
  // A lock left by a process that no longer exists is taken over (the trainer's own lock file).
  const lock = path.join(dir, 'train.lock');
  fs.writeFileSync(lock, JSON.stringify({ pid: 999999999, host: os.hostname(), startedAt: 'then' }));
  assert.equal((await trainOrReuse(dir, tiny, { dataset, dataKey: 'k' })).reused, true);
  assert.equal(fs.existsSync(lock), false);
  assert.equal(fs.existsSync(`${dir}.lock`), false, 'no second lock beside the folder');
});

test("new settings never delete a folder the notebook did not make; its own run's files are replaced", async () => {
  await initBackend();
  const root = fs.mkdtempSync(path.join(os.tmpdir(), 'wsol-nbguard-'));
  const dataset = partsDataset({ sizes });
  // A student's folder ("folder: 'my-results'") with their own file in it.
  const mine = path.join(root, 'my-results');
  fs.mkdirSync(mine);
  fs.writeFileSync(path.join(mine, 'notes.md'), 'my draft');
  await assert.rejects(trainOrReuse(mine, tiny, { dataset, dataKey: 'a' }), (e: Error) => e.message.includes(mine) && /not empty \(notes\.md\)/.test(e.message));
  assert.deepEqual(fs.readdirSync(mine), ['notes.md']);
  assert.equal(fs.readFileSync(path.join(mine, 'notes.md'), 'utf8'), 'my draft');
  // A notebook run, then a file of the student's added to it: other settings are refused, nothing removed.
  const run = path.join(root, 'run');
  await trainOrReuse(run, tiny, { dataset, dataKey: 'a' });
  fs.writeFileSync(path.join(run, 'keep.txt'), 'mine');
  const before = fs.readdirSync(run).sort();
  await assert.rejects(trainOrReuse(run, { ...tiny, seed: 2 }, { dataset, dataKey: 'a' }), /holds files a notebook run did not write \(keep\.txt\)/);
  assert.deepEqual(fs.readdirSync(run).sort(), before);
  // Without the student's file, the notebook's own run is replaced by the new one.
  fs.rmSync(path.join(run, 'keep.txt'));
  const again = await trainOrReuse(run, { ...tiny, seed: 2 }, { dataset, dataKey: 'a' });
  assert.equal(again.reused, false);
  assert.equal(again.config.seed, 2);
});

test('every notebook recipe has a quick and a full budget, quick always smaller', () => {
  for (const name of Object.keys(NOTEBOOK_RECIPES) as (keyof typeof NOTEBOOK_RECIPES)[]) {
    const q = notebookRecipe(name, true);
    const f = notebookRecipe(name, false);
    assert.ok(q.data.train <= f.data.train && (q.train.epochs ?? 1) <= (f.train.epochs ?? 1), name);
  }
  assert.throws(() => notebookRecipe('nope' as never, true), /unknown recipe "nope"/);
});
