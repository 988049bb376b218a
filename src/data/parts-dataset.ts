/**
 * `parts`: a built-in synthetic dataset that shows the problem WSOL methods attack.
 *
 * Each image holds one object on a cluttered background. The object is a large body (a rotated
 * ellipse with a noisy colour and stripe texture only loosely tied to the class) carrying a small
 * part (a 7x7 glyph whose shape and colour identify the class exactly). The background has
 * distractors: bodies drawn the same way but without a part, and random blobs. A classifier can
 * reach full accuracy from the part alone, so plain CAM tends to light up the part only; the
 * ground-truth box and mask cover the whole object (body + part). Generated from a seed, no files.
 */
import type { Box } from '../common/box';
import { Rng } from '../common/rng';
import type { Dataset, RgbImage, Split } from './dataset';
import { generatedDataset } from './generated-dataset';

export interface PartsOptions {
  seed: number;
  imageSize: number;
  numClasses: number;
  sizes: Record<Split, number>;
  /** Distractor bodies (without a part) per image, drawn uniformly from 0..maxDistractors. */
  maxDistractors: number;
}

export const DEFAULT_PARTS: PartsOptions = {
  seed: 1,
  imageSize: 64,
  numClasses: 8,
  sizes: { train: 1600, val: 400, test: 400 },
  maxDistractors: 2,
};

const GLYPH = 7;

/** Glyph k: which cells of a 7x7 patch are ink. Distinct shapes per class. */
function glyphInk(k: number, x: number, y: number): boolean {
  const c = 3;
  switch (k % 8) {
    case 0: return y % 2 === 0; // horizontal bars
    case 1: return x % 2 === 0; // vertical bars
    case 2: return x === y || x === GLYPH - 1 - y; // X
    case 3: return x === c || y === c; // plus
    case 4: return Math.max(Math.abs(x - c), Math.abs(y - c)) === 3 || (x === c && y === c); // ring + dot
    case 5: return (x + y) % 2 === 0; // checker
    case 6: return y >= x; // triangle
    default: return Math.abs(x - c) + Math.abs(y - c) <= 3; // diamond
  }
}

const PART_COLOURS: [number, number, number][] = [
  [255, 40, 40], [40, 220, 40], [60, 60, 255], [255, 230, 30], [255, 40, 255], [30, 230, 230], [255, 140, 0], [250, 250, 250],
];

function hsvToRgb(h: number, s: number, v: number): [number, number, number] {
  const f = (n: number) => {
    const k = (n + h * 6) % 6;
    return Math.round(255 * (v - v * s * Math.max(0, Math.min(k, 4 - k, 1))));
  };
  return [f(5), f(3), f(1)];
}

interface Canvas {
  size: number;
  rgb: Uint8Array;
}

function put(cv: Canvas, x: number, y: number, c: [number, number, number]): void {
  if (x < 0 || y < 0 || x >= cv.size || y >= cv.size) return;
  const i = (y * cv.size + x) * 3;
  cv.rgb[i] = c[0];
  cv.rgb[i + 1] = c[1];
  cv.rgb[i + 2] = c[2];
}

/** Draws a striped ellipse; returns its pixel mask. `hue` is the body colour's hue. */
function drawBody(cv: Canvas, rng: Rng, cx: number, cy: number, rx: number, ry: number, hue: number): Uint8Array {
  const mask = new Uint8Array(cv.size * cv.size);
  const angle = rng.next() * Math.PI;
  const cos = Math.cos(angle);
  const sin = Math.sin(angle);
  const period = 3 + rng.int(4);
  const base = hsvToRgb(((hue % 1) + 1) % 1, 0.35 + 0.3 * rng.next(), 0.45 + 0.3 * rng.next());
  const dark: [number, number, number] = [base[0] * 0.75, base[1] * 0.75, base[2] * 0.75].map(Math.round) as [number, number, number];
  const r = Math.ceil(Math.max(rx, ry));
  for (let y = Math.floor(cy - r); y <= cy + r; y++) {
    for (let x = Math.floor(cx - r); x <= cx + r; x++) {
      if (x < 0 || y < 0 || x >= cv.size || y >= cv.size) continue;
      const u = (x - cx) * cos + (y - cy) * sin;
      const v = -(x - cx) * sin + (y - cy) * cos;
      if ((u / rx) ** 2 + (v / ry) ** 2 > 1) continue;
      mask[y * cv.size + x] = 1;
      const stripe = Math.floor((u + 100) / period) % 2 === 0;
      const n = Math.round((rng.next() - 0.5) * 24);
      const col = stripe ? base : dark;
      put(cv, x, y, [col[0] + n, col[1] + n, col[2] + n].map((q) => Math.max(0, Math.min(255, q))) as [number, number, number]);
    }
  }
  return mask;
}

function drawGlyph(cv: Canvas, k: number, x0: number, y0: number, mask: Uint8Array): void {
  const ink = PART_COLOURS[k % PART_COLOURS.length];
  const paper: [number, number, number] = [20, 20, 20];
  for (let y = 0; y < GLYPH; y++) {
    for (let x = 0; x < GLYPH; x++) {
      put(cv, x0 + x, y0 + y, glyphInk(k, x, y) ? ink : paper);
      const px = x0 + x;
      const py = y0 + y;
      if (px >= 0 && py >= 0 && px < cv.size && py < cv.size) mask[py * cv.size + px] = 1;
    }
  }
}

