import assert from 'node:assert/strict';
import { test } from 'node:test';
import * as tf from '@tensorflow/tfjs-core';
import { initBackend } from '../../src/backend/select';
import { batches, denormalize, type Batch, type BatchOptions } from '../../src/data/batches';
import type { Dataset, DatasetItem } from '../../src/data/dataset';
import { partsDataset } from '../../src/data/parts-dataset';
import { main } from '../../src/cli/main';

/** A hand-made dataset: item k is a solid colour (k*20, 100, 200) of size 8x8 with box (2,1)-(5,6). */
function solidDataset(n: number, bad: Set<number> = new Set()): Dataset {
  const items: DatasetItem[] = Array.from({ length: n }, (_, k) => ({ id: `i${k}`, label: k % 3, width: 8, height: 8, boxes: [{ x0: 2, y0: 1, x1: 5, y1: 6 }], hasMask: true }));
  return {
    name: 'solid',
    classNames: ['a', 'b', 'c'],
    hasMasks: true,
    items: (split) => (split === 'train' ? items : []),
    loadImage: async (item) => {
      const k = Number(item.id.slice(1));
      if (bad.has(k)) throw new Error(`cannot decode ${item.id}`);
      const data = new Uint8Array(8 * 8 * 3);
      for (let p = 0; p < 64; p++) data.set([k * 20, 100, 200], p * 3);
      return { width: 8, height: 8, data };
    },
    loadMask: async () => {
      const m = new Uint8Array(64);
      for (let y = 1; y <= 6; y++) for (let x = 2; x <= 5; x++) m[y * 8 + x] = 1;
      return m;
    },
  };
}

async function collect(ds: Dataset, opts: BatchOptions): Promise<Batch[]> {
  const out: Batch[] = [];
  for await (const b of batches(ds, 'train', opts)) out.push(b);
  return out;
}

const EVAL: BatchOptions = { batchSize: 4, imageSize: 16, augment: false, shuffle: false, seed: 0, epoch: 0 };

test('eval batches: plain resize, ImageNet normalisation, boxes and masks scaled, no tensor leak', async () => {
  await initBackend('cpu');
  const before = tf.memory().numTensors;
  const got = await collect(solidDataset(6), EVAL);
  assert.deepEqual(got.map((b) => b.ids), [['i0', 'i1', 'i2', 'i3'], ['i4', 'i5']]);
  assert.deepEqual([...got[0].labels], [0, 1, 2, 0]);
  const px = got[0].images.dataSync();
  // Item 1 is (20, 100, 200): normalised by hand.
  const expect = [(20 / 255 - 0.485) / 0.229, (100 / 255 - 0.456) / 0.224, (200 / 255 - 0.406) / 0.225];
  for (let c = 0; c < 3; c++) assert.ok(Math.abs(px[16 * 16 * 3 + 7 * 3 + c] - expect[c]) < 1e-5);
  // 8 -> 16 px: box columns 2..5 become 4..11, rows 1..6 become 2..13.
  assert.deepEqual(got[0].boxes[0], [{ x0: 4, y0: 2, x1: 11, y1: 13 }]);
  const m = got[0].masks[0]!;
  assert.equal(m.reduce((a, b) => a + b, 0), 8 * 12);
  assert.equal(m[2 * 16 + 4], 1);
  assert.equal(m[1 * 16 + 4], 0);
  const bytes = await denormalize(got[0].images);
  assert.deepEqual([...bytes.subarray(16 * 16 * 3, 16 * 16 * 3 + 3)], [20, 100, 200]);
  got.forEach((b) => b.images.dispose());
  assert.equal(tf.memory().numTensors, before);
});

