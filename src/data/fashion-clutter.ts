/**
 * `fashion-clutter`: real Fashion-MNIST items placed at a random scale and position on a larger
 * canvas, over a textured background littered with fragments of other items. Labels are the item's
 * class; the box and mask come from the item's own pixels (scaled intensity above a threshold), so
 * they cover the whole garment while the clutter carries look-alike local evidence.
 * Deterministic from a seed. Source files: IDX (optionally gzipped) from the Debian package
 * dataset-fashion-mnist (/usr/share/datasets/fashion-mnist) or `wsol data prepare fashion-clutter`.
 */
import * as fs from 'fs';
import * as path from 'path';
import type { Box } from '../common/box';
import { Rng } from '../common/rng';
import type { Dataset, RgbImage, Split } from './dataset';
import { generatedDataset } from './generated-dataset';
import { readIdxImagesAndLabels } from './idx';

export const FASHION_CLASS_NAMES = ['T-shirt/top', 'Trouser', 'Pullover', 'Dress', 'Coat', 'Sandal', 'Shirt', 'Sneaker', 'Bag', 'Ankle boot'];
export const FASHION_FILES = {
  trainImages: 'train-images-idx3-ubyte',
  trainLabels: 'train-labels-idx1-ubyte',
  testImages: 't10k-images-idx3-ubyte',
  testLabels: 't10k-labels-idx1-ubyte',
} as const;
export const SYSTEM_FASHION_DIR = '/usr/share/datasets/fashion-mnist';

export interface FashionClutterOptions {
  seed: number;
  /** Canvas side in pixels (the items are 28 px before scaling). */
  imageSize: number;
  sizes: Record<Split, number>;
  /** Item scale range (28 px * scale). */
  minScale: number;
  maxScale: number;
  /** Clutter fragments per image, drawn uniformly from 0..maxFragments. */
  maxFragments: number;
  /** Scaled intensity (0..255) above which an item pixel belongs to the mask. */
  maskThreshold: number;
  /** Folder with the IDX files; default: `<dataRoot>/fashion-mnist`, then the Debian package's folder. */
  dir?: string;
}

export const DEFAULT_FASHION_CLUTTER: FashionClutterOptions = {
  seed: 1,
  imageSize: 64,
  sizes: { train: 2000, val: 500, test: 500 },
  minScale: 1.2,
  maxScale: 2.0,
  maxFragments: 4,
  maskThreshold: 40,
};

/**
 * Which source images each split may use, as fractions of its IDX file, so objects and clutter never
 * share an image. For the real files (60,000 / 10,000): train objects 0..49,999, val objects
 * 50,000..54,999, train/val clutter 55,000..59,999; test objects 0..4,999, test clutter 5,000..9,999.
 */
function pools(split: Split, count: number): { file: 'train' | 'test'; start: number; size: number; clutterStart: number; clutterSize: number } {
  if (split === 'test') {
    const half = Math.floor(count / 2);
    return { file: 'test', start: 0, size: half, clutterStart: half, clutterSize: count - half };
  }
  const a = Math.floor((count * 5) / 6);
  const b = Math.floor((count * 11) / 12);
  return split === 'train'
    ? { file: 'train', start: 0, size: a, clutterStart: b, clutterSize: count - b }
    : { file: 'train', start: a, size: b - a, clutterStart: b, clutterSize: count - b };
}

/** Finds the folder holding the four IDX files (plain or .gz). */
export function findFashionDir(candidates: string[]): string | null {
  for (const dir of candidates) {
    if (Object.values(FASHION_FILES).every((f) => fs.existsSync(path.join(dir, f)) || fs.existsSync(path.join(dir, `${f}.gz`)))) return dir;
  }
  return null;
}

function idxPath(dir: string, name: string): string {
  const plain = path.join(dir, name);
  return fs.existsSync(plain) ? plain : `${plain}.gz`;
}

interface Source {
  count: number;
  pixels: Uint8Array;
  labels: Uint8Array;
}

/** Bilinear sample of a 28x28 item at (x, y) in item pixels (pixel centres at +0.5). */
function sample28(src: Uint8Array, offset: number, x: number, y: number): number {
  const fx = Math.min(Math.max(x - 0.5, 0), 27);
  const fy = Math.min(Math.max(y - 0.5, 0), 27);
  const x0 = Math.floor(fx);
  const y0 = Math.floor(fy);
  const x1 = Math.min(x0 + 1, 27);
  const y1 = Math.min(y0 + 1, 27);
  const wx = fx - x0;
  const wy = fy - y0;
  const a = src[offset + y0 * 28 + x0] * (1 - wx) + src[offset + y0 * 28 + x1] * wx;
  const b = src[offset + y1 * 28 + x0] * (1 - wx) + src[offset + y1 * 28 + x1] * wx;
  return a * (1 - wy) + b * wy;
}

function randomColour(rng: Rng, lo: number, hi: number): [number, number, number] {
  return [0, 1, 2].map(() => lo + rng.next() * (hi - lo)) as [number, number, number];
}

