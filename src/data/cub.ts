/**
 * CUB-200-2011 from its official files (the extracted CUB_200_2011/ folder):
 *   images.txt             <image id> <relative path under images/>
 *   image_class_labels.txt <image id> <class id, 1-based>
 *   classes.txt            <class id> <name>
 *   train_test_split.txt   <image id> <1 = train, 0 = test>
 *   bounding_boxes.txt     <image id> <x> <y> <width> <height>   (floats, pixels)
 * Optional: segmentations/<same path with .png> (the separate segmentations archive, grey 0..255).
 * The official release has no validation split; `valPerClass` images per class are moved from
 * train to val by a seeded draw (wsolevaluation instead ships a separately collected CUBV2 val).
 */
import * as fs from 'fs';
import * as path from 'path';
import type { Box } from '../common/box';
import { Rng } from '../common/rng';
import { writeFileAtomic } from '../common/atomic-write';
import type { Dataset, Split } from './dataset';
import { fileDataset, type FileDatasetOptions, type FileRecord } from './file-dataset';
import { readImageSize } from './image-io';
import { pathInside } from './inside-root';
import { at, intField, numberField, readTable } from './text-table';

export interface CubOptions extends FileDatasetOptions {
  /** Images per class moved from train to val (0 = no val split). */
  valPerClass?: number;
  seed?: number;
  /** Folder of the segmentations archive; default: `<root>/segmentations` or `<root>/../segmentations`. */
  segmentationsDir?: string;
  /** Cache image sizes in `<root>/.wsol-image-sizes.txt` (reading 11,788 headers takes a few seconds). */
  cacheSizes?: boolean;
}

export const CUB_DEFAULTS = { valPerClass: 0, seed: 1, cacheSizes: true };

/**
 * CUB's box (x, y, w, h) as an inclusive pixel box: columns round(x) .. round(x + w) - 1, clamped
 * to the image. (wsolevaluation's CUB metadata writes x + w as x1, one pixel wider.)
 */
export function cubBoxToInclusive(x: number, y: number, w: number, h: number, width: number, height: number): Box {
  const x0 = Math.max(0, Math.min(width - 1, Math.round(x)));
  const y0 = Math.max(0, Math.min(height - 1, Math.round(y)));
  const x1 = Math.max(x0, Math.min(width - 1, Math.round(x + w) - 1));
  const y1 = Math.max(y0, Math.min(height - 1, Math.round(y + h) - 1));
  return { x0, y0, x1, y1 };
}

function byImageId(file: string, rows: { line: number; fields: string[] }[], images: Map<number, unknown>): Map<number, { line: number; fields: string[] }> {
  const out = new Map<number, { line: number; fields: string[] }>();
  for (const r of rows) {
    const id = intField(r.fields[0], file, r.line, 'image id');
    if (!images.has(id)) throw new Error(`${at(file, r.line)}: image id ${id} is not in images.txt`);
    if (out.has(id)) throw new Error(`${at(file, r.line)}: duplicate image id ${id}`);
    out.set(id, r);
  }
  return out;
}

async function imageSizes(root: string, paths: Map<number, string>, cache: boolean): Promise<Map<number, { width: number; height: number }>> {
  const cacheFile = path.join(root, '.wsol-image-sizes.txt');
  const sizes = new Map<number, { width: number; height: number }>();
  if (cache && fs.existsSync(cacheFile)) {
    for (const r of readTable(cacheFile, 'space', 3)) sizes.set(Number(r.fields[0]), { width: Number(r.fields[1]), height: Number(r.fields[2]) });
  }
  const todo = [...paths.entries()].filter(([id, p]) => !sizes.has(id) && fs.existsSync(p));
  let next = 0;
  // A few headers in flight at once: sharp parses them in its own threads.
  await Promise.all(
    Array.from({ length: 8 }, async () => {
      while (next < todo.length) {
        const [id, p] = todo[next++];
        sizes.set(id, await readImageSize(p));
      }
    }),
  );
  if (cache && todo.length > 0) {
    try {
      writeFileAtomic(cacheFile, [...sizes.entries()].map(([id, s]) => `${id} ${s.width} ${s.height}\n`).join(''));
    } catch {
      // A read-only data folder only loses the cache.
    }
  }
  return sizes;
}

