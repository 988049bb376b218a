/**
 * The live view of a training in progress, as one self-contained HTML block (no script, so it
 * redraws in place and survives saving and export): a progress line, the per-step loss curve as an
 * inline SVG, and the probes' maps (branch A on image A, branch B on image B, the fusion target,
 * the full image with its predicted box and IoU).
 */
import { iou } from '../localize/boxes';
import type { Snapshot, SnapshotFile } from '../train/snapshot-types';
import { decodeRgb, maskedImage, pngDataUrl, predictedBox, probeOverlayPng, scoreMapOf, type RgbImage } from './probe-overlay';

export interface LossPoint {
  step: number;
  loss: number;
}

export interface LiveCell {
  title: string;
  /** PNG data URL. */
  src: string;
  caption?: string;
}

export interface LiveState {
  /** Steps done so far, and the planned total. */
  step: number;
  totalSteps: number;
  /** The progress line (epoch, loss, learning rate, speed). */
  progress: string;
  losses: LossPoint[];
  /** A horizontal reference line on the loss curve (e.g. chance, ln K). */
  reference?: { value: number; label: string };
  /** One row per probe. */
  probes: { label: string; cells: LiveCell[] }[];
  /** The probe row's source: which snapshot the maps come from. */
  mapsAt?: string;
  /** A closing note (finished, interrupted, past the plan). */
  note?: string;
}

