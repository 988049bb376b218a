import { test } from 'node:test';
import assert from 'node:assert/strict';
import type { ScoreMap } from '../../src/common/box';
import { BoxEvaluator } from '../../src/localize/box-evaluator';
import { ClassicLocEvaluator } from '../../src/localize/classic-loc-evaluator';
import { LocalizationEvaluator } from '../../src/localize/localization-evaluator';
import { PxapEvaluator } from '../../src/localize/pxap-evaluator';

const box = (x0: number, y0: number, x1: number, y1: number) => ({ x0, y0, x1, y1 });

/** 10x10 pyramid: 1 on [4..5]^2, 0.5 on the ring [2..7]^2, 0 elsewhere. */
function pyramid(): ScoreMap {
  const data = new Float32Array(100);
  for (let y = 2; y <= 7; y++) for (let x = 2; x <= 7; x++) data[y * 10 + x] = x >= 4 && x <= 5 && y >= 4 && y <= 5 ? 1 : 0.5;
  return { width: 10, height: 10, data };
}
// Inclusive boxes of the pyramid: q(0.5) = 127, so for t < 0.5 (cut = floor(255 t) < 127) the box
// is the 36-pixel [2,2,7,7]; for t >= 0.5 (cut >= 127) the 4-pixel core [4,4,5,5].
// Samples (GT box, rank of the GT class) and the IoUs of the big / small box:
//   s1 [2,2,7,7] rank 0: 1     / 4/36
//   s2 [4,4,5,5] rank 3: 4/36  / 1
//   s3 [3,3,6,6] rank 0: 16/36 / 4/16
//   s4 [2,2,6,6] rank 6: 25/36 / 4/25
const SAMPLES = [
  { gt: box(2, 2, 7, 7), rank: 0 },
  { gt: box(4, 4, 5, 5), rank: 3 },
  { gt: box(3, 3, 6, 6), rank: 0 },
  { gt: box(2, 2, 6, 6), rank: 6 },
];

test('BoxEvaluator: MaxBoxAcc and MaxBoxAccV2 curves on the pyramid, by hand', () => {
  const ev = new BoxEvaluator({ thresholdStep: 0.25, boxConvention: 'inclusive' });
  for (const s of SAMPLES) ev.accumulate(pyramid(), [s.gt]);
  const r = ev.compute();
  // IoU >= 0.5 with the big box (t = 0, 0.25): s1 (1), s4 (0.694); with the small (t = 0.5, 0.75): s2.
  assert.deepEqual(r.curves.thresholds, [0, 0.25, 0.5, 0.75]);
  assert.deepEqual(r.curves.largest, [50, 50, 25, 25]);
  assert.equal(r.maxBoxAcc, 50);
  assert.equal(r.maxBoxAccThreshold, 0);
  // One region per threshold, so all-regions = largest here. IoU 0.3: + s3 (0.444) -> 75 / 25;
  // IoU 0.7: s1 only / s2 only -> 25 / 25 (first maximum: t = 0).
  assert.deepEqual(r.curves.allRegions, [[75, 75, 25, 25], [50, 50, 25, 25], [25, 25, 25, 25]]);
  assert.deepEqual(r.perIou, [
    { iou: 0.3, accuracy: 75, threshold: 0 },
    { iou: 0.5, accuracy: 50, threshold: 0 },
    { iou: 0.7, accuracy: 25, threshold: 0 },
  ]);
  assert.equal(r.maxBoxAccV2, 50);
});

test('MaxBoxAccV2 counts any region; MaxBoxAcc only the largest', () => {
  // Big region (12 px, [0..3]x[0..2]) and a small one (2 px, [7..8]x[5]); the GT is the small one.
  const data = new Float32Array(100);
  for (let y = 0; y <= 2; y++) for (let x = 0; x <= 3; x++) data[y * 10 + x] = 1;
  data[57] = data[58] = 0.8;
  const ev = new BoxEvaluator({ thresholdStep: 0.5, boxConvention: 'inclusive' });
  ev.accumulate({ width: 10, height: 10, data }, [box(7, 5, 8, 5)]);
  const r = ev.compute();
  // t = 0 and t = 0.5 (cut 127 < q(0.8) = 204): both regions on. Largest = big: IoU 0.
  assert.deepEqual(r.curves.largest, [0, 0]);
  assert.equal(r.maxBoxAcc, 0);
  assert.deepEqual(r.curves.allRegions, [[100, 100], [100, 100], [100, 100]]);
  assert.equal(r.maxBoxAccV2, 100);
  // Several GT boxes: the image counts when ANY matches (here the big region's box).
  const two = new BoxEvaluator({ thresholdStep: 0.5, boxConvention: 'inclusive' });
  two.accumulate({ width: 10, height: 10, data }, [box(7, 5, 8, 5), box(0, 0, 3, 2)]);
  assert.deepEqual(two.compute().curves.largest, [100, 100]);
});

