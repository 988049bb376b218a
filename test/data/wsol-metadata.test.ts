import assert from 'node:assert/strict';
import * as fs from 'node:fs';
import * as path from 'node:path';
import { test } from 'node:test';
import * as tf from '@tensorflow/tfjs-core';
import { initBackend } from '../../src/backend/select';
import { batches } from '../../src/data/batches';
import { openDataset } from '../../src/data/datasets';
import { IMAGENET_MEAN, IMAGENET_STD } from '../../src/data/image-ops';
import { patternPixel, tempDir, writeImage, writeMask } from './fixtures';

/** A metadata tree in wsolevaluation's format: train (3 images), test (2 images, one with 2 boxes). */
async function writeTree(opts: { classNames?: boolean; masks?: boolean } = {}) {
  const root = tempDir('wsolmeta');
  const images = path.join(root, 'images');
  const meta = path.join(root, 'metadata');
  await writeImage(path.join(images, 'a/1.png'), 20, 10, 1);
  await writeImage(path.join(images, 'a/2.png'), 16, 16, 2);
  await writeImage(path.join(images, 'b/3.jpg'), 30, 20, 3, 'jpeg');
  await writeImage(path.join(images, 'b/4.png'), 12, 12, 4);
  await writeImage(path.join(images, 'c/5.png'), 8, 8, 5);
  const files = {
    'train/image_ids.txt': 'a/1.png\na/2.png\nb/3.jpg\n',
    'train/class_labels.txt': 'a/1.png,0\na/2.png,0\nb/3.jpg,1\n',
    'train/image_sizes.txt': 'a/1.png,20,10\na/2.png,16,16\nb/3.jpg,30,20\n',
    'train/localization.txt': 'a/1.png,2,1,9,8\na/2.png,0,0,15,15\nb/3.jpg,5,5,20,15\n',
    'test/image_ids.txt': 'b/4.png\nc/5.png\n',
    'test/class_labels.txt': 'b/4.png,1\nc/5.png,2\n',
    'test/image_sizes.txt': 'b/4.png,12,12\nc/5.png,8,8\n',
    'test/localization.txt': opts.masks ? 'b/4.png,m/4a.png,\nb/4.png,m/4b.png,\nc/5.png,m/5.png,\n' : 'b/4.png,0,0,5,5\nb/4.png,6,6,11,11\nc/5.png,1,1,6,6\n',
  } as Record<string, string>;
  if (opts.classNames) files['class_names.txt'] = 'cat\ndog\nbird\n';
  for (const [f, text] of Object.entries(files)) {
    fs.mkdirSync(path.dirname(path.join(meta, f)), { recursive: true });
    fs.writeFileSync(path.join(meta, f), text);
  }
  if (opts.masks) {
    await writeMask(path.join(images, 'm/4a.png'), 12, 12, { x0: 0, y0: 0, x1: 3, y1: 3 });
    await writeMask(path.join(images, 'm/4b.png'), 12, 12, { x0: 8, y0: 8, x1: 11, y1: 11 });
    await writeMask(path.join(images, 'm/5.png'), 8, 8, { x0: 2, y0: 2, x1: 5, y1: 5 });
  }
  return { root, images, meta, spec: `folder:${meta},${images}` };
}

function edit(file: string, from: string, to: string) {
  fs.writeFileSync(file, fs.readFileSync(file, 'utf8').replace(from, to));
}

test('folder: reads ids, labels, sizes, multiple boxes; pixels decode exactly (PNG)', async () => {
  const t = await writeTree({ classNames: true });
  const ds = await openDataset(t.spec);
  assert.deepEqual(ds.classNames, ['cat', 'dog', 'bird']);
  assert.deepEqual(ds.items('train').map((i) => [i.id, i.label, i.width, i.height]), [['a/1.png', 0, 20, 10], ['a/2.png', 0, 16, 16], ['b/3.jpg', 1, 30, 20]]);
  assert.deepEqual(ds.items('test')[0].boxes, [{ x0: 0, y0: 0, x1: 5, y1: 5 }, { x0: 6, y0: 6, x1: 11, y1: 11 }]);
  assert.equal(ds.items('val').length, 0);
  const img = await ds.loadImage(ds.items('train')[0]);
  assert.equal(img.width, 20);
  for (const [x, y] of [[0, 0], [19, 9], [7, 4]]) assert.deepEqual([...img.data.subarray((y * 20 + x) * 3, (y * 20 + x) * 3 + 3)], patternPixel(x, y, 1));
});

