/**
 * Plotly figure specs as plain data ({ data, layout, frames? }): training curves, attention evolution,
 * complementary-region coverage, complementary masks, threshold sweeps, the results table.
 */
import type { LocalizationMetrics } from '../localize/localization-evaluator';
import type { CoverageRow, EpochRecord, SnapshotFile } from '../train/snapshot-types';

/** A plotly figure as plain JSON-able data, drawn with `Plotly.newPlot(div, { data, layout, frames })`. */
export interface FigureSpec {
  data: Record<string, unknown>[];
  layout: Record<string, unknown>;
  frames?: { name: string; data: Record<string, unknown>[]; traces?: number[] }[];
}

/** Plotly names subplot axes x, x2, x3... (not x1): the suffix for 1-based subplot i. */
const ax = (i: number): string => (i === 1 ? '' : String(i));

/** Square, top-down image axes for heatmap subplot i (row 0 at the top, no stretching). */
function imageAxes(layout: Record<string, unknown>, i: number): void {
  layout[`xaxis${ax(i)}`] = { showticklabels: false, constrain: 'domain' };
  layout[`yaxis${ax(i)}`] = { autorange: 'reversed', scaleanchor: `x${ax(i)}`, constrain: 'domain', showticklabels: false };
}

const to2d = (flat: number[], w: number, h: number): number[][] => Array.from({ length: h }, (_, y) => flat.slice(y * w, (y + 1) * w));

export function trainingCurves(history: EpochRecord[]): FigureSpec {
  const x = history.map((r) => r.epoch);
  return {
    data: [
      { type: 'scatter', mode: 'lines+markers', name: 'train loss', x, y: history.map((r) => r.loss), yaxis: 'y' },
      { type: 'scatter', mode: 'lines+markers', name: 'val Top-1 Cls %', x, y: history.map((r) => r.valTop1Cls), yaxis: 'y2' },
      { type: 'scatter', mode: 'lines+markers', name: 'val GT-known Loc %', x, y: history.map((r) => r.valGtKnownLoc), yaxis: 'y2' },
      { type: 'scatter', mode: 'lines+markers', name: 'val MaxBoxAccV2 %', x, y: history.map((r) => r.valMaxBoxAccV2), yaxis: 'y2' },
    ],
    layout: {
      title: { text: 'Training' },
      xaxis: { title: { text: 'epoch' } },
      yaxis: { title: { text: 'loss' } },
      yaxis2: { title: { text: '%' }, overlaying: 'y', side: 'right', range: [0, 100] },
      height: 360,
    },
  };
}

const PANELS = [
  ['branchA', 'branch A (image A)'],
  ['branchB', 'branch B (image B)'],
  ['fused', 'fusion target T'],
  ['full', 'full image'],
] as const;

/**
 * Heatmaps of one probe's maps (branch A, branch B, their union, full image) in subplots, with
 * one animation frame per snapshot, a slider and a play button. Single-branch methods have only
 * the full-image panel.
 */
export function attentionEvolution(file: SnapshotFile, probeIndex = 0): FigureSpec {
  if (file.snapshots.length === 0) throw new Error('attentionEvolution: the run has no snapshots');
  if (!(Number.isInteger(probeIndex) && probeIndex >= 0 && probeIndex < file.snapshots[0].probes.length)) {
    throw new Error(`attentionEvolution: probeIndex ${probeIndex} is out of range (the run has ${file.snapshots[0].probes.length} probes)`);
  }
  const panels = PANELS.filter(([key]) => file.snapshots[0].probes[probeIndex][key] !== null);
  const mapsAt = (k: number) =>
    panels.map(([key]) => {
      const s = file.snapshots[k];
      return to2d(s.probes[probeIndex][key] as number[], s.mapWidth, s.mapHeight);
    });
  const label = (k: number) => {
    const s = file.snapshots[k];
    return s.epoch < 0 ? 'init' : `epoch ${s.epoch + 1}, step ${s.step}`;
  };
  const last = file.snapshots.length - 1;
  const data = mapsAt(last).map((z, i) => ({
    type: 'heatmap',
    z,
    zmin: 0,
    zmax: 1,
    colorscale: 'Jet',
    showscale: i === panels.length - 1,
    name: panels[i][1],
    xaxis: `x${ax(i + 1)}`,
    yaxis: `y${ax(i + 1)}`,
  }));
  const frames = file.snapshots.map((_, k) => ({
    name: label(k),
    data: mapsAt(k).map((z) => ({ type: 'heatmap', z })),
    traces: panels.map((_p, i) => i),
  }));
  // Heatmaps need redraw: true to repaint during an animation.
  const go = (names: string[] | null, duration: number) => [names, { mode: 'immediate', frame: { duration, redraw: true }, transition: { duration: 0 } }];
  const probe = file.probes[probeIndex];
  const layout: Record<string, unknown> = {
    title: { text: `Attention on probe ${probe?.id ?? probeIndex}${probe ? ` (${probe.className})` : ''}` },
    grid: { rows: 1, columns: panels.length, pattern: 'independent' },
    annotations: panels.map(([, title], i) => ({ text: title, showarrow: false, xref: `x${ax(i + 1)} domain`, yref: `y${ax(i + 1)} domain`, x: 0.5, y: 1.12 })),
    height: 380,
    updatemenus: [
      {
        type: 'buttons',
        showactive: false,
        x: 0,
        y: -0.12,
        xanchor: 'left',
        buttons: [
          { label: 'play', method: 'animate', args: go(null, 400) },
          { label: 'pause', method: 'animate', args: go([], 0) },
        ],
      },
    ],
    sliders: [
      {
        active: last,
        x: 0.15,
        len: 0.85,
        currentvalue: { prefix: 'snapshot: ' },
        steps: frames.map((f) => ({ label: f.name, method: 'animate', args: go([f.name], 0) })),
      },
    ],
  };
  panels.forEach((_, i) => imageAxes(layout, i + 1));
  return { data, layout, frames };
}