test('ClassicLocEvaluator: GT-known / Top-1 / Top-5 Loc at a fixed (off-grid) and the best threshold', () => {
  // Fixed 0.6 is not on the grid [0, .25, .5, .75]: it is swept as its own threshold (cut 153:
  // small box). Correct there: s2 only (rank 3). Best grid threshold: t = 0 (s1, s4 correct).
  const ev = new ClassicLocEvaluator({ thresholdStep: 0.25, fixedThreshold: 0.6, boxConvention: 'inclusive' });
  for (const s of SAMPLES) ev.accumulate(pyramid(), [s.gt], s.rank);
  const r = ev.compute();
  assert.equal(r.top1Cls, 50); // s1, s3
  assert.equal(r.top5Cls, 75); // s1, s2, s3
  assert.deepEqual(r.fixed, { threshold: 0.6, gtKnownLoc: 25, top1Loc: 0, top5Loc: 25 });
  // At t = 0: s1 (rank 0) and s4 (rank 6) -> Top-1 Loc 25, Top-5 Loc 25.
  assert.deepEqual(r.best, { threshold: 0, gtKnownLoc: 50, top1Loc: 25, top5Loc: 25 });
  assert.deepEqual(r.curves.gtKnown, [50, 50, 25, 25]);
  assert.deepEqual(r.curves.top5Loc, [25, 25, 25, 25]);
});

test('PxAP on a tiny map with a known precision-recall curve; ignored pixels do not count', () => {
  // Scores 1 (fg), 0.75 (bg), 0.5 (fg), 0 (bg) and one ignored pixel (255) with score 0.9.
  // From the top: edge 2: nothing predicted (NaN); edges 1 .. 0.8: P = 1, R = 0.5;
  // 0.7, 0.6: P = 1/2, R = 0.5; 0.5 .. 0.1: P = 2/3, R = 1; 0: P = 1/2, R = 1.
  // AP = 1 * 0.5 + (2/3) * 0.5 = 5/6.
  const ev = new PxapEvaluator(0.1);
  ev.accumulate({ width: 5, height: 1, data: Float32Array.from([1, 0.75, 0.5, 0, 0.9]) }, Uint8Array.from([1, 0, 1, 0, 255]));
  const r = ev.compute();
  assert.ok(Math.abs(r.pxap - 250 / 3) < 1e-9, `pxap ${r.pxap}`);
  assert.equal(r.thresholds.length, 12);
  assert.deepEqual(r.thresholds.slice(0, 4), [2, 1, 0.9, 0.8]);
  assert.ok(Number.isNaN(r.precision[0]));
  const p = r.precision.slice(1).map((v) => Math.round(v * 1000) / 1000);
  assert.deepEqual(p, [1, 1, 1, 0.5, 0.5, 0.667, 0.667, 0.667, 0.667, 0.667, 0.5]);
  assert.deepEqual(r.recall, [0, 0.5, 0.5, 0.5, 0.5, 0.5, 1, 1, 1, 1, 1, 1]);
  // A perfect ranking gives 100; two images accumulate into one curve.
  const perfect = new PxapEvaluator(0.01);
  perfect.accumulate({ width: 2, height: 1, data: Float32Array.from([0.8, 0.2]) }, Uint8Array.from([1, 0]));
  perfect.accumulate({ width: 2, height: 1, data: Float32Array.from([0.3, 0.7]) }, Uint8Array.from([0, 1]));
  assert.equal(perfect.compute().pxap, 100);
  assert.throws(() => ev.accumulate({ width: 1, height: 1, data: Float32Array.from([1]) }, Uint8Array.from([7])), /mask value 7 at pixel 0,0/);
  assert.throws(() => new PxapEvaluator(0.1).compute(), /no sample/);
  const noFg = new PxapEvaluator(0.1);
  noFg.accumulate({ width: 1, height: 1, data: Float32Array.from([1]) }, Uint8Array.from([0]));
  assert.throws(() => noFg.compute(), /no foreground pixel/);
});

test('LocalizationEvaluator: one call per sample, all fields in percent', () => {
  const ev = new LocalizationEvaluator({ thresholdStep: 0.25, fixedThreshold: 0.6, boxConvention: 'inclusive', interpolation: 'bilinear' });
  for (const s of SAMPLES) ev.accumulate({ map: pyramid(), imageWidth: 10, imageHeight: 10, gtBoxes: [s.gt], gtRank: s.rank });
  const r = ev.compute();
  assert.equal(r.count, 4);
  assert.deepEqual([r.top1Cls, r.top5Cls, r.gtKnownLoc, r.top1Loc, r.top5Loc], [50, 75, 25, 0, 25]);
  assert.deepEqual([r.gtKnownLocBest, r.top1LocBest, r.top5LocBest, r.maxBoxAcc], [50, 25, 25, 50]);
  assert.equal(r.maxBoxAccV2, 50);
  assert.deepEqual(r.maxBoxAccV2PerIou, [75, 50, 25]);
  assert.equal(r.pxap, null);
  assert.deepEqual(r.thresholds, { fixed: 0.6, maxBoxAcc: 0, maxBoxAccV2: [0, 0, 0] });
  assert.deepEqual(r.curves.gtKnown, [50, 50, 25, 25]);
  assert.deepEqual(r.curves.iouThresholds, [0.3, 0.5, 0.7]);
  assert.deepEqual(r.curves.precision, []);
});

