import { test } from 'node:test';
import assert from 'node:assert/strict';
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import * as tf from '@tensorflow/tfjs-core';
import { initBackend } from '../../src/backend/select';
import { partsDataset } from '../../src/data/parts-dataset';
import { trainOrReuse } from '../../src/notebook/run-or-reuse';
import { notebookMode, notebookRecipe, NOTEBOOK_RECIPES, OWN_IMAGES_BUDGET } from '../../src/notebook/recipes';

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
  assert.deepEqual(fs.readdirSync(path.dirname(dir)).sort(), ['run'], 'one folder');
  assert.deepEqual(fs.readdirSync(dir).filter((e) => e.endsWith('.lock')), [], 'no lock left behind');
  assert.equal(fs.readdirSync(dir).filter((e) => e.startsWith('run-')).length, 1, 'runs of other settings were replaced, not piled up');
  x.dispose();
});

test('two runs into one folder at once: the second waits and reuses the first', async () => {
  await initBackend();
  const dir = path.join(fs.mkdtempSync(path.join(os.tmpdir(), 'wsol-nbrun-')), 'shared');
  const dataset = partsDataset({ sizes });
  const [a, b] = await Promise.all([trainOrReuse(dir, tiny, { dataset, dataKey: 'k' }), trainOrReuse(dir, tiny, { dataset, dataKey: 'k' })]);
  assert.deepEqual([a.reused, b.reused].sort(), [false, true]);
  // A lock left by a process that no longer exists is taken over.
  const lock = path.join(dir, '.wsol-output.lock');
  fs.writeFileSync(lock, JSON.stringify({ pid: 999999999, host: os.hostname(), startedAt: 'then' }));
  assert.equal((await trainOrReuse(dir, tiny, { dataset, dataKey: 'k' })).reused, true);
  assert.equal(fs.existsSync(lock), false);
});

test("a folder the notebook did not make is refused; its own run with other settings is replaced, a student's file in it kept", async () => {
  await initBackend();
  const root = fs.mkdtempSync(path.join(os.tmpdir(), 'wsol-nbguard-'));
  const dataset = partsDataset({ sizes });
  // A student's folder ("folder: 'my-results'") with their own file in it.
  const mine = path.join(root, 'my-results');
  fs.mkdirSync(mine);
  fs.writeFileSync(path.join(mine, 'notes.md'), 'my draft');
  await assert.rejects(trainOrReuse(mine, tiny, { dataset, dataKey: 'a' }), (e: Error) => e.message.includes(mine) && /files not written by wsol \(notes\.md\)/.test(e.message));
  assert.deepEqual(fs.readdirSync(mine), ['notes.md']);
  assert.equal(fs.readFileSync(path.join(mine, 'notes.md'), 'utf8'), 'my draft');
  // A run made with `wsol train` (config.json, checkpoints) is not the notebook's either.
  const cli = path.join(root, 'cli-run');
  fs.mkdirSync(path.join(cli, 'checkpoints'), { recursive: true });
  fs.writeFileSync(path.join(cli, 'config.json'), '{}');
  await assert.rejects(trainOrReuse(cli, tiny, { dataset, dataKey: 'a' }), /is not empty/);
  assert.deepEqual(fs.readdirSync(cli).sort(), ['checkpoints', 'config.json']);
  // A notebook run, then a student's file beside it, then other settings: the old run goes, the file stays.
  const folder = path.join(root, 'run');
  const first = await trainOrReuse(folder, tiny, { dataset, dataKey: 'a' });
  fs.writeFileSync(path.join(folder, 'keep.txt'), 'mine');
  const again = await trainOrReuse(folder, { ...tiny, seed: 2 }, { dataset, dataKey: 'a' });
  assert.equal(again.reused, false);
  assert.equal(again.config.seed, 2);
  assert.notEqual(again.outDir, first.outDir);
  assert.equal(fs.existsSync(first.outDir), false, "the earlier run's folder is removed once the new run finished");
  assert.equal(fs.readFileSync(path.join(folder, 'keep.txt'), 'utf8'), 'mine');
  assert.deepEqual(fs.readdirSync(folder).sort(), ['.wsol-output.json', 'keep.txt', path.basename(again.outDir)].sort());
});

