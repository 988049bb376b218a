import assert from 'node:assert/strict';
import { execFileSync } from 'node:child_process';
import * as fs from 'node:fs';
import * as path from 'node:path';
import { test } from 'node:test';
import { cubBoxToInclusive, openCub } from '../../src/data/cub';
import { md5File } from '../../src/data/download';
import { datasetEntry, openDataset } from '../../src/data/datasets';
import { serveBytes, startServer, tempDir, writeImage, writeMask } from './fixtures';

/** A miniature CUB_200_2011 folder: 3 classes x 4 images, ids 1..12, every 4th image a test image. */
async function writeCub(parent: string): Promise<string> {
  const root = path.join(parent, 'CUB_200_2011');
  const classes = ['001.Black_footed_Albatross', '002.Laysan_Albatross', '003.Sooty_Albatross'];
  const images: string[] = [];
  const labels: string[] = [];
  const split: string[] = [];
  const boxes: string[] = [];
  for (let id = 1; id <= 12; id++) {
    const cls = Math.floor((id - 1) / 4);
    const rel = `${classes[cls]}/img_${id}.jpg`;
    await writeImage(path.join(root, 'images', rel), 40 + id, 30, id, 'jpeg');
    images.push(`${id} ${rel}`);
    labels.push(`${id} ${cls + 1}`);
    split.push(`${id} ${id % 4 === 0 ? 0 : 1}`);
    boxes.push(`${id} 2.0 3.0 ${10 + id}.0 20.0`);
  }
  await writeMask(path.join(root, 'segmentations', classes[0], 'img_1.png'), 41, 30, { x0: 2, y0: 3, x1: 12, y1: 22 });
  const w = (f: string, lines: string[]) => fs.writeFileSync(path.join(root, f), lines.join('\n') + '\n');
  w('images.txt', images);
  w('image_class_labels.txt', labels);
  w('train_test_split.txt', split);
  w('bounding_boxes.txt', boxes);
  w('classes.txt', classes.map((c, k) => `${k + 1} ${c}`));
  return root;
}

test('cubBoxToInclusive: x, y, w, h -> inclusive columns x .. x + w - 1, clamped', () => {
  assert.deepEqual(cubBoxToInclusive(60, 27, 325, 304, 500, 400), { x0: 60, y0: 27, x1: 384, y1: 330 });
  assert.deepEqual(cubBoxToInclusive(0, 0, 500, 400, 500, 400), { x0: 0, y0: 0, x1: 499, y1: 399 });
  assert.deepEqual(cubBoxToInclusive(10.4, 5.6, 20.2, 10, 500, 400), { x0: 10, y0: 6, x1: 30, y1: 15 });
});

test('cub: official files -> splits, labels, boxes, sizes, segmentation mask, seeded val split', async () => {
  const root = await writeCub(tempDir('cub'));
  const ds = await openCub(root, { cacheSizes: false });
  assert.deepEqual(ds.classNames, ['Black_footed_Albatross', 'Laysan_Albatross', 'Sooty_Albatross']);
  assert.equal(ds.items('train').length, 9);
  assert.deepEqual(ds.items('test').map((i) => i.id), ['001.Black_footed_Albatross/img_4.jpg', '002.Laysan_Albatross/img_8.jpg', '003.Sooty_Albatross/img_12.jpg']);
  const first = ds.items('train')[0];
  assert.deepEqual([first.label, first.width, first.height, first.hasMask], [0, 41, 30, true]);
  assert.deepEqual(first.boxes, [{ x0: 2, y0: 3, x1: 12, y1: 22 }]);
  const mask = (await ds.loadMask(first))!;
  assert.equal(mask.reduce((a, b) => a + b, 0), 11 * 20);
  assert.equal((await ds.loadImage(ds.items('test')[2])).width, 52);

  const withVal = await openCub(root, { valPerClass: 1, seed: 5, cacheSizes: true });
  assert.equal(withVal.items('val').length, 3);
  assert.equal(withVal.items('train').length, 6);
  assert.deepEqual(withVal.items('val').map((i) => i.label), [0, 1, 2]);
  assert.ok(fs.existsSync(path.join(root, '.wsol-image-sizes.txt')));
  const again = await openDataset(`cub:${root}`, { valPerClass: 1, seed: 5 });
  assert.deepEqual(again.items('val').map((i) => i.id), withVal.items('val').map((i) => i.id));
});

test('cub: bad files give errors naming the file and line', async () => {
  const cases: [string, (s: string) => string, RegExp][] = [
    ['image_class_labels.txt', (s) => s.replace('5 2', '5 9'), /image_class_labels\.txt:5: unknown class id 9 \(classes\.txt has 1\.\.3\)/],
    ['bounding_boxes.txt', (s) => s.replace('3 2.0 3.0 13.0 20.0', '3 2.0 3.0 90.0 20.0'), /bounding_boxes\.txt:3: box \(2, 3, 90, 20\) lies outside the 43x30 image/],
    ['images.txt', (s) => s.replace('2 001', '1 001'), /images\.txt:2: duplicate image id 1/],
    ['train_test_split.txt', (s) => s.replace('7 1', '7 2'), /train_test_split\.txt:7: expected 1 \(train\) or 0 \(test\), got "2"/],
    ['bounding_boxes.txt', (s) => s.replace('6 2.0 3.0 16.0 20.0\n', ''), /images\.txt:6 \(image id 6\): no entry in bounding_boxes\.txt/],
  ];
  for (const [file, change, expected] of cases) {
    const root = await writeCub(tempDir('cubbad'));
    fs.writeFileSync(path.join(root, file), change(fs.readFileSync(path.join(root, file), 'utf8')));
    await assert.rejects(openCub(root, { cacheSizes: false }), expected, file);
  }
  await assert.rejects(openCub(tempDir('nocub')), /CUB-200-2011 not found: .*images\.txt is missing/);
});

test('prepare cub: download (resumed) from a local server, md5 check, safe extraction, open', async () => {
  const src = tempDir('cubsrc');
  await writeCub(src);
  const archive = path.join(src, 'CUB_200_2011.tgz');
  execFileSync('tar', ['czf', archive, '-C', src, 'CUB_200_2011']);
  const body = fs.readFileSync(archive);
  const md5 = await md5File(archive);
  let cut = true;
  const server = await startServer((req, res) => {
    if (cut) {
      // First request: half the bytes, then the connection drops.
      cut = false;
      res.writeHead(200, { 'content-length': body.length });
      res.write(body.subarray(0, 5000), () => res.destroy());
      return;
    }
    serveBytes(body, res, req.headers.range);
  });
  try {
    const dataRoot = tempDir('cubdata');
    const opts = { dataRoot, urls: { cub: `${server.url}/CUB_200_2011.tgz` }, md5s: { cub: md5 } };
    await assert.rejects(datasetEntry('cub').prepare!(opts), /interrupted|stopped at 5000/);
    assert.equal(fs.statSync(path.join(dataRoot, 'CUB_200_2011.tgz.part')).size, 5000);
    const logs: string[] = [];
    const summary = await datasetEntry('cub').prepare!({ ...opts, onLog: (m) => logs.push(m) });
    assert.equal(server.requests[1].range, 'bytes=5000-');
    assert.ok(logs.some((l) => /resumed at 5000/.test(l)), logs.join('\n'));
    assert.match(summary, /cub: 3 classes, train 9, val 0, test 3/);
    assert.ok(!fs.existsSync(path.join(dataRoot, 'CUB_200_2011.tgz')), 'archive removed after extraction');
    assert.equal(datasetEntry('cub').locate!(dataRoot).present, true);
  } finally {
    await server.close();
  }
});
