import assert from 'node:assert/strict';
import * as fs from 'node:fs';
import * as path from 'node:path';
import { test } from 'node:test';
import * as zlib from 'node:zlib';
import { fashionClutterDataset, SYSTEM_FASHION_DIR } from '../../src/data/fashion-clutter';
import { parseIdx, readIdxFile, readIdxImagesAndLabels } from '../../src/data/idx';
import { idxBytes, tempDir, writeFashionFixture } from './fixtures';

test('parseIdx reads dims and data of a hand-made file', () => {
  const bytes = idxBytes(2051, [2, 2, 3], Uint8Array.from([1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 11, 12]));
  const idx = parseIdx(bytes, 'x.idx', 2051);
  assert.deepEqual(idx.dims, [2, 2, 3]);
  assert.equal(idx.magic, 2051);
  assert.deepEqual([...idx.data], [1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 11, 12]);
});

test('IDX errors: wrong magic, truncated data, truncated header, corrupt gzip name the file', () => {
  assert.throws(() => parseIdx(idxBytes(2049, [3], Uint8Array.from([1, 2, 3])), 'labels.idx', 2051), /labels\.idx: wrong IDX magic number 2049, expected 2051/);
  assert.throws(() => parseIdx(idxBytes(2051, [2, 28, 28], new Uint8Array(100)), 'img.idx'), /img\.idx: truncated IDX data: the header promises 2x28x28 = 1568 bytes, the file has 100/);
  assert.throws(() => parseIdx(Uint8Array.from([0, 0, 8, 3, 0, 0]), 'h.idx'), /h\.idx: truncated IDX header/);
  assert.throws(() => parseIdx(Uint8Array.from([0x1f, 0x8b, 8, 0, 0]), 'g.idx'), /g\.idx: not an unsigned-byte IDX file/);
  const dir = tempDir('idx');
  const gz = zlib.gzipSync(idxBytes(2049, [1000], new Uint8Array(1000)));
  fs.writeFileSync(path.join(dir, 'cut.gz'), gz.subarray(0, gz.length - 20));
  assert.throws(() => readIdxFile(path.join(dir, 'cut.gz')), /cut\.gz: corrupt or truncated gzip data/);
  assert.throws(() => readIdxFile(path.join(dir, 'missing.gz')), /IDX file not found: .*missing\.gz/);
  fs.writeFileSync(path.join(dir, 'a'), idxBytes(2051, [3, 28, 28], new Uint8Array(3 * 784)));
  fs.writeFileSync(path.join(dir, 'b'), idxBytes(2049, [2], new Uint8Array(2)));
  assert.throws(() => readIdxImagesAndLabels(path.join(dir, 'a'), path.join(dir, 'b')), /2 labels for 3 images/);
});

test('the Debian Fashion-MNIST files parse with the published counts', { skip: !fs.existsSync(SYSTEM_FASHION_DIR) && 'dataset-fashion-mnist not installed' }, () => {
  const train = readIdxImagesAndLabels(`${SYSTEM_FASHION_DIR}/train-images-idx3-ubyte.gz`, `${SYSTEM_FASHION_DIR}/train-labels-idx1-ubyte.gz`);
  assert.equal(train.count, 60000);
  assert.equal(train.rows, 28);
  assert.equal(train.labels[0], 9); // the first training item is an ankle boot
  const counts = new Array(10).fill(0);
  for (const l of train.labels) counts[l]++;
  assert.deepEqual(counts, new Array(10).fill(6000));
});

test('fashion-clutter: deterministic, boxes equal the mask extent, labels from the IDX file', async () => {
  const dir = tempDir('fashion');
  writeFashionFixture(dir, 120, 40);
  const sizes = { train: 20, val: 5, test: 10 };
  const a = fashionClutterDataset({ dir, sizes, seed: 3 });
  const b = fashionClutterDataset({ dir, sizes, seed: 3 });
  const c = fashionClutterDataset({ dir, sizes, seed: 4 });
  for (const split of ['train', 'val', 'test'] as const) {
    const items = a.items(split);
    assert.equal(items.length, sizes[split]);
    for (const [k, item] of items.entries()) {
      const img = await a.loadImage(item);
      assert.deepEqual(img.data, (await b.loadImage(b.items(split)[k])).data);
      const mask = (await a.loadMask(item))!;
      let x0 = 64, y0 = 64, x1 = -1, y1 = -1, n = 0;
      for (let p = 0; p < mask.length; p++) {
        if (!mask[p]) continue;
        n++;
        const x = p % 64, y = Math.floor(p / 64);
        x0 = Math.min(x0, x); y0 = Math.min(y0, y); x1 = Math.max(x1, x); y1 = Math.max(y1, y);
      }
      assert.deepEqual(item.boxes[0], { x0, y0, x1, y1 });
      // The fixture item is a filled square scaled by 1.2..2: nearly solid (bilinear corners fade).
      assert.ok(n >= 0.9 * (x1 - x0 + 1) * (y1 - y0 + 1) && x1 - x0 === y1 - y0, `mask of ${item.id} is not a square`);
      const side = x1 - x0 + 1;
      assert.ok(side >= 9 && side <= 40, `side ${side}`);
    }
  }
  // Labels: train item i uses source i (label i % 10); val starts at 5/6 of the file; test at 0 of t10k.
  assert.deepEqual(a.items('train').slice(0, 12).map((i) => i.label), [0, 1, 2, 3, 4, 5, 6, 7, 8, 9, 0, 1]);
  assert.equal(a.items('val')[0].label, 100 % 10);
  const first = Buffer.from((await a.loadImage(a.items('train')[0])).data);
  assert.ok(!first.equals(Buffer.from((await c.loadImage(c.items('train')[0])).data)), 'another seed gives another image');
  assert.throws(() => fashionClutterDataset({ dir, sizes: { train: 101, val: 0, test: 0 } }), /sizes\.train = 101 exceeds the 100 source images/);
  assert.throws(() => fashionClutterDataset({ dir: path.join(dir, 'nope') }), /Fashion-MNIST IDX files not found/);
});
