/**
 * wsolevaluation's metadata format (clovaai/wsolevaluation, "Evaluating WSOL Right"), which is also
 * the format for any user's own dataset. One folder per split (train/, val/, test/) holding:
 *   image_ids.txt      <path>                      one image per line, relative to the image root
 *   class_labels.txt   <path>,<class id>           integer ids from 0
 *   image_sizes.txt    <path>,<width>,<height>     (optional here: read from the files when absent)
 *   localization.txt   <path>,<x0>,<y0>,<x1>,<y1>  inclusive boxes, several lines for several boxes
 *                  or  <path>,<mask path>,<ignore path>  masks (relative to the image root)
 * This project also reads an optional `class_names.txt` (one name per line, line k+1 = class k)
 * beside the split folders; with it, class ids beyond the list are rejected. Without it the classes
 * are 0..max id, so ids must stay below MAX_CLASS_ID and cover a tenth of that range at least.
 * val/ and test/ need localization.txt (evaluation needs a box or mask for every image).
 * Paths must stay inside the image root unless `allowOutsideRoot`.
 */
import * as fs from 'fs';
import * as path from 'path';
import type { Box } from '../common/box';
import { SPLITS, type Dataset, type Split } from './dataset';
import { fileDataset, warningSink, type FileDatasetOptions, type FileRecord } from './file-dataset';
import { readImageSize } from './image-io';
import { pathInside } from './inside-root';
import { at, intField, readTable } from './text-table';

export interface WsolSplitMetadata {
  records: FileRecord[];
  /** Ids left out under skipBad (each reported through onWarning). */
  skipped: string[];
  /** The largest class id and where it was read (`class_labels.txt:line`). */
  maxLabel: { label: number; where: string };
}

export interface WsolSplitOptions {
  /** Class count from class_names.txt, or null without it. */
  numClasses: number | null;
  /** Every image needs a box or mask (val and test: evaluation uses them). */
  needLocalization?: boolean;
  allowOutsideRoot?: boolean;
  skipBad?: boolean;
  onWarning?: (message: string) => void;
}

/** Without class_names.txt, class ids must stay below this (a model with more classes is a typo). */
export const MAX_CLASS_ID = 100_000;

function readIdList(file: string): { id: string; line: number }[] {
  const rows = readTable(file, ',', 1);
  const seen = new Map<string, number>();
  for (const r of rows) {
    const first = seen.get(r.fields[0]);
    if (first !== undefined) throw new Error(`${at(file, r.line)}: duplicate image id "${r.fields[0]}" (first on line ${first})`);
    seen.set(r.fields[0], r.line);
  }
  return rows.map((r) => ({ id: r.fields[0], line: r.line }));
}