test('a folder written by an earlier version (run files and notebook-run.json at its top) is taken over', async () => {
  await initBackend();
  const folder = path.join(fs.mkdtempSync(path.join(os.tmpdir(), 'wsol-nblegacy-')), 'cam-full');
  fs.mkdirSync(path.join(folder, 'checkpoints', 'ckpt-e0001-s2'), { recursive: true });
  for (const f of ['config.json', 'history.json', 'notebook-run.json']) fs.writeFileSync(path.join(folder, f), '{}');
  const run = await trainOrReuse(folder, tiny, { dataset: partsDataset({ sizes }), dataKey: 'a' });
  assert.equal(run.reused, false);
  assert.deepEqual(fs.readdirSync(folder).sort(), ['.wsol-output.json', path.basename(run.outDir)].sort());
  // ... but not when a file of the student's is among them.
  const other = path.join(path.dirname(folder), 'other');
  fs.mkdirSync(other);
  for (const f of ['history.json', 'notebook-run.json', 'mine.csv']) fs.writeFileSync(path.join(other, f), '{}');
  await assert.rejects(trainOrReuse(other, tiny, { dataset: partsDataset({ sizes }), dataKey: 'a' }), /is not empty/);
  assert.deepEqual(fs.readdirSync(other).sort(), ['history.json', 'mine.csv', 'notebook-run.json']);
});

test('every notebook recipe has a quick, a class and a full budget: quick <= class <= full', () => {
  const size = (r: { data: { train: number }; train: { epochs?: number; limit?: number } }) => r.data.train * (r.train.epochs ?? 1);
  for (const name of Object.keys(NOTEBOOK_RECIPES) as (keyof typeof NOTEBOOK_RECIPES)[]) {
    const q = notebookRecipe(name, true);
    const c = notebookRecipe(name, 'class');
    const f = notebookRecipe(name, false);
    assert.deepEqual(notebookRecipe(name, 'quick'), q);
    assert.deepEqual(notebookRecipe(name, 'full'), f);
    assert.ok(q.data.train <= f.data.train && (q.train.epochs ?? 1) <= (f.train.epochs ?? 1), name);
    assert.ok(size(q) <= size(c) && size(c) <= size(f), `${name}: quick ${size(q)} <= class ${size(c)} <= full ${size(f)}`);
  }
  for (const k of ['quick', 'class'] as const) assert.ok((OWN_IMAGES_BUDGET[k].epochs ?? 1) <= (OWN_IMAGES_BUDGET[k === 'quick' ? 'class' : 'full'].epochs ?? 1));
  assert.throws(() => notebookRecipe('nope' as never, true), /unknown recipe "nope"/);
  assert.throws(() => notebookRecipe('cam', 'huge' as never), /unknown mode "huge"/);
});

test('the mode comes from WSOL_QUICK and WSOL_CLASS; quick wins, and a value other than 0 or 1 is refused', () => {
  assert.equal(notebookMode({}), 'full');
  assert.equal(notebookMode({ WSOL_CLASS: '1' }), 'class');
  assert.equal(notebookMode({ WSOL_QUICK: '1' }), 'quick');
  assert.equal(notebookMode({ WSOL_QUICK: '1', WSOL_CLASS: '1' }), 'quick');
  assert.equal(notebookMode({ WSOL_QUICK: '0', WSOL_CLASS: '0' }), 'full');
  assert.throws(() => notebookMode({ WSOL_CLASS: 'yes' }), /WSOL_CLASS must be 1 \(on\) or 0 \(off\), got "yes"/);
});
