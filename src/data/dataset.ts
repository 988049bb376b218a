/** The Dataset interface every source implements (synthetic, Fashion-MNIST clutter, folders, CUB). */
import type { Box } from '../common/box';

export type Split = 'train' | 'val' | 'test';
export const SPLITS: Split[] = ['train', 'val', 'test'];

/** Decoded pixels: RGB, row-major, 3 bytes per pixel. */
export interface RgbImage {
  width: number;
  height: number;
  data: Uint8Array;
}

export interface DatasetItem {
  id: string;
  label: number;
  width: number;
  height: number;
  /** Ground-truth boxes in original-image pixels, inclusive. */
  boxes: Box[];
  hasMask: boolean;
}

export interface Dataset {
  name: string;
  classNames: string[];
  hasMasks: boolean;
  items(split: Split): DatasetItem[];
  loadImage(item: DatasetItem): Promise<RgbImage>;
  /** Binary mask (width*height, 1 = object) or null when the item has none. */
  loadMask(item: DatasetItem): Promise<Uint8Array | null>;
  /**
   * Optional fast path for file-backed data: decode and resize in one step (in libvips threads),
   * returning a `width` x `height` image. The batch pipeline prefers it when present.
   */
  loadImageResized?(item: DatasetItem, width: number, height: number): Promise<RgbImage>;
  /** How the dataset was opened: skip undecodable images with a warning instead of failing. */
  skipBad?: boolean;
  /** Where warnings about skipped items go (the batch pipeline uses it when its own is not set). */
  onWarning?: (message: string) => void;
  /** Ids of the items skipped so far under `skipBad` (at open, or when they failed to decode). */
  skipped?: Set<string>;
}

/** Throws when two items of a dataset share an id (ids key images, masks and results). */
export function checkUniqueIds(dataset: string, items: Iterable<DatasetItem>, where = ''): void {
  const seen = new Set<string>();
  for (const item of items) {
    if (seen.has(item.id)) throw new Error(`${dataset}${where ? ` (${where})` : ''}: duplicate image id "${item.id}"`);
    seen.add(item.id);
  }
}

/** Checks the invariants every loader must hold; errors name the dataset and item. */
export function validateItem(dataset: string, item: DatasetItem, numClasses: number): void {
  const where = `${dataset}: item "${item.id}"`;
  if (!Number.isInteger(item.label) || item.label < 0 || item.label >= numClasses) {
    throw new Error(`${where}: unknown class id ${item.label} (expected 0..${numClasses - 1})`);
  }
  if (!(item.width > 0 && item.height > 0)) throw new Error(`${where}: bad image size ${item.width}x${item.height}`);
  for (const b of item.boxes) {
    if (!(b.x1 >= b.x0 && b.y1 >= b.y0)) throw new Error(`${where}: box has x1 < x0 or y1 < y0 (${JSON.stringify(b)})`);
    if (b.x0 < 0 || b.y0 < 0 || b.x1 > item.width - 1 || b.y1 > item.height - 1) {
      throw new Error(`${where}: box ${JSON.stringify(b)} lies outside the ${item.width}x${item.height} image`);
    }
  }
}
