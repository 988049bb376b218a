/**
 * What the two branches' maps cover on the full image: each map (resized to the image, min-max
 * normalised) thresholded into a region; how much of the object each region and their union
 * cover, and how much the two regions overlap. A union that covers clearly more of the object than
 * either branch alone is the complementarity the method is after.
 */
import type { Box, ScoreMap } from '../common/box';
import { normalizeScoreMap, resizeScoreMap } from '../localize/score-map';
import type { FigureSpec } from './figures';

export interface BranchCoverage {
  /** Share of the GT box above the threshold in A's map, B's map, and either. */
  recallA: number;
  recallB: number;
  recallUnion: number;
  /** IoU of A's and B's regions (1: the same region; 0: disjoint). */
  overlap: number;
}

export interface BranchCoverageRow extends BranchCoverage {
  epoch: number;
  step: number;
  images: number;
}

const inside = (b: Box, x: number, y: number) => x >= b.x0 && x <= b.x1 && y >= b.y0 && y <= b.y1;

/** Coverage of one image's GT box by the two maps at `threshold` (inclusive pixel box). */
export function branchCoverage(mapA: ScoreMap, mapB: ScoreMap, width: number, height: number, gt: Box, threshold: number): BranchCoverage {
  const a = normalizeScoreMap(resizeScoreMap(mapA, width, height)).data;
  const b = normalizeScoreMap(resizeScoreMap(mapB, width, height)).data;
  let gtArea = 0, inA = 0, inB = 0, inU = 0, both = 0, either = 0;
  for (let y = 0; y < height; y++) {
    for (let x = 0; x < width; x++) {
      const p = y * width + x;
      const ra = a[p] >= threshold, rb = b[p] >= threshold;
      if (ra && rb) both++;
      if (ra || rb) either++;
      if (inside(gt, x, y)) {
        gtArea++;
        if (ra) inA++;
        if (rb) inB++;
        if (ra || rb) inU++;
      }
    }
  }
  const r = (n: number) => (gtArea > 0 ? n / gtArea : 0);
  return { recallA: r(inA), recallB: r(inB), recallUnion: r(inU), overlap: either > 0 ? both / either : 0 };
}

export function meanBranchCoverage(list: BranchCoverage[]): BranchCoverage {
  const m = (f: (c: BranchCoverage) => number) => (list.length ? list.reduce((s, c) => s + f(c), 0) / list.length : 0);
  return { recallA: m((c) => c.recallA), recallB: m((c) => c.recallB), recallUnion: m((c) => c.recallUnion), overlap: m((c) => c.overlap) };
}

/** The four shares per epoch (epoch 0 = before training when recorded). */
export function branchCoverageFigure(rows: BranchCoverageRow[], threshold: number): FigureSpec {
  const x = rows.map((r) => r.epoch);
  const line = (name: string, y: number[], dash?: string) => ({ type: 'scatter', mode: 'lines+markers', name, x, y, line: dash ? { dash } : {} });
  return {
    data: [
      line('A∪B covers (of the object)', rows.map((r) => 100 * r.recallUnion)),
      line('A alone', rows.map((r) => 100 * r.recallA)),
      line('B alone', rows.map((r) => 100 * r.recallB)),
      line('overlap of A and B (IoU)', rows.map((r) => 100 * r.overlap), 'dot'),
    ],
    layout: {
      title: { text: `The two branches on the full image, validation mean (threshold ${threshold})` },
      xaxis: { title: { text: 'epoch' }, dtick: 1 },
      yaxis: { title: { text: '%' }, range: [0, 100] },
      height: 340,
      legend: { orientation: 'h', y: -0.25 },
    },
  };
}

/** A Markdown table of per-image coverage (e.g. the probes). */
export function branchCoverageTable(rows: { label: string; coverage: BranchCoverage }[]): string {
  const p = (v: number) => `${(100 * v).toFixed(0)}%`;
  return ['| image | A covers | B covers | A∪B covers | overlap of A and B |', '| --- | --- | --- | --- | --- |', ...rows.map((r) => `| ${r.label} | ${p(r.coverage.recallA)} | ${p(r.coverage.recallB)} | ${p(r.coverage.recallUnion)} | ${p(r.coverage.overlap)} |`)].join('\n');
}