test('folder: masks (several per image are united) reach the batch in input coordinates', async () => {
  await initBackend('cpu');
  const t = await writeTree({ masks: true });
  const ds = await openDataset(t.spec);
  assert.ok(ds.hasMasks);
  const m = (await ds.loadMask(ds.items('test')[0]))!;
  let n = 0;
  for (const v of m) n += v;
  assert.equal(n, 32); // two 4x4 squares
  const before = tf.memory().numTensors;
  for await (const b of batches(ds, 'test', { batchSize: 2, imageSize: 24, augment: false, shuffle: false, seed: 0, epoch: 0 })) {
    // 12 px -> 24 px: the 4x4 square at the origin becomes 8x8.
    const mask = b.masks[0]!;
    assert.equal(mask[0], 1);
    assert.equal(mask[7 * 24 + 7], 1);
    assert.equal(mask[8 * 24 + 8], 0);
    assert.equal(b.images.shape.join(), '2,24,24,3');
    b.images.dispose();
  }
  assert.equal(tf.memory().numTensors, before);
});

test('folder: the sharp resize path matches the plain-array path, values normalised', async () => {
  await initBackend('cpu');
  const t = await writeTree();
  const ds = await openDataset(t.spec);
  const plain = { ...ds, loadImageResized: undefined };
  const opts = { batchSize: 3, imageSize: 16, augment: false, shuffle: false, seed: 0, epoch: 0 };
  const [a] = await arrayOf(batches(ds, 'train', opts));
  const [b] = await arrayOf(batches(plain, 'train', opts));
  const da = a.images.dataSync();
  const db = b.images.dataSync();
  let sum = 0;
  for (let i = 0; i < da.length; i++) sum += Math.abs(da[i] - db[i]);
  // Two resamplers (libvips vs ours) of the same target; the fixture pattern wraps mod 256, so
  // single pixels can differ a lot: compare the mean (0.05 is about 3 grey levels).
  assert.ok(sum / da.length < 0.05, `mean difference ${sum / da.length}`);
  // Image a/2.png is already 16x16: no resampling, exact normalised values.
  const [r, g, bl] = patternPixel(3, 5, 2);
  const off = (16 * 16 + 5 * 16 + 3) * 3;
  assert.ok(Math.abs(da[off] - (r / 255 - IMAGENET_MEAN[0]) / IMAGENET_STD[0]) < 1e-5);
  assert.ok(Math.abs(da[off + 1] - (g / 255 - IMAGENET_MEAN[1]) / IMAGENET_STD[1]) < 1e-5);
  assert.ok(Math.abs(da[off + 2] - (bl / 255 - IMAGENET_MEAN[2]) / IMAGENET_STD[2]) < 1e-5);
  tf.dispose([a.images, b.images]);
});

async function arrayOf<T>(it: AsyncIterable<T>): Promise<T[]> {
  const out: T[] = [];
  for await (const x of it) out.push(x);
  return out;
}

test('folder: bad metadata gives errors naming the file and line', async () => {
  const cases: [string, string, string, RegExp][] = [
    ['train/class_labels.txt', 'b/3.jpg,1', 'b/3.jpg,7', /class_labels\.txt:3: unknown class id 7 for "b\/3\.jpg" \(expected 0\.\.2\)/],
    ['train/localization.txt', 'a/1.png,2,1,9,8', 'a/1.png,2,1,20,8', /localization\.txt:1: box \(2,1,20,8\) lies outside the 20x10 image "a\/1\.png"/],
    ['train/localization.txt', 'a/1.png,2,1,9,8', 'a/1.png,9,1,2,8', /localization\.txt:1: box of "a\/1\.png" has x1 < x0/],
    ['train/image_ids.txt', 'b/3.jpg', 'a/1.png', /image_ids\.txt:3: duplicate image id "a\/1\.png" \(first on line 1\)/],
    ['train/image_ids.txt', 'a/1.png\na/2.png\nb/3.jpg\n', '\n', /train\/image_ids\.txt: empty split/],
    ['test/localization.txt', 'c/5.png,1,1,6,6', 'c/5.png,1,1,x,6', /localization\.txt:3: x1 must be an integer, got "x"/],
    ['test/class_labels.txt', 'c/5.png,2', 'c/6.png,2', /class_labels\.txt:2: image id "c\/6\.png" is not in .*image_ids\.txt/],
  ];
  for (const [file, from, to, expected] of cases) {
    const t = await writeTree({ classNames: true });
    edit(path.join(t.meta, file), from, to);
    await assert.rejects(openDataset(t.spec), expected, `${file}: ${to}`);
  }
});

