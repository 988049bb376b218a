/**
 * Map post-processing before thresholding: resize to the image size, per-image min-max
 * normalisation, and the threshold grid of the sweep.
 *
 * Pixel-centre convention (both interpolations): output pixel x samples the source at
 * fx = (x + 0.5) * (srcWidth / dstWidth) - 0.5, i.e. pixel centres are aligned as with
 * align_corners = false and as OpenCV's cv2.resize does. Out-of-range taps repeat the edge
 * pixel (BORDER_REPLICATE).
 */
import type { ScoreMap } from '../common/box';

/** 'bicubic' = cv2.INTER_CUBIC (Keys kernel, a = -0.75), 'bilinear' = cv2.INTER_LINEAR. */
export type Interpolation = 'bilinear' | 'bicubic';

/** OpenCV's cubic kernel parameter. */
const CUBIC_A = -0.75;

/** The four weights of taps floor(fx) - 1 .. floor(fx) + 2 for the fraction t = fx - floor(fx). */
function cubicWeights(t: number, out: Float64Array, at: number): void {
  const A = CUBIC_A;
  const u = t + 1;
  out[at] = ((A * u - 5 * A) * u + 8 * A) * u - 4 * A;
  out[at + 1] = ((A + 2) * t - (A + 3)) * t * t + 1;
  const s = 1 - t;
  out[at + 2] = ((A + 2) * s - (A + 3)) * s * s + 1;
  out[at + 3] = 1 - out[at] - out[at + 1] - out[at + 2];
}

/** Per output coordinate: 4 clamped source indices and 4 weights (bilinear uses 2 of them). */
function axisTaps(src: number, dst: number, interpolation: Interpolation): { index: Int32Array; weight: Float64Array } {
  const index = new Int32Array(dst * 4);
  const weight = new Float64Array(dst * 4);
  const scale = src / dst;
  const clamp = (i: number) => (i < 0 ? 0 : i > src - 1 ? src - 1 : i);
  for (let x = 0; x < dst; x++) {
    let fx = (x + 0.5) * scale - 0.5;
    if (interpolation === 'bilinear') {
      // cv2.INTER_LINEAR clamps the coordinate itself, so edge pixels are copied, not blended.
      fx = Math.min(Math.max(fx, 0), src - 1);
      const i0 = Math.floor(fx);
      const t = fx - i0;
      index[4 * x] = i0;
      index[4 * x + 1] = clamp(i0 + 1);
      weight[4 * x] = 1 - t;
      weight[4 * x + 1] = t;
    } else {
      const i0 = Math.floor(fx);
      for (let k = 0; k < 4; k++) index[4 * x + k] = clamp(i0 - 1 + k);
      cubicWeights(fx - i0, weight, 4 * x);
    }
  }
  return { index, weight };
}

/**
 * Resizes a map to width x height (separable: rows first, then columns). Bicubic may
 * overshoot the source range slightly; min-max normalisation afterwards absorbs that.
 */
export function resizeScoreMap(m: ScoreMap, width: number, height: number, interpolation: Interpolation = 'bilinear'): ScoreMap {
  if (!(Number.isInteger(width) && width > 0 && Number.isInteger(height) && height > 0)) {
    throw new Error(`resizeScoreMap: width/height must be positive integers, got ${width}x${height}`);
  }
  if (m.data.length !== m.width * m.height) {
    throw new Error(`resizeScoreMap: map data has ${m.data.length} values for ${m.width}x${m.height}`);
  }
  if (interpolation !== 'bilinear' && interpolation !== 'bicubic') {
    throw new Error(`resizeScoreMap: interpolation must be 'bilinear' or 'bicubic', got '${interpolation}'`);
  }
  if (m.width === width && m.height === height) return m;
  const taps = interpolation === 'bilinear' ? 2 : 4;
  const xs = axisTaps(m.width, width, interpolation);
  const ys = axisTaps(m.height, height, interpolation);
  // Horizontal pass: source rows -> width columns.
  const rows = new Float64Array(m.height * width);
  for (let y = 0; y < m.height; y++) {
    const base = y * m.width;
    for (let x = 0; x < width; x++) {
      let v = 0;
      for (let k = 0; k < taps; k++) v += xs.weight[4 * x + k] * m.data[base + xs.index[4 * x + k]];
      rows[y * width + x] = v;
    }
  }
  // Vertical pass.
  const out = new Float32Array(width * height);
  for (let y = 0; y < height; y++) {
    for (let x = 0; x < width; x++) {
      let v = 0;
      for (let k = 0; k < taps; k++) v += ys.weight[4 * y + k] * rows[ys.index[4 * y + k] * width + x];
      out[y * width + x] = v;
    }
  }
  return { width, height, data: out };
}

