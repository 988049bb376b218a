/**
 * Region agreement of every recorded map with the ground truth over training, from a run's
 * snapshots.json: recall, background coverage and IoU side by side, one line per map kind.
 */
import type { SnapshotFile } from '../train/snapshot-types';
import type { FigureSpec } from './figures';
import { scoreMapOf } from './probe-overlay';
import { meanAgreement, regionAgreement, type RegionAgreement } from './region-agreement';

export const MAP_KINDS = [
  ['branchA', 'branch A'],
  ['branchB', 'branch B'],
  ['fused', 'fusion target T'],
  ['full', 'full image'],
] as const;
export type MapKind = (typeof MAP_KINDS)[number][0];

export interface AgreementRow {
  step: number;
  epoch: number;
  /** Mean over the probes, per map kind (absent kinds are missing). */
  maps: Partial<Record<MapKind, RegionAgreement>>;
}

/** One row per snapshot, averaged over the probes, at `threshold` on the min-max normalised map. */
export function agreementOverTraining(file: SnapshotFile, threshold: number): AgreementRow[] {
  const size = file.inputSize;
  return file.snapshots.map((s) => {
    const maps: AgreementRow['maps'] = {};
    for (const [kind] of MAP_KINDS) {
      if (s.probes.some((p) => p[kind] === null)) continue;
      maps[kind] = meanAgreement(s.probes.map((p, i) => regionAgreement(scoreMapOf(p[kind] as number[], s.mapWidth, s.mapHeight), size, file.probes[i]?.boxes ?? [], threshold)));
    }
    return { step: s.step, epoch: s.epoch, maps };
  });
}

const COLOURS: Record<MapKind, string> = { branchA: '#1f77b4', branchB: '#ff7f0e', fused: '#2ca02c', full: '#d62728' };

/** Three panels (recall, background coverage, IoU with GT) against the training step. */
export function agreementFigure(rows: AgreementRow[], threshold: number): FigureSpec {
  const x = rows.map((r) => r.step);
  const metrics: [keyof RegionAgreement, string][] = [
    ['recall', 'GT pixels covered (recall) %'],
    ['background', 'background pixels covered %'],
    ['iou', 'IoU with the GT region %'],
  ];
  const data: Record<string, unknown>[] = [];
  metrics.forEach(([metric], j) => {
    for (const [kind, name] of MAP_KINDS) {
      if (!rows.some((r) => r.maps[kind])) continue;
      data.push({
        type: 'scatter',
        mode: 'lines+markers',
        name,
        legendgroup: kind,
        showlegend: j === 0,
        line: { color: COLOURS[kind] },
        x,
        y: rows.map((r) => (r.maps[kind] ? 100 * r.maps[kind]![metric] : null)),
        xaxis: `x${j === 0 ? '' : j + 1}`,
        yaxis: `y${j === 0 ? '' : j + 1}`,
      });
    }
  });
  const layout: Record<string, unknown> = {
    title: { text: `Thresholded maps (>= ${threshold}) against the ground-truth box, mean over probes` },
    grid: { rows: 1, columns: 3, pattern: 'independent', xgap: 0.12 },
    height: 360,
    legend: { orientation: 'h', y: -0.25 },
  };
  metrics.forEach(([, title], j) => {
    const a = j === 0 ? '' : String(j + 1);
    layout[`xaxis${a}`] = { title: { text: 'step' } };
    layout[`yaxis${a}`] = { title: { text: title }, range: [0, 100] };
  });
  return { data, layout };
}
