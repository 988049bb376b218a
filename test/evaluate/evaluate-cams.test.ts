// Score maps in wsolevaluation's layout: `wsol eval --save-cams` then `wsol eval --cams` gives
// the numbers of the direct evaluation; ground truth is rescaled as wsolevaluation does.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import * as fs from 'fs';
import * as os from 'os';
import * as path from 'path';
import * as tf from '@tensorflow/tfjs-core';
import { initBackend } from '../../src/backend/select';
import type { Dataset, DatasetItem } from '../../src/data/dataset';
import { partsDataset } from '../../src/data/parts-dataset';
import { decodeNpy } from '../../src/localize/npy';
import { createModel } from '../../src/method/registry';
import { groundTruthAt, parseEvalSize } from '../../src/evaluate/eval-ground-truth';
import { evaluateModel } from '../../src/evaluate/evaluate';
import { evaluateCamFolder } from '../../src/evaluate/evaluate-cams';
import { train } from '../../src/train/trainer';

const tmp = (name: string) => fs.mkdtempSync(path.join(os.tmpdir(), `wsol-${name}-`));

test('ground truth at the evaluation size: boxes int(x * new / old), masks cv2.INTER_NEAREST (floor(x * old / new))', async () => {
  const item: DatasetItem = { id: 'a', label: 0, width: 5, height: 4, boxes: [{ x0: 1, y0: 1, x1: 4, y1: 3 }], hasMask: true };
  // Mask columns 0..4 hold their index, rows are equal.
  const mask = Uint8Array.from({ length: 20 }, (_, i) => (i % 5 === 3 ? 1 : 0));
  const ds = { name: 'toy', loadMask: async () => mask } as unknown as Dataset;
  const gt = await groundTruthAt(ds, item, 8, 3);
  // x: 1 * 8 / 5 = 1.6 -> 1, 4 * 8 / 5 = 6.4 -> 6; y: 1 * 3 / 4 = 0.75 -> 0, 3 * 3 / 4 = 2.25 -> 2.
  assert.deepEqual(gt.boxes, [{ x0: 1, y0: 0, x1: 6, y1: 2 }]);
  // Destination column x samples floor(x * 5 / 8): 0 0 1 1 2 3 3 4 -> the 1s of source column 3 at x = 5, 6.
  assert.deepEqual(Array.from((gt.mask as Uint8Array).subarray(0, 8)), [0, 0, 0, 0, 0, 1, 1, 0]);
  assert.equal(parseEvalSize('224'), 224);
  assert.equal(parseEvalSize('original'), 'original');
  assert.throws(() => parseEvalSize('22.5'), /--eval-size must be a size in pixels \(1\.\.8192\), 'input' or 'original', got "22\.5"/);
});

