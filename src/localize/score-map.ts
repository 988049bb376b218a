/** Map post-processing: resize to the image size, per-image min-max normalisation. */
import type { ScoreMap } from '../common/box';

/**
 * Bilinear resize with half-pixel centres (align_corners = false), as cv2.INTER_LINEAR.
 * (wsolevaluation's inference uses INTER_CUBIC; on the smooth CAMs of a 16x16 or 14x14 grid the two
 * differ by little, and bilinear never overshoots [0, 1], so no clipping is needed.)
 */
export function resizeScoreMap(m: ScoreMap, width: number, height: number): ScoreMap {
  if (m.width === width && m.height === height) return m;
  const out = new Float32Array(width * height);
  const sx = m.width / width;
  const sy = m.height / height;
  for (let y = 0; y < height; y++) {
    const fy = Math.min(Math.max((y + 0.5) * sy - 0.5, 0), m.height - 1);
    const y0 = Math.floor(fy);
    const y1 = Math.min(y0 + 1, m.height - 1);
    const wy = fy - y0;
    for (let x = 0; x < width; x++) {
      const fx = Math.min(Math.max((x + 0.5) * sx - 0.5, 0), m.width - 1);
      const x0 = Math.floor(fx);
      const x1 = Math.min(x0 + 1, m.width - 1);
      const wx = fx - x0;
      const top = m.data[y0 * m.width + x0] * (1 - wx) + m.data[y0 * m.width + x1] * wx;
      const bottom = m.data[y1 * m.width + x0] * (1 - wx) + m.data[y1 * m.width + x1] * wx;
      out[y * width + x] = top * (1 - wy) + bottom * wy;
    }
  }
  return { width, height, data: out };
}

/** (m - min) / (max - min) per image; constant maps become all zeros. NaN is an error. */
export function normalizeScoreMap(m: ScoreMap): ScoreMap {
  let lo = Infinity;
  let hi = -Infinity;
  for (let i = 0; i < m.data.length; i++) {
    const v = m.data[i];
    if (Number.isNaN(v)) throw new Error(`score map has NaN at pixel ${i % m.width},${Math.floor(i / m.width)}`);
    if (v < lo) lo = v;
    if (v > hi) hi = v;
  }
  const out = new Float32Array(m.data.length);
  const span = hi - lo;
  if (span > 0 && Number.isFinite(span)) for (let i = 0; i < out.length; i++) out[i] = (m.data[i] - lo) / span;
  return { width: m.width, height: m.height, data: out };
}

/** The thresholds of the sweep: 0, step, 2 step, ... < 1 (wsolevaluation's np.arange(0, 1, step)). */
export function thresholdList(step: number): number[] {
  if (!(step > 0 && step < 1)) throw new Error(`threshold step must be in (0, 1), got ${step}`);
  const n = Math.ceil(1 / step - 1e-9);
  return Array.from({ length: n }, (_, i) => i * step);
}
