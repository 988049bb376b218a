/**
 * Paths a run reads and writes: links out of the image root, a checkpoint pointer that leaves its
 * run, a full disk, a split folder missing at open, a model-size typo, and a truncated PNG; each
 * error names the path or the option.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import * as fs from 'fs';
import { createRequire } from 'module';
import * as path from 'path';
import { initBackend } from '../../src/backend/select';
import { writeFileAtomic } from '../../src/common/atomic-write';
import { decodeImageFile, readImageSize } from '../../src/data/image-io';
import { pathInside } from '../../src/data/inside-root';
import { openDataset } from '../../src/data/datasets';
import { partsDataset } from '../../src/data/parts-dataset';
import { latestCheckpoint } from '../../src/train/checkpoint';
import { train } from '../../src/train/trainer';
import { TrainingSession } from '../../src/train/training-session';
import { tempDir, writeImage } from '../data/fixtures';

const BIN = path.join(__dirname, '..', '..', 'bin', 'wsol.js');
const tiny = { method: 'cam', epochs: 1, imageSize: 32, batchSize: 8, evalLimit: 8, probes: 0, methodOptions: { tinyWidth: 4, headWidth: 8 }, backboneInit: 'scratch' };

/** A folder dataset: three train images, and val images unless `val` is false. */
async function folderDataset(opts: { val?: boolean } = {}): Promise<{ meta: string; images: string; spec: string }> {
  const root = tempDir('paths');
  const meta = path.join(root, 'meta');
  const images = path.join(root, 'images');
  const trainIds = ['a/1.png', 'a/2.png', 'b/3.png'];
  const valIds = ['v/1.png', 'v/2.png'];
  for (const [i, id] of [...trainIds, ...valIds].entries()) await writeImage(path.join(images, id), 20, 10, i);
  const split = (name: string, ids: string[]) => {
    fs.mkdirSync(path.join(meta, name), { recursive: true });
    fs.writeFileSync(path.join(meta, name, 'image_ids.txt'), ids.map((id) => `${id}\n`).join(''));
    fs.writeFileSync(path.join(meta, name, 'class_labels.txt'), ids.map((id, i) => `${id},${i % 2}\n`).join(''));
    fs.writeFileSync(path.join(meta, name, 'image_sizes.txt'), ids.map((id) => `${id},20,10\n`).join(''));
    fs.writeFileSync(path.join(meta, name, 'localization.txt'), ids.map((id) => `${id},1,1,8,8\n`).join(''));
  };
  split('train', trainIds);
  if (opts.val !== false) split('val', valIds);
  return { meta, images, spec: `folder:${meta},${images}` };
}

test('an image that is a symbolic link to a file outside the image root is refused unless --allow-outside-root', async () => {
  const t = await folderDataset();
  const outside = path.join(tempDir('outside'), 'secret.png');
  await writeImage(outside, 20, 10, 9);
  fs.rmSync(path.join(t.images, 'a', '2.png'));
  fs.symlinkSync(outside, path.join(t.images, 'a', '2.png'));
  await assert.rejects(openDataset(t.spec), new RegExp(`train/image_ids\\.txt:2: "a/2\\.png" is a link to ${outside.replace(/[.]/g, '\\.')}, outside the image root`));
  const ds = await openDataset(t.spec, { allowOutsideRoot: true });
  assert.equal(ds.items('train').length, 3);
  // A linked folder counts too, and a link that stays inside the root is fine.
  fs.rmSync(path.join(t.images, 'a', '2.png'));
  await writeImage(path.join(t.images, 'a', '2.png'), 20, 10, 1);
  fs.symlinkSync(path.dirname(outside), path.join(t.images, 'c'));
  assert.throws(() => pathInside(t.images, 'c/secret.png', 'x:1'), /x:1: "c\/secret\.png" is a link to .*secret\.png, outside the image root/);
  fs.symlinkSync(path.join(t.images, 'a'), path.join(t.images, 'd'));
  assert.equal(pathInside(t.images, 'd/1.png', 'x:1'), path.join(t.images, 'd/1.png'));
  // A missing file under a linked folder is judged by where the link leads.
  assert.throws(() => pathInside(t.images, 'c/missing.png', 'x:1'), /is a link to/);
});

