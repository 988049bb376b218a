/** Histograms of where a model's boxes fall over a split: box size against the object, and IoU. */
import type { FigureSpec } from './figures';
import type { BoxStats } from './findings';

/** Area ratios above this are drawn in the last bin (labelled as such). */
const AREA_CAP = 2;

export function boxStatsFigure(boxes: BoxStats[], threshold: number, title = 'Every validation image'): FigureSpec {
  const areas = boxes.map((b) => Math.min(b.areaRatio, AREA_CAP));
  const line = (x: number, axis: string, name: string, showlegend: boolean) => ({
    type: 'scatter', mode: 'lines', x: [x, x], y: [0, boxes.length], xaxis: `x${axis}`, yaxis: `y${axis}`, name, showlegend,
    line: { dash: 'dash', color: '#d62728' }, hoverinfo: 'name',
  });
  return {
    data: [
      { type: 'histogram', x: areas, xbins: { start: 0, end: AREA_CAP + 1e-9, size: 0.1 }, name: 'box / object area', marker: { color: '#1f77b4' }, xaxis: 'x', yaxis: 'y' },
      { type: 'histogram', x: boxes.map((b) => b.iou), xbins: { start: 0, end: 1 + 1e-9, size: 0.05 }, name: 'IoU with the GT box', marker: { color: '#2ca02c' }, xaxis: 'x2', yaxis: 'y2' },
      line(0.5, '', 'half the object / IoU 0.5', true),
      line(0.5, '2', 'IoU 0.5', false),
    ],
    layout: {
      title: { text: `${title} (${boxes.length}), threshold ${threshold}` },
      grid: { rows: 1, columns: 2, pattern: 'independent' },
      xaxis: { title: { text: `predicted box / GT box area (≥ ${AREA_CAP} in the last bin)` }, range: [0, AREA_CAP + 0.05] },
      yaxis: { title: { text: 'images' }, rangemode: 'tozero' },
      xaxis2: { title: { text: 'IoU with the GT box' }, range: [0, 1] },
      yaxis2: { title: { text: 'images' }, rangemode: 'tozero' },
      height: 340,
      bargap: 0.05,
      legend: { orientation: 'h', y: -0.3 },
      margin: { t: 50, b: 90 },
    },
  };
}