test('--save-cams then --cams (library): same MaxBoxAcc, MaxBoxAccV2 and PxAP; float32 maps of the eval size in [0, 1]; no tensor leak', async () => {
  await initBackend();
  const ds = partsDataset({ imageSize: 40, sizes: { train: 1, val: 1, test: 24 } });
  const model = createModel({ method: 'cam', backbone: 'tiny', numClasses: ds.classNames.length, inputSize: 32, tinyWidth: 4, headWidth: 8 });
  const dir = tmp('cams');
  const before = tf.memory().numTensors;
  const { metrics } = await evaluateModel(model, ds, 'test', { imageSize: 32, batchSize: 8, limit: 0, locThreshold: 0.2, evalSize: 48, saveCams: dir });
  assert.equal(tf.memory().numTensors, before);
  model.net.dispose();
  const files = fs.readdirSync(path.join(dir, 'test'));
  assert.equal(files.length, 24);
  const arr = decodeNpy(fs.readFileSync(path.join(dir, 'test', '00000.npy')), '00000.npy');
  assert.equal(arr.dtype, 'float32');
  assert.deepEqual(arr.shape, [48, 48]);
  assert.equal(Math.min(...arr.values), 0);
  assert.equal(Math.max(...arr.values), 1);
  const back = await evaluateCamFolder(dir, ds, 'test', { evalSize: 48 });
  assert.equal(back.count, metrics.count);
  assert.equal(back.maxBoxAcc, metrics.maxBoxAcc);
  assert.equal(back.maxBoxAccV2, metrics.maxBoxAccV2);
  assert.deepEqual(back.maxBoxAccV2PerIou, metrics.maxBoxAccV2PerIou);
  assert.deepEqual(back.thresholds, { maxBoxAcc: metrics.thresholds.maxBoxAcc, maxBoxAccV2: metrics.thresholds.maxBoxAccV2 });
  assert.equal(back.pxap, metrics.pxap);
  // Maps of another size, or a missing map, are errors that name the file.
  await assert.rejects(evaluateCamFolder(dir, ds, 'test', { evalSize: 40 }), /00000\.npy: shape \(48, 48\), expected \(40, 40\) for image "test\/00000"/);
  fs.rmSync(path.join(dir, 'test', '00007.npy'));
  await assert.rejects(evaluateCamFolder(dir, ds, 'test', { evalSize: 48 }), /test\/00007\.npy: missing \(no score map for image "test\/00007"\)/);
});

test('wsol eval --run R --save-cams D and wsol eval --cams D (the CLI; D/wsol-cams.json supplies dataset, seed, split and size)', async () => {
  await initBackend();
  const run = path.join(tmp('run'), 'r');
  const r = await train(
    { method: 'cam', epochs: 1, imageSize: 32, batchSize: 8, limit: 16, evalLimit: 8, seed: 3, probes: 1, methodOptions: { tinyWidth: 4, headWidth: 8 } },
    { outDir: run, dataset: partsDataset({ seed: 3, sizes: { train: 16, val: 8, test: 8 } }) },
  );
  r.model.net.dispose();
  const cams = path.join(tmp('cli'), 'cams');
  const wsol = (...args: string[]) => spawnSync(process.execPath, [path.join(__dirname, '..', '..', 'bin', 'wsol.js'), 'eval', ...args], { encoding: 'utf8' });
  const direct = wsol('--run', run, '--limit', '20', '--save-cams', cams, '--eval-size', '50', '--json');
  assert.equal(direct.status, 0, direct.stderr);
  const a = JSON.parse(direct.stdout);
  assert.deepEqual(JSON.parse(fs.readFileSync(path.join(cams, 'wsol-cams.json'), 'utf8')), { dataset: 'parts', seed: 3, split: 'test', evalSize: 50, count: 20 });
  const again = wsol('--cams', cams, '--limit', '20', '--json');
  assert.equal(again.status, 0, again.stderr);
  const b = JSON.parse(again.stdout);
  for (const k of ['count', 'maxBoxAcc', 'maxBoxAccV2', 'maxBoxAccV2PerIou', 'pxap'] as const) assert.deepEqual(b[k], a[k], k);
  const text = wsol('--cams', cams, '--limit', '20');
  assert.match(text.stdout, new RegExp(`^maps in .* on parts \\(test, 20 images at 50x50\\): MaxBoxAcc ${a.maxBoxAcc.toFixed(2)}, MaxBoxAccV2 ${a.maxBoxAccV2.toFixed(2)} `));
  const wrongSplit = wsol('--cams', cams, '--split', 'val');
  assert.equal(wrongSplit.status, 1);
  assert.match(wrongSplit.stderr, /holds maps of the test split \(wsol-cams\.json\); pass --split test/);
  const noDataset = wsol('--cams', tmp('empty'));
  assert.match(noDataset.stderr, /wsol eval --cams needs --dataset \(.* has no wsol-cams\.json\)/);
  const both = wsol('--run', run, '--dataset', 'parts');
  assert.match(both.stderr, /--dataset goes with --cams/);
});
