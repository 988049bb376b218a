import { test } from 'node:test';
import assert from 'node:assert/strict';
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import sharp from 'sharp';
import { openWsolFolder } from '../../src/data/wsol-metadata';
import { readBoxesCsv, toWsolFolder, writeExampleImages } from '../../src/notebook/own-images';

const tmp = () => fs.mkdtempSync(path.join(os.tmpdir(), 'wsol-own-'));

test('the example folder: real PNGs with boxes.csv, kept as it is on a second call, never written over a folder of yours', async () => {
  const root = tmp();
  const dir = path.join(root, 'example');
  const made = await writeExampleImages(dir, { perClass: 3, classes: 2, size: 48 });
  assert.equal(made.written, true);
  const listed = await readBoxesCsv(dir);
  assert.equal(listed.length, 6);
  const meta = await sharp(path.join(dir, listed[0].file)).metadata();
  assert.deepEqual([meta.format, meta.width, meta.height], ['png', 48, 48]);
  assert.deepEqual(listed.map((im) => im.label).sort(), ['bars', 'bars', 'bars', 'columns', 'columns', 'columns']);
  const mtime = fs.statSync(path.join(dir, 'boxes.csv')).mtimeMs;
  assert.equal((await writeExampleImages(dir, { perClass: 3, classes: 2, size: 48 })).written, false);
  assert.equal(fs.statSync(path.join(dir, 'boxes.csv')).mtimeMs, mtime);
  // Other settings: what it wrote is replaced, a file of yours beside it stays.
  fs.writeFileSync(path.join(dir, 'notes.txt'), 'mine');
  await writeExampleImages(dir, { perClass: 2, classes: 2, size: 48 });
  assert.equal((await readBoxesCsv(dir)).length, 4);
  assert.equal(fs.readFileSync(path.join(dir, 'notes.txt'), 'utf8'), 'mine');
  const yours = path.join(root, 'yours');
  fs.mkdirSync(yours);
  fs.writeFileSync(path.join(yours, 'photo.jpg'), 'x');
  await assert.rejects(writeExampleImages(yours), /already holds files this notebook did not write \(photo\.jpg\)/);
  assert.deepEqual(fs.readdirSync(yours), ['photo.jpg']);
});

test('toWsolFolder writes wsolevaluation metadata that the folder: loader opens, with every box and a seeded split', async () => {
  const root = tmp();
  const images = path.join(root, 'images');
  await writeExampleImages(images, { perClass: 8, classes: 3, size: 40 });
  const meta = path.join(root, 'meta');
  const f = await toWsolFolder(images, meta);
  assert.deepEqual(f.counts, { train: 18, val: 6 });
  assert.deepEqual(f.classNames, ['bars', 'columns', 'cross']);
  assert.equal(fs.readFileSync(path.join(meta, 'class_names.txt'), 'utf8'), 'bars\ncolumns\ncross\n');
  const ds = await openWsolFolder(meta, images);
  assert.equal(ds.items('train').length, 18);
  assert.equal(ds.items('val').length, 6);
  const listed = new Map((await readBoxesCsv(images)).map((im) => [im.file, im]));
  for (const item of [...ds.items('train'), ...ds.items('val')]) {
    const src = [...listed.values()].find((im) => item.id.endsWith(im.file) || item.id === im.file)!;
    assert.ok(src, `item ${item.id} comes from boxes.csv`);
    assert.equal(ds.classNames[item.label], src.label);
    assert.deepEqual(item.boxes, src.boxes);
  }
  // The same again: kept; the split does not depend on the order of boxes.csv's lines.
  assert.deepEqual(await toWsolFolder(images, meta), f);
  const val = fs.readFileSync(path.join(meta, 'val', 'image_ids.txt'), 'utf8');
  const csv = fs.readFileSync(path.join(images, 'boxes.csv'), 'utf8').trim().split('\n');
  fs.writeFileSync(path.join(images, 'boxes.csv'), [csv[0], ...csv.slice(1).reverse()].join('\n') + '\n');
  const meta2 = path.join(root, 'meta2');
  await toWsolFolder(images, meta2);
  assert.equal(fs.readFileSync(path.join(meta2, 'val', 'image_ids.txt'), 'utf8').split('\n').sort().join('\n'), val.split('\n').sort().join('\n'));
  // A metadata folder of yours is refused, untouched.
  const yours = path.join(root, 'my-meta');
  fs.mkdirSync(yours);
  fs.writeFileSync(path.join(yours, 'train.txt'), 'mine');
  await assert.rejects(toWsolFolder(images, yours), /did not write \(train\.txt\)/);
  assert.deepEqual(fs.readdirSync(yours), ['train.txt']);
});

test('boxes.csv errors name the file and line', async () => {
  const root = tmp();
  await sharp({ create: { width: 20, height: 10, channels: 3, background: '#888' } }).png().toFile(path.join(root, 'a.png'));
  const csv = path.join(root, 'boxes.csv');
  const cases: [string, RegExp][] = [
    ['name,x\n', /boxes\.csv:1: the first line must be the header/],
    ['file,label,x0,y0,x1,y1\na.png,cat,0,0,25,5\n', /boxes\.csv:2: box 0,0,25,5 lies outside the 20x10 image a\.png/],
    ['file,label,x0,y0,x1,y1\nb.png,cat,0,0,5,5\n', /boxes\.csv:2: image .*b\.png not found/],
    ['file,label,x0,y0,x1,y1\na.png,cat,5,0,2,5\n', /boxes\.csv:2: x1 < x0/],
    ['file,label,x0,y0,x1,y1\na.png,cat,0,0,5,5\na.png,dog,1,1,2,2\n', /boxes\.csv:3: a\.png is labelled "dog" here and "cat"/],
    ['file,label,x0,y0,x1,y1\n../a.png,cat,0,0,5,5\n', /boxes\.csv:2: "\.\.\/a\.png" must be a path inside/],
  ];
  for (const [text, error] of cases) {
    fs.writeFileSync(csv, text);
    await assert.rejects(readBoxesCsv(root), error);
  }
  fs.writeFileSync(csv, 'file,label,x0,y0,x1,y1\na.png,cat,0,0,5,5\n');
  await assert.rejects(toWsolFolder(root, path.join(root, 'meta')), /one class only \("cat"\)/);
});
