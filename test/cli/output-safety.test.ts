/**
 * `wsol eval --save-cams DIR` and `wsol localize --out DIR` never overwrite a user's file or mix
 * their output with an earlier call's; what `wsol localize` writes (localizations.json, overlays).
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import * as fs from 'fs';
import * as os from 'os';
import * as path from 'path';
import sharp from 'sharp';
import * as tf from '@tensorflow/tfjs-core';
import { initBackend } from '../../src/backend/select';
import { OUTPUT_MANIFEST, readOutputManifest } from '../../src/common/output-folder';
import { normalizePixels } from '../../src/data/batches';
import { decodeImageFile } from '../../src/data/image-io';
import { partsDataset } from '../../src/data/parts-dataset';
import { train } from '../../src/train/trainer';
import { loadRunModel } from '../../src/train/run-folder';

const BIN = path.join(__dirname, '..', '..', 'bin', 'wsol.js');
function wsol(...args: string[]): { code: number | null; stdout: string; stderr: string } {
  const r = spawnSync(process.execPath, [BIN, ...args], { encoding: 'utf8', timeout: 120_000 });
  return { code: r.status, stdout: r.stdout, stderr: r.stderr };
}
const tmp = (tag: string) => fs.mkdtempSync(path.join(os.tmpdir(), `wsol-${tag}-`));

let runDir: string | null = null;
async function tinyRun(): Promise<string> {
  if (runDir) return runDir;
  await initBackend();
  const run = path.join(tmp('outsafe-run'), 'run');
  const r = await train(
    { method: 'cam', epochs: 1, imageSize: 32, batchSize: 8, limit: 16, evalLimit: 8, seed: 3, probes: 0, methodOptions: { tinyWidth: 4, headWidth: 8 }, backboneInit: 'scratch' },
    { outDir: run, dataset: partsDataset({ seed: 3, sizes: { train: 16, val: 8, test: 8 } }) },
  );
  r.model.net.dispose();
  runDir = run;
  return run;
}

async function images(root: string): Promise<string[]> {
  const a = path.join(root, 'a.png');
  const b = path.join(root, 'b.jpg');
  const raw = (v: (i: number) => number) => Buffer.from(Array.from({ length: 40 * 30 * 3 }, (_, i) => v(i)));
  await sharp(raw((i) => (i * 7) % 256), { raw: { width: 40, height: 30, channels: 3 } }).png().toFile(a);
  await sharp(raw((i) => 255 - ((i * 3) % 256)), { raw: { width: 40, height: 30, channels: 3 } }).jpeg().toFile(b);
  return [a, b];
}

test("wsol localize: a user's localizations.json survives; the same call again is allowed; another call needs --overwrite", async () => {
  const run = await tinyRun();
  const root = tmp('outsafe-loc');
  const [a, b] = await images(root);
  const out = path.join(root, 'out');
  fs.mkdirSync(out);
  fs.writeFileSync(path.join(out, 'localizations.json'), 'my paper draft');

  const refused = wsol('localize', '--run', run, '--out', out, a);
  assert.equal(refused.code, 1, refused.stderr);
  assert.match(refused.stderr, /is not empty: it holds files not written by wsol \(localizations\.json\)\. Nothing was written; choose another --out or pass --overwrite/);
  assert.equal(fs.readFileSync(path.join(out, 'localizations.json'), 'utf8'), 'my paper draft');
  assert.deepEqual(fs.readdirSync(out), ['localizations.json'], 'nothing was written beside it');

  const out2 = path.join(root, 'out2');
  assert.equal(wsol('localize', '--run', run, '--out', out2, a, b).code, 0);
  const first = fs.readFileSync(path.join(out2, 'localizations.json'), 'utf8');
  const again = wsol('localize', '--run', run, '--out', out2, a, b);
  assert.equal(again.code, 0, again.stderr);
  assert.equal(fs.readFileSync(path.join(out2, 'localizations.json'), 'utf8'), first);

  const other = wsol('localize', '--run', run, '--out', out2, b);
  assert.equal(other.code, 1);
  assert.match(other.stderr, /holds the output of wsol localize with other settings: images \(was/);
  assert.equal(fs.readFileSync(path.join(out2, 'localizations.json'), 'utf8'), first);

  fs.writeFileSync(path.join(out2, 'notes.txt'), 'mine');
  const replaced = wsol('localize', '--run', run, '--out', out2, '--overwrite', b);
  assert.equal(replaced.code, 0, replaced.stderr);
  assert.deepEqual(fs.readdirSync(out2).sort(), [OUTPUT_MANIFEST, 'b.jpg-overlay.png', 'localizations.json', 'notes.txt'], "the earlier call's a.png overlay is removed, the user's notes kept");
  assert.equal(fs.readFileSync(path.join(out2, 'notes.txt'), 'utf8'), 'mine');
});

test('wsol localize writes, per image, the class the model scores highest, a box inside the input, and an overlay of the input', async () => {
  const run = await tinyRun();
  const root = tmp('outsafe-what');
  const files = await images(root);
  const out = path.join(root, 'out');
  const res = wsol('localize', '--run', run, '--out', out, '--threshold', '0.3', ...files);
  assert.equal(res.code, 0, res.stderr);
  const rows = JSON.parse(fs.readFileSync(path.join(out, 'localizations.json'), 'utf8')) as {
    image: string; overlay: string; class: number; className: string; box: { x0: number; y0: number; x1: number; y1: number }; inputSize: number; threshold: number;
  }[];
  assert.equal(rows.length, 2);
  const { model, config } = await loadRunModel(run);
  for (const [i, row] of rows.entries()) {
    assert.equal(row.image, files[i]);
    assert.equal(row.inputSize, 32);
    assert.equal(row.threshold, 0.3);
    // The class: recomputed here from the model's logits on the same decoded input.
    const rgb = await decodeImageFile(files[i], { resize: { width: 32, height: 32 } });
    const logits = Array.from(tf.tidy(() => model.predict(tf.tensor4d(normalizePixels(rgb.data), [1, 32, 32, 3])).logits.dataSync()));
    const best = logits.indexOf(Math.max(...logits));
    assert.equal(row.class, best, `image ${i}: class`);
    assert.equal(row.className, config.classNames[best]);
    const { x0, y0, x1, y1 } = row.box;
    assert.ok(0 <= x0 && x0 <= x1 && x1 < 32 && 0 <= y0 && y0 <= y1 && y1 < 32, `box ${JSON.stringify(row.box)} inside 32x32`);
    const meta = await sharp(path.join(out, row.overlay)).metadata();
    assert.equal(meta.format, 'png');
    assert.deepEqual([meta.width, meta.height], [256, 256], 'the 32 px input drawn 8x');
  }
  model.net.dispose();
  assert.deepEqual(readOutputManifest(out)!.files.sort(), ['a.png-overlay.png', 'b.jpg-overlay.png', 'localizations.json']);
});

test("wsol eval --save-cams: a user's wsol-cams.json survives, another split's maps are not mixed in, --overwrite replaces them", async () => {
  const run = await tinyRun();
  const root = tmp('outsafe-cams');
  const user = path.join(root, 'user');
  fs.mkdirSync(user);
  fs.writeFileSync(path.join(user, 'wsol-cams.json'), '{"mine": true}');
  const refused = wsol('eval', '--run', run, '--limit', '4', '--save-cams', user, '--json');
  assert.equal(refused.code, 1);
  assert.match(refused.stderr, /is not empty: it holds files not written by wsol \(wsol-cams\.json\)\. Nothing was written; choose another --save-cams/);
  assert.deepEqual(fs.readdirSync(user), ['wsol-cams.json']);
  assert.equal(fs.readFileSync(path.join(user, 'wsol-cams.json'), 'utf8'), '{"mine": true}');

  const cams = path.join(root, 'cams');
  const val = wsol('eval', '--run', run, '--split', 'val', '--limit', '4', '--save-cams', cams, '--json');
  assert.equal(val.code, 0, val.stderr);
  const valFiles = readOutputManifest(cams)!.files;
  assert.equal(valFiles.length, 5, 'four maps and wsol-cams.json');
  assert.ok(valFiles.every((f) => f === 'wsol-cams.json' || fs.existsSync(path.join(cams, f))));
  const same = wsol('eval', '--run', run, '--split', 'val', '--limit', '4', '--save-cams', cams, '--json');
  assert.equal(same.code, 0, same.stderr);

  const test = wsol('eval', '--run', run, '--split', 'test', '--limit', '4', '--save-cams', cams, '--json');
  assert.equal(test.code, 1);
  assert.match(test.stderr, /holds the output of wsol eval --save-cams with other settings: split \(was "val", now "test"\)/);
  assert.equal(JSON.parse(fs.readFileSync(path.join(cams, 'wsol-cams.json'), 'utf8')).split, 'val');

  const over = wsol('eval', '--run', run, '--split', 'test', '--limit', '4', '--save-cams', cams, '--overwrite', '--json');
  assert.equal(over.code, 0, over.stderr);
  const testFiles = readOutputManifest(cams)!.files;
  for (const f of valFiles) if (!testFiles.includes(f)) assert.equal(fs.existsSync(path.join(cams, f)), false, `the val map ${f} is removed`);
  assert.equal(JSON.parse(fs.readFileSync(path.join(cams, 'wsol-cams.json'), 'utf8')).split, 'test');
  assert.equal(fs.existsSync(path.join(cams, 'val')), false, 'the val/ folder the earlier call made is removed once empty');

  const missing = wsol('eval', '--cams', path.join(root, 'no-such-folder'));
  assert.equal(missing.code, 1);
  assert.match(missing.stderr, /--cams .*no-such-folder: no such folder/);
});
