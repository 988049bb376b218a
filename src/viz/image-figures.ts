/**
 * Plotly figures made of images (PNG data URLs): a labelled grid (methods x probes, probes x
 * maps) and the attention-evolution slider drawn over the probe image.
 */
import type { SnapshotFile } from '../train/snapshot-types';
import { jet } from './colormap';
import type { FigureSpec } from './figures';
import { decodeRgb, maskedImage, pngDataUrl, probeOverlayPng, scoreMapOf, type ProbeOverlayOptions, type RgbImage } from './probe-overlay';

export interface GridCell {
  /** PNG data URL. */
  src: string;
  /** Shown under the image (e.g. a per-image number); optional. */
  caption?: string;
}

const axisName = (i: number) => (i === 1 ? '' : String(i));

/**
 * rows x columns of images, each in its own square subplot, with column titles on top and row
 * labels on the left. `cellPx` is the drawn size of one image.
 */
/** The overlays' colormap as a plotly colorscale (11 stops of the same jet the PNGs use). */
export const JET_COLORSCALE: [number, string][] = Array.from({ length: 11 }, (_, i) => [i / 10, `rgb(${jet(i / 10).join(',')})`]);

/**
 * An invisible heatmap whose only visible part is a colour bar: what the overlays' colours mean
 * (map value 0 to 1, min-max normalised per image).
 */
export function colorBarTrace(title = 'map value'): Record<string, unknown> {
  return {
    type: 'heatmap', z: [[0, 1]], colorscale: JET_COLORSCALE, zmin: 0, zmax: 1, opacity: 0, hoverinfo: 'skip', xaxis: 'x', yaxis: 'y',
    showscale: true, colorbar: { title: { text: title, side: 'right' }, thickness: 12, len: 0.8, x: 1.01 },
  };
}

export function imageGrid(rows: { label: string; cells: GridCell[] }[], columnTitles: string[], options: { title?: string; cellPx?: number; colorBar?: boolean } = {}): FigureSpec {
  const nRows = rows.length;
  const nCols = Math.max(columnTitles.length, ...rows.map((r) => r.cells.length));
  if (nRows === 0 || nCols === 0) throw new Error('imageGrid: no images');
  const cellPx = options.cellPx ?? 150;
  const data: Record<string, unknown>[] = [];
  const annotations: Record<string, unknown>[] = [];
  const layout: Record<string, unknown> = {
    grid: { rows: nRows, columns: nCols, pattern: 'independent', xgap: 0.06, ygap: 0.12 },
    height: 60 + nRows * (cellPx + 36),
    width: 140 + nCols * (cellPx + 12),
    margin: { l: 160, r: 10, t: options.title ? 60 : 30, b: 10 },
    showlegend: false,
  };
  if (options.title) layout.title = { text: options.title };
  rows.forEach((row, r) => {
    for (let c = 0; c < nCols; c++) {
      const i = r * nCols + c + 1;
      const cell = row.cells[c];
      layout[`xaxis${axisName(i)}`] = { visible: false, constrain: 'domain' };
      layout[`yaxis${axisName(i)}`] = { visible: false, scaleanchor: `x${axisName(i)}`, constrain: 'domain', autorange: 'reversed' };
      if (!cell) continue;
      data.push({ type: 'image', source: cell.src, xaxis: `x${axisName(i)}`, yaxis: `y${axisName(i)}`, hoverinfo: 'skip', name: `${row.label} / ${columnTitles[c] ?? c}` });
      if (cell.caption) annotations.push({ text: cell.caption, showarrow: false, xref: `x${axisName(i)} domain`, yref: `y${axisName(i)} domain`, x: 0.5, y: -0.02, yanchor: 'top', font: { size: 11 } });
      if (r === 0 && columnTitles[c]) annotations.push({ text: `<b>${columnTitles[c]}</b>`, showarrow: false, xref: `x${axisName(i)} domain`, yref: `y${axisName(i)} domain`, x: 0.5, y: 1.02, yanchor: 'bottom' });
      if (c === 0) annotations.push({ text: row.label, showarrow: false, xref: `x${axisName(i)} domain`, yref: `y${axisName(i)} domain`, x: -0.05, xanchor: 'right', y: 0.5 });
    }
  });
  layout.annotations = annotations;
  if (options.colorBar !== false) {
    data.push(colorBarTrace());
    layout.width = Number(layout.width) + 70;
    layout.margin = { ...(layout.margin as object), r: 80 };
  }
  return { data, layout };
}

