import { test } from 'node:test';
import assert from 'node:assert/strict';
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import * as tf from '@tensorflow/tfjs-core';
import { initBackend } from '../../src/backend/select';
import { partsDataset } from '../../src/data/parts-dataset';
import { trainOrReuse } from '../../src/viz/notebook-session';
import { notebookRecipe, NOTEBOOK_RECIPES } from '../../src/viz/notebook-recipes';

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
  // A lock left by a process that no longer exists is taken over.
  fs.writeFileSync(`${dir}.lock`, '999999999');
  assert.equal((await trainOrReuse(dir, tiny, { dataset, dataKey: 'k' })).reused, true);
  assert.equal(fs.existsSync(`${dir}.lock`), false);
});

test('every notebook recipe has a quick and a full budget, quick always smaller', () => {
  for (const name of Object.keys(NOTEBOOK_RECIPES) as (keyof typeof NOTEBOOK_RECIPES)[]) {
    const q = notebookRecipe(name, true);
    const f = notebookRecipe(name, false);
    assert.ok(q.data.train <= f.data.train && (q.train.epochs ?? 1) <= (f.train.epochs ?? 1), name);
  }
  assert.throws(() => notebookRecipe('nope' as never, true), /unknown recipe "nope"/);
});