/** Per epoch: fraction of the ground-truth region covered by each thresholded map. */
export function coverageFigure(rows: CoverageRow[]): FigureSpec {
  const x = rows.map((r) => r.epoch + 1);
  const series: [keyof CoverageRow, string][] = [['branchA', 'branch A'], ['branchB', 'branch B'], ['union', 'union of A and B'], ['full', 'full image']];
  return {
    data: series
      .filter(([k]) => rows.some((r) => r[k] !== null))
      .map(([k, name]) => ({ type: 'scatter', mode: 'lines+markers', name, x, y: rows.map((r) => (r[k] === null ? null : 100 * (r[k] as number))) })),
    layout: {
      title: { text: `Coverage of the ground-truth region (map >= ${rows[0]?.threshold ?? ''})` },
      xaxis: { title: { text: 'epoch' } },
      yaxis: { title: { text: '% of GT pixels covered' }, range: [0, 100] },
      height: 340,
    },
  };
}

/** Side by side: the complementary keep-masks of A and B (black = visible in that image). */
export function complementaryMasksFigure(maskA: number[], width: number, height: number): FigureSpec {
  if (maskA.length !== width * height) throw new Error(`complementaryMasksFigure: mask has ${maskA.length} values for ${width}x${height}`);
  const a = to2d(maskA, width, height);
  const b = a.map((row) => row.map((v) => 1 - v));
  const heat = (z: number[][], i: number) => ({ type: 'heatmap', z, zmin: 0, zmax: 1, colorscale: 'Greys', reversescale: true, showscale: false, xaxis: `x${ax(i)}`, yaxis: `y${ax(i)}` });
  const layout: Record<string, unknown> = {
    title: { text: 'Complementary keep-masks: black = visible in image A (left) / image B (right)' },
    grid: { rows: 1, columns: 2, pattern: 'independent' },
    height: 340,
  };
  imageAxes(layout, 1);
  imageAxes(layout, 2);
  return { data: [heat(a, 1), heat(b, 2)], layout };
}

/** Accuracy against the CAM threshold: GT-known (largest region) and each IoU of MaxBoxAccV2. */
export function thresholdSweepFigure(metrics: Pick<LocalizationMetrics, 'curves' | 'maxBoxAccV2PerIou'>, iouThresholds = [0.3, 0.5, 0.7]): FigureSpec {
  const x = metrics.curves.thresholds;
  return {
    data: [
      { type: 'scatter', mode: 'lines', name: 'GT-known (IoU 0.5, largest region)', x, y: metrics.curves.gtKnown },
      ...metrics.curves.boxAccV2.map((y, i) => ({ type: 'scatter', mode: 'lines', name: `all regions, IoU ${iouThresholds[i] ?? i}`, x, y, line: { dash: 'dot' } })),
    ],
    layout: { title: { text: 'Box accuracy vs CAM threshold' }, xaxis: { title: { text: 'CAM threshold' } }, yaxis: { title: { text: 'accuracy %' }, range: [0, 100] }, height: 340 },
  };
}

/** A plotly table of result rows (numbers to one decimal). */
export function resultsTable(rows: Record<string, unknown>[], columns?: string[]): FigureSpec {
  const cols = columns ?? Object.keys(rows[0] ?? {});
  const cell = (v: unknown) => (typeof v === 'number' ? (Number.isFinite(v) ? v.toFixed(1) : 'n/a') : v === null || v === undefined ? 'n/a' : String(v));
  return {
    data: [{ type: 'table', header: { values: cols, align: 'left' }, cells: { values: cols.map((c) => rows.map((r) => cell(r[c]))), align: 'left' } }],
    layout: { height: 80 + 28 * rows.length, margin: { t: 10, b: 10, l: 10, r: 10 } },
  };
}