/** Reads one split folder; every problem names the file and line. */
export async function readWsolSplit(splitDir: string, imageRoot: string, opts: WsolSplitOptions): Promise<WsolSplitMetadata> {
  const { numClasses } = opts;
  const warn = warningSink(opts.onWarning);
  const idsFile = path.join(splitDir, 'image_ids.txt');
  const ids = readIdList(idsFile);
  if (ids.length === 0) throw new Error(`${idsFile}: empty split (no image ids)`);
  const known = new Set(ids.map((i) => i.id));
  const unknownId = (file: string, line: number, id: string) => new Error(`${at(file, line)}: image id "${id}" is not in ${idsFile}`);

  const labelsFile = path.join(splitDir, 'class_labels.txt');
  const labels = new Map<string, number>();
  let maxLabel = { label: -1, where: labelsFile };
  for (const r of readTable(labelsFile, ',', 2)) {
    const [id, value] = r.fields;
    if (!known.has(id)) throw unknownId(labelsFile, r.line, id);
    const label = intField(value, labelsFile, r.line, 'class id');
    if (label < 0 || (numClasses !== null && label >= numClasses)) {
      throw new Error(`${at(labelsFile, r.line)}: unknown class id ${label} for "${id}"${numClasses !== null ? ` (expected 0..${numClasses - 1})` : ''}`);
    }
    if (numClasses === null && label >= MAX_CLASS_ID) {
      throw new Error(`${at(labelsFile, r.line)}: class id ${label} for "${id}" is too large (at most ${MAX_CLASS_ID - 1} without class_names.txt)`);
    }
    if (label > maxLabel.label) maxLabel = { label, where: at(labelsFile, r.line) };
    labels.set(id, label);
  }

  const sizesFile = path.join(splitDir, 'image_sizes.txt');
  const sizes = new Map<string, { width: number; height: number; line: number }>();
  if (fs.existsSync(sizesFile)) {
    for (const r of readTable(sizesFile, ',', 3)) {
      const [id, w, h] = r.fields;
      if (!known.has(id)) throw unknownId(sizesFile, r.line, id);
      const width = intField(w, sizesFile, r.line, 'width');
      const height = intField(h, sizesFile, r.line, 'height');
      if (width < 1 || height < 1) throw new Error(`${at(sizesFile, r.line)}: bad image size ${width}x${height} for "${id}"`);
      sizes.set(id, { width, height, line: r.line });
    }
  }

  const locFile = path.join(splitDir, 'localization.txt');
  if (opts.needLocalization && !fs.existsSync(locFile)) {
    throw new Error(`${locFile} not found: the ${path.basename(splitDir)} split needs boxes or masks for evaluation`);
  }
  const boxes = new Map<string, Box[]>();
  const masks = new Map<string, string[]>();
  const boxLines = new Map<string, { box: Box; line: number }[]>();
  if (fs.existsSync(locFile)) {
    for (const r of readTable(locFile, ',', 3, 5)) {
      const id = r.fields[0];
      if (!known.has(id)) throw unknownId(locFile, r.line, id);
      if (r.fields.length === 5) {
        const [x0, y0, x1, y1] = r.fields.slice(1).map((v, k) => intField(v, locFile, r.line, ['x0', 'y0', 'x1', 'y1'][k]));
        if (x1 < x0 || y1 < y0) throw new Error(`${at(locFile, r.line)}: box of "${id}" has x1 < x0 or y1 < y0 (${x0},${y0},${x1},${y1})`);
        const box = { x0, y0, x1, y1 };
        boxes.set(id, [...(boxes.get(id) ?? []), box]);
        boxLines.set(id, [...(boxLines.get(id) ?? []), { box, line: r.line }]);
      } else if (r.fields.length === 3) {
        // The ignore mask (third field) is not used: PxAP here counts every pixel.
        const mask = pathInside(imageRoot, r.fields[1], at(locFile, r.line), opts.allowOutsideRoot);
        masks.set(id, [...(masks.get(id) ?? []), mask]);
      } else {
        throw new Error(`${at(locFile, r.line)}: expected <path>,<x0>,<y0>,<x1>,<y1> or <path>,<mask>,<ignore>`);
      }
    }
  }

  const records: FileRecord[] = [];
  const skipped: string[] = [];
  for (const { id, line } of ids) {
    const label = labels.get(id);
    if (label === undefined) throw new Error(`${at(idsFile, line)}: "${id}" has no class label in ${labelsFile}`);
    if (opts.needLocalization && !boxes.has(id) && !masks.has(id)) throw new Error(`${at(idsFile, line)}: "${id}" has no box or mask in ${locFile}`);
    const imagePath = pathInside(imageRoot, id, at(idsFile, line), opts.allowOutsideRoot);
    const exists = fs.existsSync(imagePath);
    let size = sizes.get(id);
    if (!size) {
      if (fs.existsSync(sizesFile)) throw new Error(`${at(idsFile, line)}: "${id}" has no size in ${sizesFile}`);
      if (exists) {
        try {
          size = { ...(await readImageSize(imagePath)), line };
        } catch (err) {
          if (!opts.skipBad) throw new Error(`${at(idsFile, line)}: ${(err as Error).message}`);
          warn(`skipping "${id}": ${(err as Error).message}`);
          skipped.push(id);
          continue;
        }
      }
    }
    // A missing file is reported (or skipped) by fileDataset, before any check of its size.
    if (!size) {
      records.push({ id, label, imagePath, width: 1, height: 1, boxes: boxes.get(id) ?? [], maskPaths: masks.get(id) ?? [], source: at(idsFile, line) });
      continue;
    }
    for (const { box, line: bl } of boxLines.get(id) ?? []) {
      if (box.x0 < 0 || box.y0 < 0 || box.x1 > size.width - 1 || box.y1 > size.height - 1) {
        throw new Error(`${at(locFile, bl)}: box (${box.x0},${box.y0},${box.x1},${box.y1}) lies outside the ${size.width}x${size.height} image "${id}"`);
      }
    }
    records.push({ id, label, imagePath, width: size.width, height: size.height, boxes: boxes.get(id) ?? [], maskPaths: masks.get(id) ?? [], source: at(idsFile, line) });
  }
  return { records, skipped, maxLabel };
}