test('LocalizationEvaluator resizes low-resolution maps to the image (bilinear, by hand)', () => {
  // 2x2 map [[1,0],[0,0]] -> 4x4 with half-pixel centres: row 0 = [1, .75, .25, 0],
  // row 1 = [.75, .5625, .1875, 0], row 2 = [.25, .1875, .0625, 0], row 3 = 0.
  // t = 0.5 (cut 127): on = values >= 0.5625 -> [0,0,1,1]; t = 0: every value > 0 -> [0,0,2,2].
  const ev = new LocalizationEvaluator({ thresholdStep: 0.5, fixedThreshold: 0.5, boxConvention: 'inclusive', interpolation: 'bilinear' });
  const map = { width: 2, height: 2, data: Float32Array.from([7, 3, 3, 3]) }; // normalised to [[1,0],[0,0]]
  const mask = new Uint8Array(16);
  mask[0] = mask[1] = mask[4] = mask[5] = 1;
  ev.accumulate({ map, imageWidth: 4, imageHeight: 4, gtBoxes: [box(0, 0, 1, 1)], gtRank: 0, mask });
  const r = ev.compute();
  // IoU([0,0,2,2], [0,0,1,1]) = 4/9 at t = 0; 1 at t = 0.5.
  assert.deepEqual(r.curves.gtKnown, [0, 100]);
  assert.equal(r.gtKnownLoc, 100);
  // The four highest scores (1, .75, .75, .5625) are exactly the mask: PxAP 100.
  assert.equal(r.pxap, 100);
});

test('invalid input gives errors that name the field', () => {
  const ev = new LocalizationEvaluator();
  const map = { width: 2, height: 2, data: new Float32Array(4) };
  const base = { map, imageWidth: 4, imageHeight: 4, gtRank: 0, gtBoxes: [box(0, 0, 1, 1)] };
  assert.throws(() => ev.accumulate({ ...base, gtBoxes: [box(0, 0, 4, 1)] }), /sample 0: gtBoxes\[0\]: .*outside the 4x4 image/);
  assert.throws(() => ev.accumulate({ ...base, gtBoxes: [box(0, 0, 1, 1), box(2, 0, 1, 1)] }), /gtBoxes\[1\]: x1 < x0/);
  assert.throws(() => ev.accumulate({ ...base, mask: new Uint8Array(9) }), /mask has 9 pixels, the image 4x4 has 16/);
  assert.throws(() => ev.accumulate({ ...base, gtBoxes: [] }), /gtBoxes is empty/);
  assert.throws(() => ev.accumulate({ ...base, gtRank: -1 }), /gtRank must be an integer >= 0/);
  assert.throws(() => ev.accumulate({ ...base, imageWidth: 0 }), /imageWidth\/imageHeight must be positive integers/);
  assert.throws(() => ev.accumulate({ ...base, map: { width: 3, height: 2, data: new Float32Array(4) } }), /map data has 4 values for 3x2/);
  assert.throws(() => new LocalizationEvaluator({ thresholdStep: Number.NaN }), /threshold step must be in \(0, 1\), got NaN/);
  assert.throws(() => new LocalizationEvaluator({ fixedThreshold: Number.NaN }), /fixedThreshold must be in \[0, 1\), got NaN/);
  assert.throws(() => new LocalizationEvaluator({ iouThresholds: [0.5, Number.NaN] }), /iouThresholds\[1\] must be in \(0, 1\], got NaN/);
  assert.throws(() => new LocalizationEvaluator({ interpolation: 'area' as never }), /interpolation must be 'bilinear' or 'bicubic'/);
  assert.throws(() => ev.compute(), /no sample/);
  const boxes = new BoxEvaluator();
  assert.throws(() => boxes.accumulate({ width: 2, height: 1, data: Float32Array.from([0, 2]) }, [box(0, 0, 0, 0)]), /map: value 2 at pixel 1,0 is not in \[0, 1\]/);
  assert.throws(() => new ClassicLocEvaluator().accumulate({ width: 1, height: 1, data: Float32Array.from([1]) }, [box(0, 0, 0, 0)], 1.5), /gtRank must be an integer/);
});
