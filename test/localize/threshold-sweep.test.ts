import { test } from 'node:test';
import assert from 'node:assert/strict';
import type { Box, ScoreMap } from '../../src/common/box';
import { Rng } from '../../src/common/rng';
import { bestIou } from '../../src/localize/boxes';
import { binarize, regionBox, type BoxConvention } from '../../src/localize/connected-regions';
import { findContours, largestContour } from '../../src/localize/contours';
import { normalizeScoreMap, thresholdList } from '../../src/localize/score-map';
import { sweepBoxes } from '../../src/localize/threshold-sweep';

/** Smooth bumps plus noise, optionally quantised to a few levels (plateaus, ties, many merges). */
function randomMap(rng: Rng, w: number, h: number, levels: number): ScoreMap {
  const data = new Float32Array(w * h);
  const bumps = Array.from({ length: 1 + rng.int(4) }, () => ({ x: rng.next() * w, y: rng.next() * h, s: 1 + rng.next() * 5, a: rng.next() }));
  for (let y = 0; y < h; y++) {
    for (let x = 0; x < w; x++) {
      let v = 0.3 * rng.next();
      for (const b of bumps) v += b.a * Math.exp(-((x - b.x) ** 2 + (y - b.y) ** 2) / (2 * b.s * b.s));
      data[y * w + x] = v;
    }
  }
  const m = normalizeScoreMap({ width: w, height: h, data });
  if (levels > 0) for (let i = 0; i < m.data.length; i++) m.data[i] = Math.round(m.data[i] * levels) / levels;
  return m;
}

function randomBox(rng: Rng, w: number, h: number): Box {
  const x0 = rng.int(w);
  const y0 = rng.int(h);
  return { x0, y0, x1: x0 + rng.int(w - x0), y1: y0 + rng.int(h - y0) };
}

test('the sweep (one tracer, traced only where the cut changes, inside the on-pixels\' rectangle) equals a fresh trace at every threshold', () => {
  const rng = new Rng(7);
  const thresholds = thresholdList(0.05);
  let checked = 0;
  for (let k = 0; k < 60; k++) {
    // Include degenerate shapes: single rows and columns.
    const w = k % 10 === 0 ? 1 : 3 + rng.int(30);
    const h = k % 10 === 5 ? 1 : 3 + rng.int(30);
    const m = randomMap(rng, w, h, k % 3 === 0 ? 4 : 0);
    const gt = [randomBox(rng, w, h), randomBox(rng, w, h)];
    const convention: BoxConvention = k % 2 === 0 ? 'wsolevaluation' : 'inclusive';
    const fast = sweepBoxes(m, thresholds, gt, convention);
    thresholds.forEach((t, i) => {
      const contours = findContours(binarize(m, t), w, h);
      const where = `map ${k} (${w}x${h}) t=${t}`;
      if (contours.length === 0) {
        assert.deepEqual(fast.largestBoxes[i], { x0: 0, y0: 0, x1: 0, y1: 0 }, where);
        assert.equal(fast.contourCounts[i], 1, where);
        assert.equal(fast.anyIou[i], bestIou({ x0: 0, y0: 0, x1: 0, y1: 0 }, gt), where);
        return;
      }
      const boxes = contours.map((c) => regionBox(c, w, h, convention));
      assert.equal(fast.contourCounts[i], contours.length, `${where}: contour count`);
      assert.equal(fast.anyIou[i], Math.max(...boxes.map((b) => bestIou(b, gt))), `${where}: any-contour IoU`);
      assert.deepEqual(fast.largestBoxes[i], boxes[largestContour(contours)], `${where}: largest box`);
      assert.equal(fast.largestIou[i], bestIou(fast.largestBoxes[i], gt), `${where}: largest IoU`);
      checked++;
    });
  }
  assert.ok(checked > 500, `only ${checked} non-empty cases`);
});

test('thresholds in any order, repeated, or at/above 1', () => {
  const m: ScoreMap = { width: 3, height: 1, data: Float32Array.from([0.2, 1, 0.6]) };
  const gt = [{ x0: 1, y0: 0, x1: 1, y1: 0 }];
  const r = sweepBoxes(m, [0.7, 0.1, 0.7, 1, 1.5], gt, 'inclusive');
  assert.deepEqual(r.largestBoxes, [
    { x0: 1, y0: 0, x1: 1, y1: 0 },
    { x0: 0, y0: 0, x1: 2, y1: 0 },
    { x0: 1, y0: 0, x1: 1, y1: 0 },
    { x0: 0, y0: 0, x1: 0, y1: 0 },
    { x0: 0, y0: 0, x1: 0, y1: 0 },
  ]);
  assert.throws(() => sweepBoxes(m, [Number.NaN], gt), /threshold must be a finite number, got NaN/);
  assert.throws(() => sweepBoxes(m, [-0.5], gt), /threshold -0.5 is negative/);
});
