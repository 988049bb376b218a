/**
 * A Dataset over image files on disk, shared by every file-based source (wsolevaluation metadata,
 * CUB's official files, ILSVRC). Loaders parse their own metadata into FileRecords; this module
 * validates them once and decodes pixels and masks through sharp.
 */
import * as fs from 'fs';
import type { Box } from '../common/box';
import { checkUniqueIds, SPLITS, validateItem, type Dataset, type DatasetItem, type Split } from './dataset';
import { decodeImageFile, decodeMaskFile } from './image-io';

export interface FileRecord {
  id: string;
  label: number;
  imagePath: string;
  width: number;
  height: number;
  boxes: Box[];
  /** Mask files whose union is the object mask (wsolevaluation allows several per image). */
  maskPaths: string[];
  /** Where the record came from, for error messages (e.g. `localization.txt:12`). */
  source?: string;
}

export interface FileDatasetOptions {
  /** Skip images whose file is missing (at open) or undecodable (when loaded), with a warning. */
  skipBad?: boolean;
  onWarning?: (message: string) => void;
  /** Threshold (0..255) that turns a grey mask file into a binary mask. */
  maskThreshold?: number;
  /** Let metadata name image and mask files outside the image root (`../x.jpg`). */
  allowOutsideRoot?: boolean;
  /** Ids a loader already left out (reported through onWarning) before building the dataset. */
  skipped?: Iterable<string>;
}

/** Warnings are never silent: without a callback they go to Node's process warning channel. */
export function warningSink(onWarning?: (message: string) => void): (message: string) => void {
  return onWarning ?? ((m) => process.emitWarning(m, 'WsolDataWarning'));
}

export function fileDataset(
  name: string,
  classNames: string[],
  splits: Partial<Record<Split, FileRecord[]>>,
  opts: FileDatasetOptions = {},
): Dataset {
  const warn = warningSink(opts.onWarning);
  const records = new Map<string, FileRecord>();
  const items = new Map<Split, DatasetItem[]>();
  const skipped = new Set<string>(opts.skipped ?? []);
  for (const split of SPLITS) {
    const list: DatasetItem[] = [];
    for (const r of splits[split] ?? []) {
      const item: DatasetItem = { id: r.id, label: r.label, width: r.width, height: r.height, boxes: r.boxes, hasMask: r.maskPaths.length > 0 };
      if (records.has(r.id)) throw new Error(`${name}: duplicate image id "${r.id}"${r.source ? ` (${r.source})` : ''}`);
      // Before the item's own checks: a missing file's size is unknown, and so is whether its boxes fit.
      if (!fs.existsSync(r.imagePath)) {
        if (!opts.skipBad) throw new Error(`${r.source ? `${r.source}: ` : ''}${name}: image file not found: ${r.imagePath} (id "${r.id}")`);
        warn(`${name}: skipping "${r.id}": image file not found: ${r.imagePath}`);
        skipped.add(r.id);
        continue;
      }
      try {
        validateItem(name, item, classNames.length);
      } catch (err) {
        throw new Error(r.source ? `${r.source}: ${(err as Error).message}` : (err as Error).message);
      }
      records.set(r.id, r);
      list.push(item);
    }
    checkUniqueIds(name, list, split);
    items.set(split, list);
  }
  const record = (item: DatasetItem): FileRecord => {
    const r = records.get(item.id);
    if (!r) throw new Error(`${name}: unknown item id "${item.id}"`);
    return r;
  };
  return {
    name,
    classNames,
    hasMasks: [...records.values()].some((r) => r.maskPaths.length > 0),
    skipBad: opts.skipBad ?? false,
    onWarning: warn,
    skipped,
    items: (split) => items.get(split) ?? [],
    loadImage: async (item) => decodeImageFile(record(item).imagePath, { expect: { width: item.width, height: item.height } }),
    loadImageResized: async (item, width, height) =>
      decodeImageFile(record(item).imagePath, { resize: { width, height }, expect: { width: item.width, height: item.height } }),
    loadMask: async (item) => {
      const r = record(item);
      if (r.maskPaths.length === 0) return null;
      const union = new Uint8Array(item.width * item.height);
      for (const p of r.maskPaths) {
        const m = await decodeMaskFile(p, { width: item.width, height: item.height }, opts.maskThreshold);
        for (let i = 0; i < union.length; i++) union[i] |= m[i];
      }
      return union;
    },
  };
}