export async function openCub(root: string, options: CubOptions = {}): Promise<Dataset> {
  const opts = { ...CUB_DEFAULTS, ...options };
  const file = (name: string) => path.join(root, name);
  if (!fs.existsSync(file('images.txt'))) {
    throw new Error(`CUB-200-2011 not found: ${file('images.txt')} is missing (run \`wsol data prepare cub\`, or pass cub:<folder of CUB_200_2011>)`);
  }
  const images = new Map<number, string>();
  const imageLines = new Map<number, number>();
  for (const r of readTable(file('images.txt'), 'space', 2)) {
    const id = intField(r.fields[0], file('images.txt'), r.line, 'image id');
    if (images.has(id)) throw new Error(`${at(file('images.txt'), r.line)}: duplicate image id ${id}`);
    images.set(id, r.fields[1]);
    imageLines.set(id, r.line);
  }
  if (images.size === 0) throw new Error(`${file('images.txt')}: no images`);
  const classes = readTable(file('classes.txt'), 'space', 2).map((r, k) => {
    const id = intField(r.fields[0], file('classes.txt'), r.line, 'class id');
    if (id !== k + 1) throw new Error(`${at(file('classes.txt'), r.line)}: expected class id ${k + 1}, got ${id}`);
    return r.fields[1].replace(/^\d+\./, '');
  });
  const labels = byImageId(file('image_class_labels.txt'), readTable(file('image_class_labels.txt'), 'space', 2), images);
  const split = byImageId(file('train_test_split.txt'), readTable(file('train_test_split.txt'), 'space', 2), images);
  const boxes = byImageId(file('bounding_boxes.txt'), readTable(file('bounding_boxes.txt'), 'space', 5), images);

  const segDir = opts.segmentationsDir ?? [path.join(root, 'segmentations'), path.join(root, '..', 'segmentations')].find((d) => fs.existsSync(d));
  const fullPaths = new Map(
    [...images].map(([id, p]) => [id, pathInside(path.join(root, 'images'), p, at(file('images.txt'), imageLines.get(id)!), opts.allowOutsideRoot)]),
  );
  const sizes = await imageSizes(root, fullPaths, opts.cacheSizes);

  const records: { record: FileRecord; train: boolean }[] = [];
  for (const [id, rel] of images) {
    const where = `${at(file('images.txt'), imageLines.get(id)!)} (image id ${id})`;
    const l = labels.get(id);
    const s = split.get(id);
    const b = boxes.get(id);
    if (!l) throw new Error(`${where}: no class label in image_class_labels.txt`);
    if (!s) throw new Error(`${where}: no entry in train_test_split.txt`);
    if (!b) throw new Error(`${where}: no entry in bounding_boxes.txt`);
    const cls = intField(l.fields[1], file('image_class_labels.txt'), l.line, 'class id');
    if (cls < 1 || cls > classes.length) throw new Error(`${at(file('image_class_labels.txt'), l.line)}: unknown class id ${cls} (classes.txt has 1..${classes.length})`);
    const flag = s.fields[1];
    if (flag !== '0' && flag !== '1') throw new Error(`${at(file('train_test_split.txt'), s.line)}: expected 1 (train) or 0 (test), got "${flag}"`);
    const size = sizes.get(id) ?? { width: 1, height: 1 }; // missing file: reported by fileDataset
    const [x, y, w, h] = b.fields.slice(1).map((v, k) => numberField(v, file('bounding_boxes.txt'), b.line, ['x', 'y', 'width', 'height'][k]));
    if (w <= 0 || h <= 0) throw new Error(`${at(file('bounding_boxes.txt'), b.line)}: box of image ${id} has width/height <= 0`);
    if (sizes.has(id) && (x < -0.5 || y < -0.5 || x + w > size.width + 1 || y + h > size.height + 1)) {
      throw new Error(`${at(file('bounding_boxes.txt'), b.line)}: box (${x}, ${y}, ${w}, ${h}) lies outside the ${size.width}x${size.height} image ${rel}`);
    }
    const seg = segDir ? path.join(segDir, rel.replace(/\.[^.]+$/, '.png')) : null;
    records.push({
      train: flag === '1',
      record: {
        id: rel,
        label: cls - 1,
        imagePath: fullPaths.get(id)!,
        width: size.width,
        height: size.height,
        boxes: [cubBoxToInclusive(x, y, w, h, size.width, size.height)],
        maskPaths: seg && fs.existsSync(seg) ? [seg] : [],
        source: at(file('images.txt'), imageLines.get(id)!),
      },
    });
  }
  const splits: Record<Split, FileRecord[]> = { train: [], val: [], test: [] };
  const trainByClass = new Map<number, FileRecord[]>();
  for (const { record, train } of records) {
    if (!train) splits.test.push(record);
    else trainByClass.set(record.label, [...(trainByClass.get(record.label) ?? []), record]);
  }
  for (const [label, list] of [...trainByClass].sort((a, b) => a[0] - b[0])) {
    const shuffled = Rng.derive(opts.seed, 0xc0b, label).shuffle([...list]);
    const val = new Set(shuffled.slice(0, Math.min(opts.valPerClass, list.length - 1)));
    for (const r of list) (val.has(r) ? splits.val : splits.train).push(r);
  }
  return fileDataset('cub', classes, splits, opts);
}
