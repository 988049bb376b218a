import { test } from 'node:test';
import assert from 'node:assert/strict';
import * as figures from '../../src/viz/figures';
import { figureHtml, resetFigureSession, showFigure } from '../../src/viz/notebook-display';
import type { CoverageRow, EpochRecord, SnapshotFile } from '../../src/train/snapshot-types';

const record = (epoch: number, loss: number): EpochRecord => ({
  epoch,
  steps: 10 * (epoch + 1),
  loss,
  terms: {},
  trainAcc: 50,
  valTop1Cls: 40 + epoch,
  valGtKnownLoc: 30 + epoch,
  valMaxBoxAccV2: 20 + epoch,
  imagesPerSec: 100,
  seconds: 1,
});

test('training curves: loss on the left axis, three validation series on the right', () => {
  const spec = figures.trainingCurves([record(0, 2.5), record(1, 1.5), record(2, 1)]);
  assert.equal(spec.data.length, 4);
  assert.deepEqual(spec.data[0].y, [2.5, 1.5, 1]);
  assert.deepEqual(spec.data[0].x, [0, 1, 2]);
  assert.deepEqual(spec.data[3].y, [20, 21, 22]);
  assert.deepEqual(spec.data.map((d) => d.yaxis), ['y', 'y2', 'y2', 'y2']);
  assert.equal((spec.layout.yaxis2 as { overlaying: string }).overlaying, 'y');
});

function snapshotFile(twoBranch: boolean): SnapshotFile {
  const maps = (v: number) => [v, v, v, 1 - v]; // 2 x 2
  const snap = (epoch: number, step: number, v: number) => ({
    epoch,
    step,
    mapWidth: 2,
    mapHeight: 2,
    probes: [
      {
        probeId: 'p0',
        branchA: twoBranch ? maps(v) : null,
        branchB: twoBranch ? maps(v / 2) : null,
        fused: twoBranch ? maps(v) : null,
        full: maps(v / 4),
        maskA: twoBranch ? [1, 0, 0, 1] : null,
      },
    ],
  });
  return {
    method: twoBranch ? 'ours' : 'cam',
    inputSize: 8,
    probes: [{ id: 'p0', label: 1, className: 'bird', boxes: [], pngDataUrl: '' }],
    snapshots: [snap(-1, 0, 0.2), snap(0, 5, 0.6), snap(1, 10, 1)],
    coverage: [],
  };
}

test('attention evolution: one heatmap per map, one frame per snapshot, slider and play button', () => {
  const spec = figures.attentionEvolution(snapshotFile(true));
  assert.equal(spec.data.length, 4);
  assert.deepEqual(spec.data.map((d) => d.type), ['heatmap', 'heatmap', 'heatmap', 'heatmap']);
  assert.deepEqual(spec.data.map((d) => d.xaxis), ['x', 'x2', 'x3', 'x4']);
  assert.equal((spec.layout.yaxis as { autorange: string }).autorange, 'reversed'); // first subplot's axis is 'yaxis', not 'yaxis1'
  assert.equal((spec.layout.yaxis4 as { scaleanchor: string }).scaleanchor, 'x4');
  // The initial view is the last snapshot, reshaped row-major to 2 x 2.
  assert.deepEqual(spec.data[0].z, [[1, 1], [1, 0]]);
  assert.deepEqual(spec.data[3].z, [[0.25, 0.25], [0.25, 0.75]]);
  assert.equal(spec.frames?.length, 3);
  assert.deepEqual(spec.frames?.map((f) => f.name), ['init', 'epoch 1, step 5', 'epoch 2, step 10']);
  assert.deepEqual(spec.frames?.[1].data[1].z, [[0.3, 0.3], [0.3, 0.7]]);
  assert.deepEqual(spec.frames?.[0].traces, [0, 1, 2, 3]);
  const slider = (spec.layout.sliders as { active: number; steps: { args: unknown[] }[] }[])[0];
  assert.equal(slider.active, 2);
  assert.deepEqual(slider.steps.map((s) => (s.args[0] as string[])[0]), spec.frames?.map((f) => f.name));
  const buttons = (spec.layout.updatemenus as { buttons: { label: string }[] }[])[0].buttons;
  assert.deepEqual(buttons.map((b) => b.label), ['play', 'pause']);
});

test('attention evolution: single-branch methods show only the full-image map; bad input throws', () => {
  const spec = figures.attentionEvolution(snapshotFile(false));
  assert.equal(spec.data.length, 1);
  assert.equal(spec.data[0].name, 'full image');
  assert.throws(() => figures.attentionEvolution(snapshotFile(true), 3), /probeIndex 3 is out of range \(the run has 1 probes\)/);
  assert.throws(() => figures.attentionEvolution({ ...snapshotFile(true), snapshots: [] }), /no snapshots/);
});