test('train batches: reproducible per (seed, epoch), epochs differ, flips mirror boxes and masks, prefetch depth does not matter', async () => {
  await initBackend('cpu');
  const ds = partsDataset({ sizes: { train: 24, val: 0, test: 0 }, imageSize: 32 });
  const opts: BatchOptions = { batchSize: 8, imageSize: 32, augment: true, shuffle: true, seed: 7, epoch: 2, limit: 20 };
  const a = await collect(ds, opts);
  const b = await collect(ds, { ...opts, prefetch: 1 });
  const c = await collect(ds, { ...opts, epoch: 3 });
  assert.deepEqual(a.map((x) => x.images.shape[0]), [8, 8, 4]);
  assert.deepEqual(a.map((x) => x.ids), b.map((x) => x.ids));
  assert.deepEqual(a[0].images.dataSync(), b[0].images.dataSync());
  assert.notDeepEqual(a.map((x) => x.ids), c.map((x) => x.ids));
  for (const batch of a) {
    for (let i = 0; i < batch.ids.length; i++) {
      // The mask's extent equals the transformed box (parts boxes are the mask's bounding box).
      const m = batch.masks[i]!;
      let x0 = 99, y0 = 99, x1 = -1, y1 = -1;
      for (let p = 0; p < m.length; p++) if (m[p]) { const x = p % 32, y = (p - x) / 32; x0 = Math.min(x0, x); y0 = Math.min(y0, y); x1 = Math.max(x1, x); y1 = Math.max(y1, y); }
      const box = batch.boxes[i][0];
      // Scaling can round the box outwards by one pixel relative to nearest-neighbour masks.
      assert.ok(Math.abs(box.x0 - x0) <= 1 && Math.abs(box.x1 - x1) <= 1 && Math.abs(box.y0 - y0) <= 1 && Math.abs(box.y1 - y1) <= 1, `${batch.ids[i]}: box ${JSON.stringify(box)} vs mask ${x0},${y0},${x1},${y1}`);
    }
  }
  [...a, ...b, ...c].forEach((x) => x.images.dispose());
});

test('bad items: an error names the item; skipBad skips with a warning; an empty split is an error', async () => {
  await initBackend('cpu');
  const ds = solidDataset(5, new Set([1, 3]));
  await assert.rejects(collect(ds, EVAL), /cannot decode i1/);
  const warnings: string[] = [];
  const got = await collect(ds, { ...EVAL, skipBad: true, onWarning: (m) => warnings.push(m) });
  assert.deepEqual(got.map((b) => b.ids), [['i0', 'i2'], ['i4']]);
  assert.deepEqual(warnings, ['solid: skipping "i1": cannot decode i1', 'solid: skipping "i3": cannot decode i3']);
  got.forEach((b) => b.images.dispose());
  await assert.rejects(async () => {
    for await (const b of batches(ds, 'val', EVAL)) b.images.dispose();
  }, /solid: the val split is empty/);
});

test('wsol data list --json and bad subcommands', async () => {
  const chunks: string[] = [];
  const write = process.stdout.write.bind(process.stdout);
  process.stdout.write = ((s: string) => (chunks.push(String(s)), true)) as typeof process.stdout.write;
  let code: number;
  try {
    code = await main(['data', 'list', '--json', '--data-root', '/nonexistent-wsol']);
  } finally {
    process.stdout.write = write;
  }
  assert.equal(code, 0);
  const entries = JSON.parse(chunks.join('')) as { name: string; present: boolean; where: string }[];
  assert.deepEqual(entries.map((e) => e.name), ['parts', 'fashion-clutter', 'cub', 'vgg16']);
  assert.equal(entries[2].present, false);
  assert.equal(entries[2].where, '/nonexistent-wsol/CUB_200_2011');
  const errs: string[] = [];
  const ewrite = process.stderr.write.bind(process.stderr);
  process.stderr.write = ((s: string) => (errs.push(String(s)), true)) as typeof process.stderr.write;
  try {
    assert.equal(await main(['data', 'frobnicate']), 2);
    assert.equal(await main(['data', 'prepare']), 2);
  } finally {
    process.stderr.write = ewrite;
  }
  assert.match(errs.join(''), /unknown subcommand "frobnicate"/);
  assert.match(errs.join(''), /needs a name: parts, fashion-clutter, cub or vgg16/);
});