/**
 * Pastes a window of a 28x28 item (item coords [ux, ux+uw) x [uy, uy+uh)) scaled by `scale` at canvas
 * (px, py), blending a colour by the item's intensity. Returns the scaled intensity per canvas pixel touched.
 */
function paste(canvas: RgbImage, src: Uint8Array, offset: number, win: { ux: number; uy: number; uw: number; uh: number }, scale: number, px: number, py: number, colour: [number, number, number], alpha: Float32Array | null): void {
  const w = Math.round(win.uw * scale);
  const h = Math.round(win.uh * scale);
  for (let y = 0; y < h; y++) {
    const cy = py + y;
    if (cy < 0 || cy >= canvas.height) continue;
    for (let x = 0; x < w; x++) {
      const cx = px + x;
      if (cx < 0 || cx >= canvas.width) continue;
      const v = sample28(src, offset, win.ux + (x + 0.5) / scale, win.uy + (y + 0.5) / scale);
      const a = v / 255;
      const i = (cy * canvas.width + cx) * 3;
      // Shading: the item's intensity modulates its colour, so its texture stays visible.
      for (let c = 0; c < 3; c++) canvas.data[i + c] = Math.round(canvas.data[i + c] * (1 - a) + colour[c] * (0.35 + 0.65 * a) * a);
      if (alpha) alpha[cy * canvas.width + cx] = v;
    }
  }
}

export interface FashionClutterSample {
  image: RgbImage;
  mask: Uint8Array;
  box: Box;
  label: number;
  /** Index of the item in its IDX file. */
  sourceIndex: number;
}

export function renderFashionSample(opts: FashionClutterOptions, sources: { train: Source; test: Source }, split: Split, index: number): FashionClutterSample {
  const splitKey = { train: 1, val: 2, test: 3 }[split];
  const rng = Rng.derive(opts.seed, 0xfa5, splitKey, index);
  const size = opts.imageSize;
  const pool = pools(split, sources[split === 'test' ? 'test' : 'train'].count);
  const src = sources[pool.file];
  const sourceIndex = pool.start + index;
  const canvas: RgbImage = { width: size, height: size, data: new Uint8Array(size * size * 3) };
  // Background: a colour gradient plus pixel noise.
  const c0 = randomColour(rng, 30, 150);
  const c1 = randomColour(rng, 30, 150);
  const angle = rng.next() * Math.PI * 2;
  for (let y = 0; y < size; y++) {
    for (let x = 0; x < size; x++) {
      const t = 0.5 + 0.5 * (((x / size - 0.5) * Math.cos(angle) + (y / size - 0.5) * Math.sin(angle)) * 1.4);
      const n = (rng.next() - 0.5) * 24;
      for (let c = 0; c < 3; c++) canvas.data[(y * size + x) * 3 + c] = Math.max(0, Math.min(255, Math.round(c0[c] * (1 - t) + c1[c] * t + n)));
    }
  }
  // Clutter: fragments (8..16 px windows) of other items, drawn before the object.
  const fragments = rng.int(opts.maxFragments + 1);
  for (let f = 0; f < fragments; f++) {
    const k = pool.clutterStart + rng.int(pool.clutterSize);
    const uw = 8 + rng.int(9);
    const uh = 8 + rng.int(9);
    const win = { ux: 2 + rng.int(26 - uw), uy: 2 + rng.int(26 - uh), uw, uh };
    const scale = opts.minScale + rng.next() * (opts.maxScale - opts.minScale);
    const px = rng.int(size) - 4;
    const py = rng.int(size) - 4;
    paste(canvas, src.pixels, k * 784, win, scale, px, py, randomColour(rng, 90, 255), null);
  }
  // The object, fully inside the canvas.
  const scale = Math.min(opts.minScale + rng.next() * (opts.maxScale - opts.minScale), size / 28);
  const side = Math.round(28 * scale);
  const px = rng.int(size - side + 1);
  const py = rng.int(size - side + 1);
  const alpha = new Float32Array(size * size);
  paste(canvas, src.pixels, sourceIndex * 784, { ux: 0, uy: 0, uw: 28, uh: 28 }, scale, px, py, randomColour(rng, 110, 255), alpha);
  const mask = new Uint8Array(size * size);
  let box: Box = { x0: size, y0: size, x1: -1, y1: -1 };
  for (let p = 0; p < mask.length; p++) {
    if (alpha[p] <= opts.maskThreshold) continue;
    mask[p] = 1;
    const x = p % size;
    const y = (p - x) / size;
    box = { x0: Math.min(box.x0, x), y0: Math.min(box.y0, y), x1: Math.max(box.x1, x), y1: Math.max(box.y1, y) };
  }
  if (box.x1 < 0) box = { x0: px, y0: py, x1: px + side - 1, y1: py + side - 1 }; // an all-faint item
  return { image: canvas, mask, box, label: src.labels[sourceIndex], sourceIndex };
}

function validateOptions(opts: FashionClutterOptions): void {
  if (opts.imageSize < 32) throw new Error(`fashion-clutter: imageSize must be >= 32, got ${opts.imageSize}`);
  if (!(opts.minScale > 0 && opts.maxScale >= opts.minScale)) throw new Error(`fashion-clutter: need 0 < minScale <= maxScale, got ${opts.minScale}..${opts.maxScale}`);
}