test('coverage: percentages per epoch, null series dropped', () => {
  const rows: CoverageRow[] = [
    { epoch: 0, threshold: 0.2, branchA: 0.1, branchB: 0.2, union: 0.3, full: 0.25 },
    { epoch: 1, threshold: 0.2, branchA: 0.2, branchB: 0.4, union: 0.5, full: 0.45 },
  ];
  const spec = figures.coverageFigure(rows);
  assert.deepEqual(spec.data.map((d) => d.name), ['branch A', 'branch B', 'union of A and B', 'full image']);
  assert.deepEqual(spec.data[2].y, [30, 50]);
  assert.deepEqual(spec.data[0].x, [1, 2]);
  const single = figures.coverageFigure(rows.map((r) => ({ ...r, branchA: null, branchB: null, union: null })));
  assert.deepEqual(single.data.map((d) => d.name), ['full image']);
});

test('complementary masks: B is the exact complement of A', () => {
  const spec = figures.complementaryMasksFigure([1, 0, 0, 1, 1, 1], 3, 2);
  assert.equal(spec.data.length, 2);
  assert.deepEqual(spec.data[0].z, [[1, 0, 0], [1, 1, 1]]);
  assert.deepEqual(spec.data[1].z, [[0, 1, 1], [0, 0, 0]]);
  assert.deepEqual(spec.data.map((d) => [d.xaxis, d.yaxis]), [['x', 'y'], ['x2', 'y2']]);
  assert.throws(() => figures.complementaryMasksFigure([1, 0], 3, 2), /mask has 2 values for 3x2/);
});

test('threshold sweep: GT-known plus one dotted curve per IoU threshold', () => {
  const spec = figures.thresholdSweepFigure({
    curves: { thresholds: [0, 0.5], gtKnown: [10, 60], boxAccV2: [[20, 70], [5, 50], [0, 10]] } as never,
    maxBoxAccV2PerIou: [70, 50, 10],
  });
  assert.equal(spec.data.length, 4);
  assert.deepEqual(spec.data[0].y, [10, 60]);
  assert.deepEqual(spec.data.slice(1).map((d) => d.name), ['all regions, IoU 0.3', 'all regions, IoU 0.5', 'all regions, IoU 0.7']);
  assert.deepEqual(spec.data[3].y, [0, 10]);
});

test('results table: columns in order, numbers to one decimal, missing values as n/a', () => {
  const spec = figures.resultsTable([
    { method: 'cam', acc: 51.26, pxap: null },
    { method: 'ours', acc: 60, pxap: Number.NaN },
  ]);
  assert.equal(spec.data.length, 1);
  const t = spec.data[0] as { type: string; header: { values: string[] }; cells: { values: string[][] } };
  assert.equal(t.type, 'table');
  assert.deepEqual(t.header.values, ['method', 'acc', 'pxap']);
  assert.deepEqual(t.cells.values, [['cam', 'ours'], ['51.3', '60.0'], ['n/a', 'n/a']]);
});

test('figure HTML: plotly bundled once (no CDN), data escaped, returned outside a kernel', () => {
  resetFigureSession();
  const spec = { data: [{ type: 'scatter', y: [1, 2], name: '</script><b>' }], layout: { height: 200 } };
  const first = figureHtml(spec);
  const second = figureHtml(spec);
  assert.match(first, /window\.define = undefined/);
  assert.ok(first.length > 1_000_000, 'the first figure carries the plotly bundle');
  assert.ok(second.length < 2_000, 'later figures do not');
  // Inline scripts only: nothing is fetched (plotly's own cdn.plot.ly default is for geo maps only).
  assert.deepEqual([...new Set(first.match(/<script\b[^>]*>/g))], ['<script>']);
  // Only the 3 loader scripts and 1 draw script may close: no "</script" leaks from the data or bundle.
  assert.equal(first.match(/<\/script>/g)?.length, 4);
  assert.equal(second.match(/<\/script>/g)?.length, 1);
  assert.match(second, /\\u003c\/script>\\u003cb>/);
  // Outside tslab, showFigure returns standalone HTML each time (each carries the bundle).
  resetFigureSession();
  const a = showFigure(spec);
  const b = showFigure(spec);
  assert.ok(a && b && a.length > 1_000_000 && b.length > 1_000_000);
});
