import { test } from 'node:test';
import assert from 'node:assert/strict';
import { branchCoverage, branchCoverageFigure, branchCoverageTable, meanBranchCoverage } from '../../src/viz/branch-coverage';
import { branchCoverageFindings } from '../../src/viz/findings';

/** A 4x4 map that is 1 on the given columns, 0 elsewhere. */
const columns = (on: number[]) => ({ width: 4, height: 4, data: Float32Array.from({ length: 16 }, (_, p) => (on.includes(p % 4) ? 1 : 0)) });

test('branch coverage by hand: A on the left half of the object, B on the right half', () => {
  const gt = { x0: 0, y0: 0, x1: 3, y1: 3 }; // the whole 4x4 image
  const c = branchCoverage(columns([0, 1]), columns([2, 3]), 4, 4, gt, 0.5);
  assert.deepEqual(c, { recallA: 0.5, recallB: 0.5, recallUnion: 1, overlap: 0 });
  const same = branchCoverage(columns([0, 1]), columns([0, 1]), 4, 4, gt, 0.5);
  assert.deepEqual(same, { recallA: 0.5, recallB: 0.5, recallUnion: 0.5, overlap: 1 });
  // A on columns 0-2, B on 1-3, the object columns 1-2 only: each covers the whole object; overlap 2/4.
  const part = branchCoverage(columns([0, 1, 2]), columns([1, 2, 3]), 4, 4, { x0: 1, y0: 0, x1: 2, y1: 3 }, 0.5);
  assert.deepEqual(part, { recallA: 1, recallB: 1, recallUnion: 1, overlap: 0.5 });
  assert.deepEqual(meanBranchCoverage([c, same]), { recallA: 0.5, recallB: 0.5, recallUnion: 0.75, overlap: 0.5 });
});

test('the findings call the branches complementary only when the union adds clearly over the better one', () => {
  assert.match(branchCoverageFindings({ recallA: 0.5, recallB: 0.5, recallUnion: 1, overlap: 0 }, 0.5, 10, true)[1], /50 points more .* do find different parts/);
  const same = branchCoverageFindings({ recallA: 0.5, recallB: 0.45, recallUnion: 0.52, overlap: 0.8 }, 0.5, 10, true)[1];
  assert.match(same, /adds only 2 points .* mostly cover the same region \(their regions overlap heavily\)/);
  assert.match(branchCoverageFindings({ recallA: 0.3, recallB: 0.2, recallUnion: 0.35, overlap: 0.1 }, 0.5, 3, true)[0], /over 3 validation images at threshold 0\.5: A's region covers 30% of the object, B's 20%, the two together 35%; .* IoU 10%/);
});

test('at chance the findings claim nothing about the branches', () => {
  const said = branchCoverageFindings({ recallA: 0.5, recallB: 0.5, recallUnion: 1, overlap: 0 }, 0.5, 10, false);
  assert.equal(said.length, 2);
  assert.doesNotMatch(said.join(' '), /do find different parts|same region/);
  assert.match(said[1], /at or near chance/);
});

test('the coverage figure draws the union, each branch and the overlap per epoch', () => {
  const f = branchCoverageFigure([{ epoch: 0, step: 0, images: 2, recallA: 0.1, recallB: 0.2, recallUnion: 0.3, overlap: 0.05 }, { epoch: 1, step: 4, images: 2, recallA: 0.4, recallB: 0.5, recallUnion: 0.7, overlap: 0.2 }], 0.5);
  assert.deepEqual(f.data.map((d) => d.y), [[30, 70], [10, 40], [20, 50], [5, 20]]);
  assert.deepEqual(f.data[0].x, [0, 1]);
});

test('the per-image table has a row per image', () => {
  const t = branchCoverageTable([{ label: 'p0', coverage: { recallA: 0.5, recallB: 0.25, recallUnion: 0.75, overlap: 0 } }]);
  assert.equal(t.split('\n').length, 3);
  assert.match(t, /\| p0 \| 50% \| 25% \| 75% \| 0% \|/);
});