test('folder: missing and corrupt images fail clearly, or are skipped with a warning under skipBad', async () => {
  await initBackend('cpu');
  const t = await writeTree();
  fs.rmSync(path.join(t.images, 'a/2.png'));
  await assert.rejects(openDataset(t.spec), /image file not found: .*a\/2\.png \(id "a\/2\.png"\)/);
  const warnings: string[] = [];
  const ds = await openDataset(t.spec, { skipBad: true, onWarning: (m) => warnings.push(m) });
  assert.deepEqual(ds.items('train').map((i) => i.id), ['a/1.png', 'b/3.jpg']);
  assert.match(warnings[0], /skipping "a\/2\.png": image file not found/);

  // A truncated JPEG and a text file posing as a PNG.
  const jpg = path.join(t.images, 'b/3.jpg');
  const bytes = fs.readFileSync(jpg);
  fs.writeFileSync(jpg, bytes.subarray(0, Math.floor(bytes.length / 2)));
  fs.writeFileSync(path.join(t.images, 'a/1.png'), 'not an image');
  const opened = await openDataset(t.spec, { skipBad: true, onWarning: () => undefined });
  await assert.rejects(opened.loadImage(opened.items('train')[0]), /corrupt or unsupported image .*a\/1\.png/);
  await assert.rejects(opened.loadImage(opened.items('train')[1]), /corrupt or unsupported image .*b\/3\.jpg/);
  await assert.rejects(
    arrayOf(batches(opened, 'train', { batchSize: 4, imageSize: 8, augment: false, shuffle: false, seed: 0, epoch: 0, skipBad: false })),
    /corrupt or unsupported image/,
  );
  warnings.length = 0;
  const lenient = await openDataset(t.spec, { skipBad: true, onWarning: (m) => warnings.push(m) });
  const got = await arrayOf(batches(lenient, 'train', { batchSize: 4, imageSize: 8, augment: false, shuffle: false, seed: 0, epoch: 0 }));
  assert.equal(got.length, 0, 'both remaining train images are bad');
  assert.equal(warnings.length, 3);
  assert.ok(warnings.some((w) => /skipping "b\/3\.jpg": corrupt or unsupported image/.test(w)));
  // The test split still works.
  const test2 = await arrayOf(batches(lenient, 'test', { batchSize: 4, imageSize: 8, augment: false, shuffle: false, seed: 0, epoch: 0 }));
  assert.deepEqual(test2[0].ids, ['b/4.png', 'c/5.png']);
  test2[0].images.dispose();
  await assert.rejects(openDataset(`folder:${t.meta}`), /folder dataset needs "folder:<metadata dir>,<image root>"/);
});

/** The tree without image_sizes.txt: sizes come from the files, so a missing file has none. */
async function treeWithoutSizes() {
  const t = await writeTree({ classNames: false });
  for (const split of ['train', 'test']) fs.rmSync(path.join(t.meta, split, 'image_sizes.txt'));
  return t;
}

test('folder without image_sizes.txt: a missing image is named at open (not "outside the 1x1 image"), and skipBad skips it', async () => {
  const t = await treeWithoutSizes();
  fs.rmSync(path.join(t.images, 'a/2.png'));
  await assert.rejects(openDataset(t.spec), (e: Error) => /train\/image_ids\.txt:2: .*image file not found: .*a\/2\.png/.test(e.message) && !/outside/.test(e.message));
  const warnings: string[] = [];
  const ds = await openDataset(t.spec, { skipBad: true, onWarning: (m) => warnings.push(m) });
  assert.deepEqual(ds.items('train').map((i) => i.id), ['a/1.png', 'b/3.jpg']);
  assert.deepEqual([...ds.skipped!], ['a/2.png']);
  assert.equal(warnings.length, 1);
});