/** Reads `class_names.txt` when present (one name per line). */
export function readClassNames(file: string): string[] | null {
  if (!fs.existsSync(file)) return null;
  return readTable(file, ',', 1, 1000).map((r) => r.fields.join(','));
}

/** Opens `folder:<metadataDir>,<imageRoot>`: every split folder present under metadataDir. */
export async function openWsolFolder(metadataDir: string, imageRoot: string, opts: FileDatasetOptions = {}): Promise<Dataset> {
  if (!fs.existsSync(metadataDir)) throw new Error(`metadata folder not found: ${metadataDir}`);
  if (!fs.existsSync(imageRoot)) throw new Error(`image root not found: ${imageRoot}`);
  const name = `folder:${path.basename(path.resolve(metadataDir))}`;
  const warn = warningSink(opts.onWarning);
  const names = readClassNames(path.join(metadataDir, 'class_names.txt'));
  const splits: Partial<Record<Split, FileRecord[]>> = {};
  const skipped: string[] = [];
  let maxLabel = { label: -1, where: '' };
  for (const split of SPLITS) {
    const dir = path.join(metadataDir, split);
    if (!fs.existsSync(path.join(dir, 'image_ids.txt'))) continue;
    const m = await readWsolSplit(dir, imageRoot, {
      numClasses: names?.length ?? null,
      needLocalization: split !== 'train',
      allowOutsideRoot: opts.allowOutsideRoot,
      skipBad: opts.skipBad,
      onWarning: (msg) => warn(`${name}: ${msg}`),
    });
    splits[split] = m.records;
    skipped.push(...m.skipped);
    if (m.maxLabel.label > maxLabel.label) maxLabel = m.maxLabel;
  }
  const present = Object.keys(splits);
  if (present.length === 0) throw new Error(`${metadataDir}: no split folder (train/, val/ or test/ with image_ids.txt)`);
  let classNames = names;
  if (!classNames) {
    const used = new Set(Object.values(splits).flatMap((rs) => rs.map((r) => r.label))).size;
    // Ids 0..max make max + 1 classes: a sparse handful of large ids is a typo, not a dataset.
    if (maxLabel.label + 1 > 10 * used + 10) {
      throw new Error(
        `${maxLabel.where}: class id ${maxLabel.label} makes ${maxLabel.label + 1} classes, but only ${used} ids are used; ` +
          `number the classes 0..${used - 1}, or list them in ${path.join(metadataDir, 'class_names.txt')}`,
      );
    }
    classNames = Array.from({ length: maxLabel.label + 1 }, (_, k) => `class_${k}`);
  }
  return fileDataset(name, classNames, splits, { ...opts, onWarning: warn, skipped });
}

/** Writes records in the same format (e.g. to export CUB with this project's val split). */
export function formatWsolSplit(records: FileRecord[], imageRoot: string): Record<string, string> {
  const rel = (p: string) => path.relative(imageRoot, p).split(path.sep).join('/');
  return {
    'image_ids.txt': records.map((r) => `${r.id}\n`).join(''),
    'class_labels.txt': records.map((r) => `${r.id},${r.label}\n`).join(''),
    'image_sizes.txt': records.map((r) => `${r.id},${r.width},${r.height}\n`).join(''),
    'localization.txt': records
      .flatMap((r) => [...r.boxes.map((b) => `${r.id},${b.x0},${b.y0},${b.x1},${b.y1}\n`), ...r.maskPaths.map((m) => `${r.id},${rel(m)},\n`)])
      .join(''),
  };
}