test('a latest.json that points outside its run is refused, naming the pointer', async () => {
  await initBackend();
  const data = () => partsDataset({ seed: 1, imageSize: 32, sizes: { train: 16, val: 8, test: 8 } });
  const root = tempDir('latest');
  const [a, b] = [path.join(root, 'a'), path.join(root, 'b')];
  for (const dir of [a, b]) (await train(tiny, { outDir: dir, dataset: data() })).model.net.dispose();
  const pointer = path.join(a, 'checkpoints', 'latest.json');
  const other = path.basename(latestCheckpoint(b)!);
  fs.writeFileSync(pointer, JSON.stringify({ dir: `../../b/checkpoints/${other}` }));
  assert.throws(() => latestCheckpoint(a), new RegExp(`${pointer.replace(/[.]/g, '\\.')}: "dir" must name a checkpoint folder of this run`));
  await assert.rejects(train({ ...tiny, epochs: 2 }, { outDir: a, dataset: data(), resume: true }), /latest\.json: "dir" must name a checkpoint folder/);
  // A checkpoint name that is a link to another run's checkpoint.
  fs.symlinkSync(path.join(b, 'checkpoints', other), path.join(a, 'checkpoints', 'ckpt-e0009-s99'));
  fs.writeFileSync(pointer, JSON.stringify({ dir: 'ckpt-e0009-s99' }));
  assert.throws(() => latestCheckpoint(a), /latest\.json points to .*b\/checkpoints\/ckpt-.*, outside the run's checkpoints folder/);
});

test('a full disk (ENOSPC) gives an error that names the file being written; the old file stays', () => {
  const dir = tempDir('enospc');
  const file = path.join(dir, 'weights.bin');
  fs.writeFileSync(file, 'old');
  const nodeFs = createRequire(__filename)('fs') as typeof fs;
  const real = nodeFs.writeSync;
  (nodeFs as { writeSync: unknown }).writeSync = () => {
    throw Object.assign(new Error('ENOSPC: no space left on device, write'), { code: 'ENOSPC' });
  };
  try {
    assert.throws(() => writeFileAtomic(file, 'new bytes'), new RegExp(`^Error: cannot write ${file.replace(/[.]/g, '\\.')}: ENOSPC: no space left on device, write$`));
  } finally {
    (nodeFs as { writeSync: unknown }).writeSync = real;
  }
  assert.equal(fs.readFileSync(file, 'utf8'), 'old');
  assert.deepEqual(fs.readdirSync(dir), ['weights.bin'], 'no temp file is left');
});

test('a folder dataset without val/ is refused when training opens, naming the missing file, before any step', async () => {
  await initBackend();
  const t = await folderDataset({ val: false });
  const out = path.join(tempDir('noval'), 'run');
  let steps = 0;
  await assert.rejects(
    TrainingSession.open({ ...tiny, dataset: t.spec, imageSize: 16 }, { outDir: out, callbacks: { onStep: () => steps++ } }),
    new RegExp(`has no val images \\(${path.join(t.meta, 'val', 'image_ids.txt').replace(/[.]/g, '\\.')} is missing or empty\\); training needs a train and a val split`),
  );
  assert.equal(steps, 0);
  assert.equal(fs.existsSync(path.join(out, 'checkpoints')), false);
});

test('--set tinyWidth=1000000 is refused with the option named, before any data is read', () => {
  const out = path.join(tempDir('width'), 'run');
  const r = spawnSync(process.execPath, [BIN, 'train', '--method', 'cam', '--set', 'tinyWidth=1000000', '--out', out], { encoding: 'utf8', timeout: 120_000 });
  assert.equal(r.status, 1, r.stderr);
  assert.match(r.stderr, /method option tinyWidth=1000000 is too large: at most 1024 channels \(--set tinyWidth=N\)/);
  assert.doesNotMatch(r.stderr, /typed array/);
  const head = spawnSync(process.execPath, [BIN, 'train', '--method', 'cam', '--set', 'headWidth=100000', '--out', out], { encoding: 'utf8', timeout: 120_000 });
  assert.match(head.stderr, /method option headWidth=100000 is too large: at most 8192 channels/);
});

test('a truncated PNG or JPEG is reported in plain words with its file name', async () => {
  const dir = tempDir('trunc');
  for (const [name, format] of [['cut.png', 'png'], ['cut.jpg', 'jpeg']] as const) {
    const file = path.join(dir, name);
    await writeImage(file, 64, 64, 3, format);
    const bytes = fs.readFileSync(file);
    fs.writeFileSync(file, bytes.subarray(0, Math.floor(bytes.length / 2)));
    await assert.rejects(decodeImageFile(file), (err: Error) => {
      assert.equal(err.message, `corrupt or unsupported image ${file}: the file ends before its image data does (a truncated download or copy?)`);
      return true;
    });
  }
  const text = path.join(dir, 'notes.png');
  fs.writeFileSync(text, 'not an image');
  await assert.rejects(readImageSize(text), new RegExp(`${text.replace(/[.]/g, '\\.')}: it is not an image in a format this tool reads`));
});