test('folder without image_sizes.txt: an unreadable image header is named at open, and skipBad skips it', async () => {
  const t = await treeWithoutSizes();
  fs.writeFileSync(path.join(t.images, 'b/3.jpg'), Buffer.from([0xff, 0xd8, 0xff])); // a JPEG cut after its first bytes
  await assert.rejects(openDataset(t.spec), /train\/image_ids\.txt:3: corrupt or unsupported image .*b\/3\.jpg/);
  const warnings: string[] = [];
  const ds = await openDataset(t.spec, { skipBad: true, onWarning: (m) => warnings.push(m) });
  assert.deepEqual(ds.items('train').map((i) => i.id), ['a/1.png', 'a/2.png']);
  assert.match(warnings[0], /skipping "b\/3\.jpg": corrupt or unsupported image/);
  assert.ok(ds.skipped!.has('b/3.jpg'));
});

test('folder: class ids are bounded at open (no class_names.txt: below 100000 and not sparse)', async () => {
  const started = Date.now();
  let t = await writeTree();
  edit(path.join(t.meta, 'train/class_labels.txt'), 'b/3.jpg,1', 'b/3.jpg,100000000');
  await assert.rejects(openDataset(t.spec), /train\/class_labels\.txt:3: class id 100000000 for "b\/3\.jpg" is too large \(at most 99999 without class_names\.txt\)/);
  t = await writeTree();
  edit(path.join(t.meta, 'train/class_labels.txt'), 'b/3.jpg,1', 'b/3.jpg,5000');
  await assert.rejects(openDataset(t.spec), /train\/class_labels\.txt:3: class id 5000 makes 5001 classes, but only 4 ids are used; .*class_names\.txt/);
  assert.ok(Date.now() - started < 10_000, 'rejected at open, in seconds');
  // Dense ids open: three classes 0, 1, 2.
  t = await writeTree();
  assert.equal((await openDataset(t.spec)).classNames.length, 3);
});

test('folder: val/test need localization.txt and a box or mask per image, checked at open', async () => {
  let t = await writeTree();
  fs.rmSync(path.join(t.meta, 'test/localization.txt'));
  await assert.rejects(openDataset(t.spec), (e: Error) => e.message.startsWith(`${path.join(t.meta, 'test/localization.txt')} not found: the test split needs boxes or masks`));
  t = await writeTree();
  edit(path.join(t.meta, 'test/localization.txt'), 'c/5.png,1,1,6,6\n', '');
  await assert.rejects(openDataset(t.spec), /test\/image_ids\.txt:2: "c\/5\.png" has no box or mask in .*test\/localization\.txt/);
  // train/ may go without.
  t = await writeTree();
  fs.rmSync(path.join(t.meta, 'train/localization.txt'));
  assert.equal((await openDataset(t.spec)).items('train').length, 3);
});

test('folder: image ids and mask paths that leave the image root are refused unless allowed', async () => {
  const t = await writeTree();
  const outside = path.join(t.root, 'outside.png');
  await writeImage(outside, 20, 10, 9);
  for (const f of ['image_ids.txt', 'class_labels.txt', 'image_sizes.txt', 'localization.txt']) edit(path.join(t.meta, 'train', f), 'a/1.png', '../outside.png');
  await assert.rejects(openDataset(t.spec), /train\/image_ids\.txt:1: "\.\.\/outside\.png" lies outside the image root .* --allow-outside-root/);
  const ds = await openDataset(t.spec, { allowOutsideRoot: true });
  assert.equal(ds.items('train')[0].id, '../outside.png');
  const img = await ds.loadImage(ds.items('train')[0]);
  assert.deepEqual([img.width, img.height], [20, 10]);
  const m = await writeTree({ masks: true });
  edit(path.join(m.meta, 'test/localization.txt'), 'm/5.png', '../../etc/passwd');
  await assert.rejects(openDataset(m.spec), /test\/localization\.txt:3: "\.\.\/\.\.\/etc\/passwd" lies outside the image root/);
});
