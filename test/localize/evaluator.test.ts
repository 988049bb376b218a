import { test } from 'node:test';
import assert from 'node:assert/strict';
import type { Box, ScoreMap } from '../../src/common/box';
import { Rng } from '../../src/common/rng';
import { bestIou } from '../../src/localize/boxes';
import { LocalizationEvaluator } from '../../src/localize/localization-evaluator';
import { thresholdList } from '../../src/localize/score-map';
import { quantize, sweepBoxes } from '../../src/localize/threshold-sweep';

/** Independent path: flood fill (8-connected) of q > cut at each threshold. */
function bruteForce(m: ScoreMap, thresholds: number[], gt: Box[]) {
  const { q, maxQ } = quantize(m);
  return thresholds.map((t) => {
    const cut = Math.floor(t * maxQ);
    const seen = new Uint8Array(q.length);
    const regions: { size: number; box: Box }[] = [];
    for (let s = 0; s < q.length; s++) {
      if (seen[s] || q[s] <= cut) continue;
      const stack = [s];
      seen[s] = 1;
      let size = 0;
      const box = { x0: m.width, y0: m.height, x1: -1, y1: -1 };
      while (stack.length) {
        const p = stack.pop()!;
        const x = p % m.width;
        const y = Math.floor(p / m.width);
        size++;
        box.x0 = Math.min(box.x0, x); box.y0 = Math.min(box.y0, y); box.x1 = Math.max(box.x1, x); box.y1 = Math.max(box.y1, y);
        for (let dy = -1; dy <= 1; dy++) for (let dx = -1; dx <= 1; dx++) {
          const xx = x + dx; const yy = y + dy;
          if (xx < 0 || yy < 0 || xx >= m.width || yy >= m.height) continue;
          const nb = yy * m.width + xx;
          if (!seen[nb] && q[nb] > cut) { seen[nb] = 1; stack.push(nb); }
        }
      }
      regions.push({ size, box: { x0: box.x0, y0: box.y0, x1: Math.min(box.x1 + 1, m.width - 1), y1: Math.min(box.y1 + 1, m.height - 1) } });
    }
    if (regions.length === 0) return { largestSize: 0, any: bestIou({ x0: 0, y0: 0, x1: 0, y1: 0 }, gt), largestIous: [bestIou({ x0: 0, y0: 0, x1: 0, y1: 0 }, gt)] };
    const maxSize = Math.max(...regions.map((r) => r.size));
    return {
      largestSize: maxSize,
      any: Math.max(...regions.map((r) => bestIou(r.box, gt))),
      // Any region of maximal size is an acceptable "largest" (ties).
      largestIous: regions.filter((r) => r.size === maxSize).map((r) => bestIou(r.box, gt)),
    };
  });
}

function smoothRandomMap(rng: Rng, w: number, h: number): ScoreMap {
  const data = new Float32Array(w * h);
  const bumps = Array.from({ length: 3 }, () => ({ x: rng.next() * w, y: rng.next() * h, s: 2 + rng.next() * 6, a: rng.next() }));
  for (let y = 0; y < h; y++) for (let x = 0; x < w; x++) {
    let v = 0.1 * rng.next();
    for (const b of bumps) v += b.a * Math.exp(-((x - b.x) ** 2 + (y - b.y) ** 2) / (2 * b.s * b.s));
    data[y * w + x] = v;
  }
  let max = 0;
  for (const v of data) max = Math.max(max, v);
  for (let i = 0; i < data.length; i++) data[i] /= max;
  return { width: w, height: h, data };
}

test('the union-find sweep agrees with a per-threshold flood fill on random maps', () => {
  const rng = new Rng(11);
  const thresholds = thresholdList(0.05);
  for (let k = 0; k < 25; k++) {
    const m = smoothRandomMap(rng, 17 + k, 13 + (k % 5));
    const gt: Box[] = [{ x0: 2, y0: 1, x1: 10, y1: 9 }, { x0: 5, y0: 3, x1: 14, y1: 11 }];
    const fast = sweepBoxes(m, thresholds, gt);
    const slow = bruteForce(m, thresholds, gt);
    thresholds.forEach((_, i) => {
      assert.ok(Math.abs(fast.anyIou[i] - slow[i].any) < 1e-12, `map ${k} threshold ${i}: any ${fast.anyIou[i]} vs ${slow[i].any}`);
      assert.ok(slow[i].largestIous.some((v) => Math.abs(v - fast.largestIou[i]) < 1e-12), `map ${k} threshold ${i}: largest`);
    });
  }
});