function background(cv: Canvas, rng: Rng): void {
  // Smooth low-frequency colour field plus pixel noise.
  const a = [rng.next(), rng.next(), rng.next()].map((v) => 60 + 80 * v);
  const fx = 0.05 + rng.next() * 0.1;
  const fy = 0.05 + rng.next() * 0.1;
  const ph = rng.next() * 6.28;
  for (let y = 0; y < cv.size; y++) {
    for (let x = 0; x < cv.size; x++) {
      const w = 25 * Math.sin(fx * x + fy * y + ph);
      const n = (rng.next() - 0.5) * 30;
      put(cv, x, y, [a[0] + w + n, a[1] - w + n, a[2] + n].map((q) => Math.max(0, Math.min(255, Math.round(q)))) as [number, number, number]);
    }
  }
  // Blobs: small random discs.
  const blobs = 2 + rng.int(4);
  for (let b = 0; b < blobs; b++) {
    const cx = rng.int(cv.size);
    const cy = rng.int(cv.size);
    const rad = 2 + rng.int(4);
    const col = hsvToRgb(rng.next(), 0.5 + 0.5 * rng.next(), 0.4 + 0.5 * rng.next());
    for (let y = cy - rad; y <= cy + rad; y++) for (let x = cx - rad; x <= cx + rad; x++) if ((x - cx) ** 2 + (y - cy) ** 2 <= rad * rad) put(cv, x, y, col);
  }
}

export interface PartsSample {
  image: RgbImage;
  mask: Uint8Array;
  box: Box;
  label: number;
  /** Where the class-specific part is (inclusive box), for notebooks and tests. */
  partBox: Box;
}

/** Renders sample `index` of `split` deterministically. */
export function renderPartsSample(opts: PartsOptions, split: Split, index: number): PartsSample {
  const splitKey = { train: 1, val: 2, test: 3 }[split];
  const rng = Rng.derive(opts.seed, 0x9a27, splitKey, index);
  const size = opts.imageSize;
  const label = index % opts.numClasses;
  const cv: Canvas = { size, rgb: new Uint8Array(size * size * 3) };
  background(cv, rng);
  const s = size / 64;
  // Distractor bodies first, so the object is drawn on top.
  const distractors = rng.int(opts.maxDistractors + 1);
  for (let d = 0; d < distractors; d++) {
    const rx = (5 + rng.next() * 6) * s;
    const ry = (4 + rng.next() * 4) * s;
    drawBody(cv, rng, rng.next() * size, rng.next() * size, rx, ry, rng.next());
  }
  const rx = (13 + rng.next() * 7) * s;
  const ry = (9 + rng.next() * 5) * s;
  const margin = Math.ceil(Math.max(rx, ry));
  const cx = margin + rng.next() * Math.max(1, size - 2 * margin);
  const cy = margin + rng.next() * Math.max(1, size - 2 * margin);
  // Weak class evidence: the body hue is centred on the class hue with large noise.
  const hue = label / opts.numClasses + rng.normal() * 0.18;
  const mask = drawBody(cv, rng, cx, cy, rx, ry, hue);
  // The part sits somewhere on the body (inside its mask).
  const inside: number[] = [];
  for (let p = 0; p < mask.length; p++) {
    const x = p % size;
    const y = Math.floor(p / size);
    if (mask[p] && x + GLYPH <= size && y + GLYPH <= size && mask[(y + GLYPH - 1) * size + x + GLYPH - 1] && mask[y * size + x + GLYPH - 1] && mask[(y + GLYPH - 1) * size + x]) inside.push(p);
  }
  const at = inside.length > 0 ? inside[rng.int(inside.length)] : Math.floor(cy - 3) * size + Math.floor(cx - 3);
  const px = at % size;
  const py = Math.floor(at / size);
  drawGlyph(cv, label, px, py, mask);
  let x0 = size;
  let y0 = size;
  let x1 = -1;
  let y1 = -1;
  for (let p = 0; p < mask.length; p++) {
    if (!mask[p]) continue;
    const x = p % size;
    const y = Math.floor(p / size);
    x0 = Math.min(x0, x);
    y0 = Math.min(y0, y);
    x1 = Math.max(x1, x);
    y1 = Math.max(y1, y);
  }
  return {
    image: { width: size, height: size, data: cv.rgb },
    mask,
    box: { x0, y0, x1, y1 },
    label,
    partBox: { x0: Math.max(0, px), y0: Math.max(0, py), x1: Math.min(size - 1, px + GLYPH - 1), y1: Math.min(size - 1, py + GLYPH - 1) },
  };
}

export const PARTS_CLASS_NAMES = ['bars', 'columns', 'cross', 'plus', 'ring', 'checker', 'triangle', 'diamond'];

/** The `parts` dataset: samples are rendered once, on first use of each split. */
export function partsDataset(options: Partial<PartsOptions> = {}): Dataset {
  const opts: PartsOptions = { ...DEFAULT_PARTS, ...options, sizes: { ...DEFAULT_PARTS.sizes, ...(options.sizes ?? {}) } };
  if (opts.numClasses < 2 || opts.numClasses > 8) throw new Error(`parts: numClasses must be in 2..8, got ${opts.numClasses}`);
  if (opts.imageSize < 32) throw new Error(`parts: imageSize must be >= 32, got ${opts.imageSize}`);
  return generatedDataset({
    name: 'parts',
    classNames: PARTS_CLASS_NAMES.slice(0, opts.numClasses),
    imageSize: opts.imageSize,
    sizes: opts.sizes,
    render: (split, i) => renderPartsSample(opts, split, i),
  });
}

/** The part's box of an item (for coverage plots and tests). */
export function partsPartBox(options: Partial<PartsOptions>, itemId: string): Box {
  const [split, index] = itemId.split('/');
  return renderPartsSample({ ...DEFAULT_PARTS, ...options, sizes: { ...DEFAULT_PARTS.sizes, ...(options.sizes ?? {}) } }, split as Split, Number(index)).partBox;
}