/**
 * Nearest-neighbour resize of a mask with cv2.INTER_NEAREST's rule (what wsolevaluation applies
 * to its masks): destination pixel x takes source pixel min(floor(x * (1 / (dstW / srcW))), srcW - 1),
 * with OpenCV's own double-precision scale factors. Unlike a centre-aligned resize, it samples
 * the top-left of each source cell, so a mask shifts by up to half a pixel.
 */
export function resizeMaskNearest(mask: Uint8Array, width: number, height: number, outWidth: number, outHeight: number): Uint8Array {
  if (mask.length !== width * height) throw new Error(`resizeMaskNearest: mask has ${mask.length} values for ${width}x${height}`);
  if (!(Number.isInteger(outWidth) && outWidth > 0 && Number.isInteger(outHeight) && outHeight > 0)) {
    throw new Error(`resizeMaskNearest: width/height must be positive integers, got ${outWidth}x${outHeight}`);
  }
  if (width === outWidth && height === outHeight) return mask;
  const ifx = 1 / (outWidth / width);
  const ify = 1 / (outHeight / height);
  const xs = Int32Array.from({ length: outWidth }, (_, x) => Math.min(Math.floor(x * ifx), width - 1));
  const out = new Uint8Array(outWidth * outHeight);
  for (let y = 0; y < outHeight; y++) {
    const row = Math.min(Math.floor(y * ify), height - 1) * width;
    for (let x = 0; x < outWidth; x++) out[y * outWidth + x] = mask[row + xs[x]];
  }
  return out;
}

/**
 * (m - min) / (max - min) per image. Constant maps and maps with any NaN become all zeros, as
 * wsolevaluation's normalize_scoremap does (a NaN CAM then simply localises nothing).
 */
export function normalizeScoreMap(m: ScoreMap): ScoreMap {
  let lo = Infinity;
  let hi = -Infinity;
  for (let i = 0; i < m.data.length; i++) {
    const v = m.data[i];
    if (Number.isNaN(v)) return { width: m.width, height: m.height, data: new Float32Array(m.data.length) };
    if (v < lo) lo = v;
    if (v > hi) hi = v;
  }
  const out = new Float32Array(m.data.length);
  const span = hi - lo;
  if (span > 0 && Number.isFinite(span)) for (let i = 0; i < out.length; i++) out[i] = (m.data[i] - lo) / span;
  return { width: m.width, height: m.height, data: out };
}

/** Throws unless the map is a well-formed width x height map with values in [0, 1]; `what` names it. */
export function checkNormalizedMap(m: ScoreMap, what: string): void {
  if (!(Number.isInteger(m.width) && m.width > 0 && Number.isInteger(m.height) && m.height > 0)) {
    throw new Error(`${what}: width/height must be positive integers, got ${m.width}x${m.height}`);
  }
  if (m.data.length !== m.width * m.height) throw new Error(`${what}: data has ${m.data.length} values for ${m.width}x${m.height}`);
  for (let i = 0; i < m.data.length; i++) {
    const v = m.data[i];
    if (!(v >= 0 && v <= 1)) {
      throw new Error(`${what}: value ${v} at pixel ${i % m.width},${Math.floor(i / m.width)} is not in [0, 1] (normalise the map first)`);
    }
  }
}

/** Step of the CAM threshold sweep (wsolevaluation's cam_curve_interval), for every evaluator. */
export const DEFAULT_THRESHOLD_STEP = 0.01;

/**
 * The fixed CAM threshold of the classic GT-known / Top-1 Loc numbers (papers use 0.15-0.2 on min-max
 * normalised maps), and of the boxes drawn on overlays.
 */
export const DEFAULT_CAM_THRESHOLD = 0.2;

/** The thresholds of the sweep: 0, step, 2 step, ... < 1 (wsolevaluation's np.arange(0, 1, step)). */
export function thresholdList(step: number): number[] {
  if (!(step > 0 && step < 1)) throw new Error(`threshold step must be in (0, 1), got ${step}`);
  // np.arange's length is ceil((stop - start) / step); i * step mirrors its start + i * step.
  const n = Math.ceil(1 / step);
  return Array.from({ length: n }, (_, i) => i * step).filter((t) => t < 1);
}

/** Extracts channel `k` of an [h, w, K] slice starting at `offset` of NHWC data. */
export function channelMap(data: Float32Array | Int32Array | Uint8Array, offset: number, h: number, w: number, numClasses: number, k: number): ScoreMap {
  const out = new Float32Array(h * w);
  for (let p = 0; p < h * w; p++) out[p] = data[offset + p * numClasses + k];
  return { width: w, height: h, data: out };
}