test('classic metrics and MaxBoxAcc on hand-made samples', () => {
  // A 10x10 image; the map is 1 inside [2..5]x[2..5] and 0 elsewhere: the box (wsolevaluation
  // convention) is [2,2,6,6] at every threshold.
  const data = new Float32Array(100);
  for (let y = 2; y <= 5; y++) for (let x = 2; x <= 5; x++) data[y * 10 + x] = 1;
  const m = { width: 10, height: 10, data };
  const ev = new LocalizationEvaluator({ thresholdStep: 0.1, fixedThreshold: 0.2 });
  // IoU([2,2,6,6], [2,2,6,6]) = 1: correct; ranked 0 -> Top-1 Loc.
  ev.accumulate({ map: m, imageWidth: 10, imageHeight: 10, gtBoxes: [{ x0: 2, y0: 2, x1: 6, y1: 6 }], gtRank: 0 });
  // IoU([2,2,6,6], [0,0,9,9]) = 25/100: wrong at IoU 0.5, right at 0.3? no (0.25 < 0.3).
  ev.accumulate({ map: m, imageWidth: 10, imageHeight: 10, gtBoxes: [{ x0: 0, y0: 0, x1: 9, y1: 9 }], gtRank: 1 });
  // Second GT box matches: counts as correct. Rank 3: top-5 but not top-1.
  ev.accumulate({ map: m, imageWidth: 10, imageHeight: 10, gtBoxes: [{ x0: 7, y0: 7, x1: 9, y1: 9 }, { x0: 2, y0: 2, x1: 6, y1: 5 }], gtRank: 3 });
  // Rank 7: not top-5.  IoU([2,2,6,6],[3,3,6,6]) = 16/25 = 0.64 -> correct at 0.3, 0.5, not 0.7.
  ev.accumulate({ map: m, imageWidth: 10, imageHeight: 10, gtBoxes: [{ x0: 3, y0: 3, x1: 6, y1: 6 }], gtRank: 7 });
  const r = ev.compute();
  assert.equal(r.count, 4);
  assert.equal(r.top1Cls, 25);
  assert.equal(r.top5Cls, 75);
  assert.equal(r.gtKnownLoc, 75); // samples 1, 3, 4
  assert.equal(r.top1Loc, 25);
  assert.equal(r.top5Loc, 50);
  assert.equal(r.maxBoxAcc, 75);
  // IoU 3rd sample: [2,2,6,6] vs [2,2,6,5] = 20/25 = 0.8 -> correct at 0.7 too.
  assert.deepEqual(r.maxBoxAccV2PerIou, [75, 75, 50]);
  assert.ok(Math.abs(r.maxBoxAccV2 - 200 / 3) < 1e-9);
  assert.equal(r.pxap, null);
  assert.equal(r.thresholds.fixed, 0.2);
});

test('PxAP on a tiny map with a known precision-recall curve', () => {
  // Scores 0.9 (fg), 0.7 (bg), 0.5 (fg), 0.1 (bg). Ranking: fg, bg, fg, bg.
  // PR points (descending threshold): (P=1,R=.5), (P=.5,R=.5), (P=2/3,R=1), (P=.5,R=1).
  // AP = sum P * dR = 1*0.5 + 0.5*0 + (2/3)*0.5 + 0.5*0 = 0.8333...
  const ev = new LocalizationEvaluator({ thresholdStep: 0.1 });
  const map = { width: 4, height: 1, data: Float32Array.from([0.9, 0.7, 0.5, 0.1]) };
  // Normalisation maps min..max to 0..1: [1, 0.75, 0.5, 0] keeps the order.
  ev.accumulate({ map, imageWidth: 4, imageHeight: 1, gtBoxes: [{ x0: 0, y0: 0, x1: 0, y1: 0 }], gtRank: 0, mask: Uint8Array.from([1, 0, 1, 0]) });
  const r = ev.compute();
  assert.ok(Math.abs((r.pxap as number) - 250 / 3) < 1e-9, `pxap ${r.pxap}`);
});

test('invalid input gives errors that name the field', () => {
  const ev = new LocalizationEvaluator();
  const map = { width: 2, height: 2, data: new Float32Array(4) };
  const base = { map, imageWidth: 4, imageHeight: 4, gtRank: 0 };
  assert.throws(() => ev.accumulate({ ...base, gtBoxes: [{ x0: 0, y0: 0, x1: 4, y1: 1 }] }), /gtBoxes\[0\].*outside the 4x4 image/);
  assert.throws(() => ev.accumulate({ ...base, gtBoxes: [{ x0: 2, y0: 0, x1: 1, y1: 1 }] }), /gtBoxes\[0\]: x1 < x0/);
  assert.throws(() => ev.accumulate({ ...base, gtBoxes: [{ x0: 0, y0: 0, x1: 1, y1: 1 }], mask: new Uint8Array(9) }), /mask has 9 pixels/);
  assert.throws(() => ev.accumulate({ ...base, gtBoxes: [] }), /gtBoxes is empty/);
  assert.throws(() => new LocalizationEvaluator({ thresholdStep: Number.NaN }), /threshold step must be in \(0, 1\)/);
  assert.throws(() => ev.compute(), /no sample/);
});