/** Reads the four IDX files once (from `dir`, `<dataRoot>/fashion-mnist`, then the Debian package's folder). */
function readFashionSources(dir: string | undefined, dataRoot: string | undefined): { train: Source; test: Source } {
  const candidates = dir ? [dir] : [path.join(dataRoot ?? 'data', 'fashion-mnist'), SYSTEM_FASHION_DIR];
  const found = findFashionDir(candidates);
  if (!found) {
    throw new Error(`fashion-clutter: Fashion-MNIST IDX files not found in ${candidates.join(' or ')} (install the Debian package dataset-fashion-mnist or run \`wsol data prepare fashion-clutter\`)`);
  }
  const train = readIdxImagesAndLabels(idxPath(found, FASHION_FILES.trainImages), idxPath(found, FASHION_FILES.trainLabels));
  const test = readIdxImagesAndLabels(idxPath(found, FASHION_FILES.testImages), idxPath(found, FASHION_FILES.testLabels));
  for (const [name, s] of [['train', train], ['test', test]] as const) {
    if (s.rows !== 28 || s.cols !== 28) throw new Error(`fashion-clutter: ${name} images are ${s.rows}x${s.cols}, expected 28x28`);
  }
  return { train, test };
}

/**
 * The items a backbone may be pretrained on: Fashion-MNIST train images 0..49,999 only, the ones
 * fashion-clutter's train objects come from. Val objects (50,000..54,999), the clutter pool
 * (55,000..59,999) and every t10k image stay unseen.
 */
export const PRETRAIN_SOURCE_ITEMS = 50_000;

/**
 * Image-level-labelled canvases for pretraining the tiny backbone: the fashion-clutter rendering, with
 * objects and clutter both drawn from train items 0..49,999 and a seed of its own. Its 'train' split
 * holds `count` images; 'val' holds `valCount` more from the same pool (for monitoring only). No boxes
 * or masks are used by pretraining (the dataset carries them because the renderer makes them).
 */
export function fashionPretrainDataset(options: { seed: number; count: number; valCount: number; imageSize?: number; dir?: string; dataRoot?: string }): Dataset {
  // A seed namespace of its own, so pretraining never renders the exact canvases of a fashion-clutter run.
  const opts: FashionClutterOptions = { ...DEFAULT_FASHION_CLUTTER, seed: (options.seed ^ 0x5eed0000) >>> 0, imageSize: options.imageSize ?? DEFAULT_FASHION_CLUTTER.imageSize, sizes: { train: options.count, val: options.valCount, test: 0 } };
  validateOptions(opts);
  const all = readFashionSources(options.dir, options.dataRoot);
  if (all.train.count < PRETRAIN_SOURCE_ITEMS) throw new Error(`fashion pretraining: needs the ${PRETRAIN_SOURCE_ITEMS} first train items, the file has ${all.train.count}`);
  const restricted: Source = { count: PRETRAIN_SOURCE_ITEMS, pixels: all.train.pixels.subarray(0, PRETRAIN_SOURCE_ITEMS * 784), labels: all.train.labels.subarray(0, PRETRAIN_SOURCE_ITEMS) };
  const sources = { train: restricted, test: restricted };
  const objects = pools('train', PRETRAIN_SOURCE_ITEMS).size;
  if (options.count + options.valCount > objects) throw new Error(`fashion pretraining: ${options.count} + ${options.valCount} images exceed the ${objects} object items of the pool`);
  // Both splits render from the train pool; val uses the items after the train ones.
  return generatedDataset({
    name: 'fashion-pretrain',
    classNames: FASHION_CLASS_NAMES,
    imageSize: opts.imageSize,
    sizes: opts.sizes,
    render: (split, i) => renderFashionSample(opts, sources, 'train', split === 'val' ? options.count + i : i),
  });
}

/** Opens the dataset: reads the IDX files once, renders each split on first use. */
export function fashionClutterDataset(options: Partial<FashionClutterOptions> & { dataRoot?: string } = {}): Dataset {
  const opts: FashionClutterOptions = { ...DEFAULT_FASHION_CLUTTER, ...options, sizes: { ...DEFAULT_FASHION_CLUTTER.sizes, ...(options.sizes ?? {}) } };
  validateOptions(opts);
  const sources = readFashionSources(opts.dir, options.dataRoot);
  for (const split of ['train', 'val', 'test'] as const) {
    const pool = pools(split, sources[split === 'test' ? 'test' : 'train'].count);
    const avail = pool.size;
    if (pool.clutterSize < 1 && opts.maxFragments > 0) throw new Error(`fashion-clutter: too few source images for ${split} clutter`);
    if (opts.sizes[split] > avail) throw new Error(`fashion-clutter: sizes.${split} = ${opts.sizes[split]} exceeds the ${avail} source images reserved for it`);
  }
  return generatedDataset({
    name: 'fashion-clutter',
    classNames: FASHION_CLASS_NAMES,
    imageSize: opts.imageSize,
    sizes: opts.sizes,
    render: (split, i) => renderFashionSample(opts, sources, split, i),
  });
}
