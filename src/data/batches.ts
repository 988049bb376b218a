/**
 * The batch pipeline: load -> resize / augment -> normalise -> [N, S, S, 3] float32 tensors,
 * seeded per (seed, epoch), with the next batches prepared while the caller trains.
 * Train augmentation: resize to S * u (u in [1, 1.25]) then a random S x S crop and a random
 * horizontal flip; evaluation: a plain resize to S x S. Boxes and masks follow the image.
 */
import * as tf from '@tensorflow/tfjs-core';
import type { Box } from '../common/box';
import { Rng } from '../common/rng';
import type { Dataset, DatasetItem, RgbImage, Split } from './dataset';
import { cropFlip, cropFlipMask, IMAGENET_MEAN, IMAGENET_STD, normalizePixels, resizeMask, resizeRgb, transformBox } from './image-ops';

export interface Batch {
  /** [N, S, S, 3] float32, normalised with ImageNet mean/std (0 = mean colour). The consumer disposes it. */
  images: tf.Tensor4D;
  labels: Int32Array;
  ids: string[];
  /** Ground-truth boxes in the S x S input (inclusive), after augmentation. */
  boxes: Box[][];
  /** S*S binary masks in input coordinates, or null. */
  masks: (Uint8Array | null)[];
}

export interface BatchOptions {
  batchSize: number;
  imageSize: number;
  augment: boolean;
  shuffle: boolean;
  seed: number;
  epoch: number;
  /** Use only the first `limit` items of the (shuffled) split; 0 = all. */
  limit?: number;
  /** Batches prepared ahead of the consumer. */
  prefetch?: number;
  /** Skip items that fail to load (reported through onWarning) instead of failing; default: the dataset's setting. */
  skipBad?: boolean;
  /** Default: the dataset's callback, else Node's process warnings (never silent). */
  onWarning?: (message: string) => void;
  /** Called after each batch is handed out: items done so far, items in this epoch. */
  onProgress?: (done: number, total: number) => void;
}

interface Prepared {
  pixels: Float32Array;
  label: number;
  id: string;
  boxes: Box[];
  mask: Uint8Array | null;
}

const MAX_SCALE = 1.25;

export { normalizePixels } from './image-ops';

async function prepare(ds: Dataset, item: DatasetItem, opts: BatchOptions, rng: Rng): Promise<Prepared> {
  const size = opts.imageSize;
  const scaled = opts.augment ? Math.round(size * (1 + rng.next() * (MAX_SCALE - 1))) : size;
  const cx = opts.augment ? rng.int(scaled - size + 1) : 0;
  const cy = opts.augment ? rng.int(scaled - size + 1) : 0;
  const flip = opts.augment && rng.next() < 0.5;
  let resized: RgbImage;
  if (ds.loadImageResized) {
    // File-backed data: libvips decodes and resizes in its own threads.
    resized = await ds.loadImageResized(item, scaled, scaled);
  } else {
    const raw = await ds.loadImage(item);
    if (raw.width !== item.width || raw.height !== item.height) {
      throw new Error(`${ds.name}: item "${item.id}" decoded as ${raw.width}x${raw.height}, metadata says ${item.width}x${item.height}`);
    }
    resized = resizeRgb(raw, scaled, scaled);
  }
  const rawMask = item.hasMask ? await ds.loadMask(item) : null;
  const img = cropFlip(resized, cx, cy, size, flip);
  const sx = scaled / item.width;
  const sy = scaled / item.height;
  const boxes = item.boxes.map((b) => transformBox(b, sx, sy, cx, cy, size, flip)).filter((b): b is Box => b !== null);
  const mask = rawMask ? cropFlipMask(resizeMask(rawMask, item.width, item.height, scaled, scaled), scaled, cx, cy, size, flip) : null;
  return { pixels: normalizePixels(img.data), label: item.label, id: item.id, boxes, mask };
}