const PANELS = [
  ['maskA', 'image A<br>(grey: hidden)'],
  ['branchA', 'branch A<br>on image A'],
  ['branchB', 'branch B<br>on image B'],
  ['fused', 'fusion<br>target T'],
  ['full', 'full image<br>(inference)'],
] as const;

type PanelKey = (typeof PANELS)[number][0];

/**
 * The probe's maps over training, drawn over its image: image A (what branch A saw), branch A,
 * branch B, their union and the full-image map, each with the GT box (green) and the predicted box
 * (red); one animation frame per snapshot with a slider. Single-branch methods show only the
 * full-image panel.
 */
export async function attentionOverImage(file: SnapshotFile, probeIndex = 0, options: Partial<ProbeOverlayOptions> = {}): Promise<FigureSpec> {
  if (file.snapshots.length === 0) throw new Error('attentionOverImage: the run has no snapshots');
  const probe = file.probes[probeIndex];
  if (!probe || !file.snapshots[0].probes[probeIndex]) throw new Error(`attentionOverImage: probe ${probeIndex} is out of range (the run has ${file.probes.length} probes)`);
  const image: RgbImage = await decodeRgb(probe.pngDataUrl);
  const first = file.snapshots[0].probes[probeIndex];
  const panels = PANELS.filter(([key]) => first[key] !== null);
  const frameImages = async (k: number): Promise<string[]> => {
    const s = file.snapshots[k];
    const maps = s.probes[probeIndex];
    const out: string[] = [];
    for (const [key] of panels) {
      const values = maps[key as PanelKey] as number[];
      const map = scoreMapOf(values, s.mapWidth, s.mapHeight);
      const png = key === 'maskA' ? await probeOverlayPng(maskedImage(image, map), null, probe.boxes, options) : await probeOverlayPng(image, map, probe.boxes, options);
      out.push(pngDataUrl(png));
    }
    return out;
  };
  const label = (k: number) => {
    const s = file.snapshots[k];
    return s.epoch < 0 ? 'init' : `epoch ${s.epoch + 1}, step ${s.step}`;
  };
  const all: string[][] = [];
  for (let k = 0; k < file.snapshots.length; k++) all.push(await frameImages(k));
  const last = file.snapshots.length - 1;
  const grid = imageGrid([{ label: '', cells: all[last].map((src) => ({ src })) }], panels.map(([, t]) => t), {
    title: `Probe ${probe.id} (${probe.className}): green = ground truth, red = predicted box`,
    cellPx: 170,
  });
  grid.layout.margin = { l: 10, r: 90, t: 90, b: 100 };
  grid.layout.height = 350;
  const go = (names: string[] | null, duration: number) => [names, { mode: 'immediate', frame: { duration, redraw: true }, transition: { duration: 0 } }];
  const frames = all.map((srcs, k) => ({ name: label(k), data: srcs.map((source) => ({ type: 'image', source })), traces: srcs.map((_, i) => i) }));
  grid.layout.updatemenus = [
    {
      type: 'buttons',
      showactive: false,
      x: 0,
      y: -0.08,
      xanchor: 'left',
      buttons: [
        { label: 'play', method: 'animate', args: go(null, 500) },
        { label: 'pause', method: 'animate', args: go([], 0) },
      ],
    },
  ];
  grid.layout.sliders = [{ active: last, x: 0.15, len: 0.8, y: -0.02, pad: { r: 40, t: 10 }, currentvalue: { prefix: 'snapshot: ' }, steps: frames.map((f) => ({ label: f.name, method: 'animate', args: go([f.name], 0) })) }];
  return { ...grid, frames };
}
