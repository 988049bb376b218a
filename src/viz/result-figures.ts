/** Figures of measured results: per-term losses with the fusion weight, threshold sweeps of several methods. */
import type { EpochRecord } from '../train/snapshot-types';
import type { FigureSpec } from './figures';

/**
 * Each loss term (epoch means, at the step where the epoch ended) on the left axis; on the right
 * axis the fusion weight over the steps and the terms that are shares rather than losses
 * (`fuseGate`: the fraction of images that passed the fusion gate).
 */
export function lossTermsFigure(history: EpochRecord[], lambda: { step: number; value: number }[], rightAxisTerms: string[] = ['fuseGate']): FigureSpec {
  const names = [...new Set(history.flatMap((r) => Object.keys(r.terms)))];
  const x = history.map((r) => r.steps);
  const data: Record<string, unknown>[] = names.map((name) => ({
    type: 'scatter',
    mode: 'lines+markers',
    name: rightAxisTerms.includes(name) ? `${name} (right axis)` : `loss term ${name}`,
    x,
    y: history.map((r) => r.terms[name] ?? null),
    ...(rightAxisTerms.includes(name) ? { yaxis: 'y2', line: { dash: 'dot' } } : {}),
  }));
  if (lambda.length > 0) {
    data.push({ type: 'scatter', mode: 'lines', name: 'fusion weight (right axis)', x: lambda.map((l) => l.step), y: lambda.map((l) => l.value), yaxis: 'y2', line: { dash: 'dash', color: 'black' } });
  }
  return {
    data,
    layout: {
      title: { text: 'Loss terms (epoch means) and the fusion weight' },
      xaxis: { title: { text: 'step' } },
      yaxis: { title: { text: 'loss' }, rangemode: 'tozero' },
      yaxis2: { title: { text: 'weight / share' }, overlaying: 'y', side: 'right', rangemode: 'tozero' },
      height: 360,
      legend: { orientation: 'h', y: -0.25 },
    },
  };
}

/** One accuracy-vs-threshold curve per method on one set of axes (e.g. GT-known, mean over seeds). */
export function thresholdSweepsFigure(series: { method: string; thresholds: number[]; accuracy: number[] }[], yTitle = 'GT-known accuracy % (IoU >= 0.5)', fixedThreshold?: number): FigureSpec {
  // The fixed threshold is a trace (not a layout shape) so that the legend names it.
  const fixed = fixedThreshold === undefined ? [] : [{ type: 'scatter', mode: 'lines', name: `fixed threshold ${fixedThreshold}`, x: [fixedThreshold, fixedThreshold], y: [0, 100], line: { dash: 'dot', color: 'grey' }, hoverinfo: 'name' }];
  return {
    data: [...series.map((s) => ({ type: 'scatter', mode: 'lines', name: s.method, x: s.thresholds, y: s.accuracy })), ...fixed],
    layout: {
      title: { text: 'Every method\'s threshold sweep' },
      xaxis: { title: { text: 'threshold on the normalised map' }, range: [0, 1] },
      yaxis: { title: { text: yTitle }, range: [0, 100] },
      height: 360,
    },
  };
}
