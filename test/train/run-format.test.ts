/**
 * Runs saved by where-to-look 0.1.0 (trained by commit 99525e9, before the run format was recorded)
 * still load and predict what they predicted then; a run of another format is refused with a message
 * that names both versions.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import * as fs from 'fs';
import * as os from 'os';
import * as path from 'path';
import * as tf from '@tensorflow/tfjs-core';
import { initBackend } from '../../src/backend/select';
import { readRunConfig, writeRunConfig } from '../../src/train/run-folder';
import { packageVersion, RUN_FORMAT } from '../../src/train/run-format';
import { loadRunModel } from '../../src/train/trainer';

const FIXTURE = path.join(__dirname, 'fixtures', 'runs-0.1.0');

test('runs saved by 0.1.0 load and give the predictions they gave then', async () => {
  await initBackend('cpu'); // the backend the fixture's predictions were recorded on
  const { expected } = JSON.parse(fs.readFileSync(path.join(FIXTURE, 'expected.json'), 'utf8')) as { expected: Record<string, { logits: number[]; cams: number[] }> };
  const images = tf.tidy(() => tf.linspace(-1, 1, 2 * 32 * 32 * 3).reshape([2, 32, 32, 3]).sin()) as tf.Tensor4D;
  try {
    for (const method of ['cam', 'acol', 'ours-no-fusion']) {
      const { model, config } = await loadRunModel(path.join(FIXTURE, method));
      assert.equal(config.format, undefined, 'saved before the format was recorded');
      assert.equal(model.method, method);
      const p = model.predict(images);
      const maxDiff = (a: ArrayLike<number>, b: number[]) => Math.max(...b.map((v, i) => Math.abs(v - a[i])));
      assert.equal(p.logits.size, expected[method].logits.length);
      assert.ok(maxDiff(p.logits.dataSync(), expected[method].logits) <= 1e-5, `${method} logits`);
      assert.ok(maxDiff(p.cams.dataSync(), expected[method].cams) <= 1e-5, `${method} maps`);
      tf.dispose([p.logits, p.cams]);
      model.net.dispose();
    }
  } finally {
    images.dispose();
    await initBackend();
  }
});

test('a run records its format and version, and a run of another format is refused by name', () => {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'wsol-format-'));
  const saved = JSON.parse(fs.readFileSync(path.join(FIXTURE, 'cam', 'config.json'), 'utf8'));
  writeRunConfig(dir, saved);
  const written = JSON.parse(fs.readFileSync(path.join(dir, 'config.json'), 'utf8'));
  assert.equal(written.format, RUN_FORMAT);
  assert.equal(written.writtenBy, `where-to-look ${packageVersion()}`);
  assert.match(packageVersion(), /^\d+\.\d+\.\d+/);
  const read = readRunConfig(dir);
  assert.deepEqual([read.train.method, read.model, read.classNames], [saved.train.method, saved.model, saved.classNames]);
  fs.writeFileSync(path.join(dir, 'config.json'), JSON.stringify({ ...written, format: RUN_FORMAT + 1, writtenBy: 'where-to-look 9.0.0' }));
  assert.throws(
    () => readRunConfig(dir),
    new RegExp(`config\\.json was written by where-to-look 9\\.0\\.0 \\(run format ${RUN_FORMAT + 1}\\); where-to-look ${packageVersion().replace(/\./g, '\\.')} reads run format ${RUN_FORMAT}`),
  );
});