/** The item order of one epoch: shuffled by (seed, epoch) when asked, then limited. */
export function epochOrder(ds: Dataset, split: Split, opts: Pick<BatchOptions, 'shuffle' | 'seed' | 'epoch' | 'limit'>): DatasetItem[] {
  const items = [...ds.items(split)];
  if (opts.shuffle) Rng.derive(opts.seed, 0x5bf, opts.epoch).shuffle(items);
  return opts.limit && opts.limit > 0 ? items.slice(0, opts.limit) : items;
}

async function prepareBatch(ds: Dataset, chunk: DatasetItem[], opts: BatchOptions, first: number): Promise<Prepared[]> {
  const out = await Promise.all(
    chunk.map(async (item, j) => {
      // Each item has its own generator, so augmentation does not depend on loading order.
      const rng = Rng.derive(opts.seed, 0xa06, opts.epoch, first + j);
      try {
        return await prepare(ds, item, opts, rng);
      } catch (err) {
        if (!(opts.skipBad ?? ds.skipBad)) throw err;
        // Warned once per item, not once per epoch.
        if (!ds.skipped?.has(item.id)) {
          const warn = opts.onWarning ?? ds.onWarning ?? ((m: string) => process.emitWarning(m, 'WsolDataWarning'));
          warn(`${ds.name}: skipping "${item.id}": ${(err as Error).message}`);
        }
        ds.skipped?.add(item.id);
        return null;
      }
    }),
  );
  return out.filter((p): p is Prepared => p !== null);
}

function toBatch(parts: Prepared[], size: number): Batch {
  const pixels = new Float32Array(parts.length * size * size * 3);
  parts.forEach((p, i) => pixels.set(p.pixels, i * size * size * 3));
  return {
    images: tf.tensor4d(pixels, [parts.length, size, size, 3]),
    labels: Int32Array.from(parts.map((p) => p.label)),
    ids: parts.map((p) => p.id),
    boxes: parts.map((p) => p.boxes),
    masks: parts.map((p) => p.mask),
  };
}

/**
 * Batches of one split for one epoch. Loading of the next `prefetch` batches starts before the
 * current one is handed out; leaving the loop early disposes nothing the caller did not get.
 */
export async function* batches(ds: Dataset, split: Split, opts: BatchOptions): AsyncGenerator<Batch> {
  if (!(opts.batchSize >= 1)) throw new Error(`batchSize must be >= 1, got ${opts.batchSize}`);
  const order = epochOrder(ds, split, opts);
  if (ds.items(split).length === 0) throw new Error(`${ds.name}: the ${split} split is empty`);
  const starts: number[] = [];
  for (let i = 0; i < order.length; i += opts.batchSize) starts.push(i);
  const depth = Math.max(1, opts.prefetch ?? 2);
  const pending: Promise<Prepared[]>[] = [];
  let next = 0;
  const fill = () => {
    while (pending.length < depth && next < starts.length) {
      const s = starts[next++];
      const p = prepareBatch(ds, order.slice(s, s + opts.batchSize), opts, s);
      p.catch(() => undefined); // surfaced when awaited; avoids an unhandled rejection meanwhile
      pending.push(p);
    }
  };
  fill();
  let done = 0;
  while (pending.length > 0) {
    const parts = await pending.shift()!;
    fill();
    done = Math.min(order.length, done + opts.batchSize);
    if (parts.length > 0) yield toBatch(parts, opts.imageSize);
    opts.onProgress?.(done, order.length);
  }
}

/** Undoes the normalisation: [N, S, S, 3] -> uint8 RGB bytes (N*S*S*3), for overlays and PNGs. */
export async function denormalize(images: tf.Tensor4D): Promise<Uint8Array> {
  const data = await images.data();
  const out = new Uint8Array(data.length);
  for (let i = 0; i < data.length; i++) {
    const c = i % 3;
    out[i] = Math.max(0, Math.min(255, Math.round((data[i] * IMAGENET_STD[c] + IMAGENET_MEAN[c]) * 255)));
  }
  return out;
}