const escapeHtml = (s: string) => s.replace(/&/g, '&amp;').replace(/</g, '&lt;').replace(/>/g, '&gt;').replace(/"/g, '&quot;');

/** The loss per step as an SVG line chart with labelled axes; x runs to the planned total. */
export function lossCurveSvg(points: LossPoint[], totalSteps: number, reference?: { value: number; label: string }, size = { width: 420, height: 200 }): string {
  const { width, height } = size;
  const m = { l: 48, r: 12, t: 12, b: 32 };
  const finite = points.filter((p) => Number.isFinite(p.loss));
  const values = [...finite.map((p) => p.loss), ...(reference ? [reference.value] : [])];
  const top = values.length ? Math.max(...values) * 1.05 : 1;
  const xMax = Math.max(1, totalSteps, ...points.map((p) => p.step));
  const x = (s: number) => m.l + ((width - m.l - m.r) * s) / xMax;
  const y = (v: number) => height - m.b - ((height - m.t - m.b) * v) / (top || 1);
  const path = finite.map((p, i) => `${i ? 'L' : 'M'}${x(p.step).toFixed(1)},${y(p.loss).toFixed(1)}`).join('');
  const parts = [
    `<svg xmlns="http://www.w3.org/2000/svg" width="${width}" height="${height}" viewBox="0 0 ${width} ${height}" font-family="sans-serif" font-size="11">`,
    `<rect x="${m.l}" y="${m.t}" width="${width - m.l - m.r}" height="${height - m.t - m.b}" fill="#fafafa" stroke="#ccc"/>`,
    `<text x="${m.l}" y="${height - 6}">0</text><text x="${width - m.r}" y="${height - 6}" text-anchor="end">${xMax}</text>`,
    `<text x="${(m.l + width - m.r) / 2}" y="${height - 6}" text-anchor="middle">step</text>`,
    `<text x="${m.l - 4}" y="${y(0)}" text-anchor="end">0</text><text x="${m.l - 4}" y="${m.t + 8}" text-anchor="end">${top.toFixed(2)}</text>`,
    `<text x="12" y="${(m.t + height - m.b) / 2}" transform="rotate(-90 12 ${(m.t + height - m.b) / 2})" text-anchor="middle">loss</text>`,
  ];
  if (reference) {
    parts.push(`<line x1="${m.l}" x2="${width - m.r}" y1="${y(reference.value).toFixed(1)}" y2="${y(reference.value).toFixed(1)}" stroke="#888" stroke-dasharray="4 3"/>`);
    parts.push(`<text x="${width - m.r - 4}" y="${(y(reference.value) - 4).toFixed(1)}" text-anchor="end" fill="#666">${escapeHtml(reference.label)}</text>`);
  }
  if (path) parts.push(`<path d="${path}" fill="none" stroke="#1f77b4" stroke-width="1.5"/>`);
  parts.push('</svg>');
  return parts.join('');
}

/** The whole live block. `data-step` carries the step number (tests read it from each redraw). */
export function liveTrainingHtml(s: LiveState): string {
  const rows = s.probes
    .map(
      (p) =>
        `<tr><th style="text-align:right;padding-right:6px;font-weight:normal">${escapeHtml(p.label)}</th>` +
        p.cells
          .map((c) => `<td style="text-align:center;padding:2px"><img src="${c.src}" width="112" style="image-rendering:pixelated" alt="${escapeHtml(c.title)}"/><br/><small>${escapeHtml(c.caption ?? '')}</small></td>`)
          .join('') +
        '</tr>',
    )
    .join('');
  const header = s.probes[0] ? `<tr><th></th>${s.probes[0].cells.map((c) => `<th style="font-weight:normal">${escapeHtml(c.title)}</th>`).join('')}</tr>` : '';
  return (
    `<div class="wsol-live" data-step="${s.step}" data-total="${s.totalSteps}">` +
    `<pre style="margin:0 0 4px 0">${escapeHtml(s.progress)}</pre>` +
    `<div style="display:flex;flex-wrap:wrap;gap:12px;align-items:flex-start">` +
    `<div>${lossCurveSvg(s.losses, s.totalSteps, s.reference)}</div>` +
    (rows ? `<div><table style="border-collapse:collapse">${header}${rows}</table>${s.mapsAt ? `<small>maps at ${escapeHtml(s.mapsAt)}; green = ground truth, red = predicted box</small>` : ''}</div>` : '') +
    `</div>` +
    (s.note ? `<p style="margin:4px 0"><b>${escapeHtml(s.note)}</b></p>` : '') +
    `</div>`
  );
}

const PANELS = [
  ['branchA', 'A on image A'],
  ['branchB', 'B on image B'],
  ['fused', 'target'],
  ['full', 'full image'],
] as const;

/**
 * The probes' maps of one snapshot as overlay cells: each branch's map over the image that branch
 * saw (the hidden part grey), the fusion target, and the full-image map with the IoU of its box
 * at `threshold`. Single-branch methods get only the full-image cell.
 */
export async function probeMapRows(file: SnapshotFile, snapshot: Snapshot, threshold: number, images?: RgbImage[]): Promise<{ label: string; cells: LiveCell[] }[]> {
  const rows: { label: string; cells: LiveCell[] }[] = [];
  for (let i = 0; i < file.probes.length && i < snapshot.probes.length; i++) {
    const probe = file.probes[i];
    const image = images?.[i] ?? (await decodeRgb(probe.pngDataUrl));
    const maps = snapshot.probes[i];
    const mask = maps.maskA ? scoreMapOf(maps.maskA, snapshot.mapWidth, snapshot.mapHeight) : null;
    const cells: LiveCell[] = [];
    for (const [key, title] of PANELS) {
      const values = maps[key];
      if (!values) continue;
      const map = scoreMapOf(values, snapshot.mapWidth, snapshot.mapHeight);
      const seen = key === 'branchA' && mask ? maskedImage(image, mask, 1) : key === 'branchB' && mask ? maskedImage(image, mask, 0) : image;
      const full = key === 'full';
      const png = await probeOverlayPng(seen, map, probe.boxes, { threshold: full ? threshold : null, scale: 1 });
      const caption = full ? `IoU ${iou(predictedBox(map, image.width, image.height, threshold), probe.boxes[0]).toFixed(2)}` : undefined;
      cells.push({ title, src: pngDataUrl(png), caption });
    }
    rows.push({ label: `${probe.id} (${probe.className})`, cells });
  }
  return rows;
}
