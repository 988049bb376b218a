import { test } from 'node:test';
import assert from 'node:assert/strict';
import { meanAgreement, regionAgreement } from '../../src/viz/region-agreement';
import { agreementOverTraining } from '../../src/viz/agreement-figure';
import { maskedImage, predictedBox, scoreMapOf } from '../../src/viz/probe-overlay';
import type { SnapshotFile } from '../../src/train/snapshot-types';

// A 4x4 map at image size 8 (each map cell covers 2x2 pixels); only exact 0/1 values so resizing keeps them.
const onLeftHalf = scoreMapOf([1, 1, 0, 0, 1, 1, 0, 0, 1, 1, 0, 0, 1, 1, 0, 0], 4, 4);

test('recall, background and IoU of a thresholded map against a box, by hand', () => {
  // GT box: columns 0..5, rows 0..7 (48 pixels); map on: columns 0..3 (32 pixels, all inside the box).
  const a = regionAgreement(onLeftHalf, 8, [{ x0: 0, y0: 0, x1: 5, y1: 7 }], 0.5);
  assert.equal(a.recall, 32 / 48);
  assert.equal(a.background, 0);
  assert.equal(a.iou, 32 / 48);
  // GT box: columns 0..1 (16 pixels); map covers 16 more background pixels of 48.
  const b = regionAgreement(onLeftHalf, 8, [{ x0: 0, y0: 0, x1: 1, y1: 7 }], 0.5);
  assert.equal(b.recall, 1);
  assert.equal(b.background, 16 / 48);
  assert.equal(b.iou, 16 / 32);
});

test('a whole-image map has full recall but covers all the background', () => {
  const flatHigh = scoreMapOf([0, ...Array(15).fill(1)], 4, 4);
  const a = regionAgreement(flatHigh, 8, [{ x0: 2, y0: 2, x1: 5, y1: 5 }], 0.05);
  assert.equal(a.recall, 1);
  assert.ok(a.background > 0.9);
  assert.ok(a.iou < 0.3);
  assert.deepEqual(meanAgreement([{ recall: 1, background: 0, iou: 0.5 }, { recall: 0, background: 1, iou: 0.1 }]), { recall: 0.5, background: 0.5, iou: 0.3 });
});

test('the predicted box is the largest region of the resized map', () => {
  const box = predictedBox(onLeftHalf, 8, 8, 0.5);
  assert.equal(box.x0, 0);
  assert.equal(box.y0, 0);
  assert.ok(box.x1 >= 3 && box.x1 <= 4, `x1 ${box.x1}`);
  assert.ok(box.y1 >= 7);
});

test('maskedImage paints the hidden cells grey and keeps the visible ones', () => {
  const rgb = new Uint8Array(8 * 8 * 3).fill(10);
  const out = maskedImage({ width: 8, height: 8, rgb }, onLeftHalf);
  assert.equal(out.rgb[0], 10); // (0, 0) visible
  assert.equal(out.rgb[(0 * 8 + 7) * 3], 128); // (7, 0) hidden
  const other = maskedImage({ width: 8, height: 8, rgb }, onLeftHalf, 0);
  assert.equal(other.rgb[0], 128);
  assert.equal(rgb[(7) * 3], 10, 'input untouched');
});

test('agreement over training: one row per snapshot, map kinds only where recorded', () => {
  const maps = [1, 1, 0, 0, 1, 1, 0, 0, 1, 1, 0, 0, 1, 1, 0, 0];
  const file: SnapshotFile = {
    method: 'cam',
    inputSize: 8,
    probes: [{ id: 'p', label: 0, className: 'c', boxes: [{ x0: 0, y0: 0, x1: 1, y1: 7 }], pngDataUrl: '' }],
    snapshots: [0, 1].map((k) => ({ step: 10 * k, epoch: k - 1, mapWidth: 4, mapHeight: 4, probes: [{ probeId: 'p', branchA: null, branchB: null, fused: null, full: maps, maskA: null }] })),
    coverage: [],
  };
  const rows = agreementOverTraining(file, 0.5);
  assert.deepEqual(rows.map((r) => [r.step, Object.keys(r.maps)]), [[0, ['full']], [10, ['full']]]);
  assert.equal(rows[1].maps.full!.iou, 0.5);
});
