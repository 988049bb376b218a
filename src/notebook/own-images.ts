/**
 * Chapter 09's helpers: a folder of your own images with boxes, put into the `folder:` format
 * (wsolevaluation metadata: train/ and val/ with image_ids.txt, class_labels.txt, image_sizes.txt,
 * localization.txt, plus class_names.txt), and a small example folder the project makes itself (PNGs
 * written with sharp from the generated parts images) so the chapter runs offline.
 *
 * The folder format this reads, the one most annotation tools can export:
 *   <images>/any/path.png ...                 the images (PNG, JPEG, WebP: whatever sharp reads)
 *   <images>/boxes.csv                        file,label,x0,y0,x1,y1   one line per box (header first)
 * `file` is relative to the images folder, `label` a class name, the box inclusive pixel corners.
 *
 * Nothing of yours is overwritten: each helper writes only into a folder that is missing, empty, or
 * one it made before (it leaves a `.wsol-made.json` there), and refuses any other, naming it.
 */
import { createHash } from 'crypto';
import * as fs from 'fs';
import * as path from 'path';
import sharp from 'sharp';
import type { Box } from '../common/box';
import { DEFAULT_PARTS, PARTS_CLASS_NAMES, renderPartsSample } from '../data/parts-dataset';
import { readImageSize } from '../data/image-io';
import type { SnapshotFile } from '../train/snapshot-types';
import type { FigureSpec } from '../viz/figures';
import { imageGrid, type GridCell } from '../viz/image-figures';
import { decodeRgb, pngDataUrl, probeOverlayPng, scoreMapOf } from '../viz/probe-overlay';
import { meanAgreement, regionAgreement, type RegionAgreement } from '../viz/region-agreement';

const MADE = '.wsol-made.json';

/** Opens `dir` for writing: true when it already holds what `stamp` describes (nothing to do). */
function claimFolder(dir: string, stamp: Record<string, unknown>): boolean {
  if (fs.existsSync(dir)) {
    const entries = fs.readdirSync(dir);
    const marker = path.join(dir, MADE);
    if (entries.length > 0 && !fs.existsSync(marker)) {
      throw new Error(`${dir} already holds files this notebook did not write (${entries.slice(0, 3).join(', ')}${entries.length > 3 ? ', ...' : ''}); choose another folder, nothing was changed`);
    }
    if (fs.existsSync(marker) && fs.readFileSync(marker, 'utf8') === JSON.stringify(stamp)) return true;
    // Made by us with other settings: remove only what we wrote (listed in the marker).
    if (fs.existsSync(marker)) {
      const old = JSON.parse(fs.readFileSync(marker, 'utf8')) as { files?: string[] };
      for (const f of old.files ?? []) fs.rmSync(path.join(dir, f), { force: true, recursive: true });
      fs.rmSync(marker);
    }
  }
  fs.mkdirSync(dir, { recursive: true });
  return false;
}

function markFolder(dir: string, stamp: Record<string, unknown>): void {
  fs.writeFileSync(path.join(dir, MADE), JSON.stringify(stamp));
}

export interface ExampleFolderOptions {
  /** Images per class (default 40). */
  perClass?: number;
  /** Classes, 2..8 (default 4). */
  classes?: number;
  /** Side of the square images in pixels (default 64; the training resizes any size). */
  size?: number;
  seed?: number;
}

/**
 * Writes an example folder in the format above: `images/<class>/<n>.png` and `boxes.csv` (the box is
 * the whole object). Re-running with the same options keeps the folder as it is.
 */
export async function writeExampleImages(dir: string, options: ExampleFolderOptions = {}): Promise<{ dir: string; images: number; classNames: string[]; written: boolean }> {
  const perClass = options.perClass ?? 40;
  const classes = options.classes ?? 4;
  const size = options.size ?? 64;
  const seed = options.seed ?? 7;
  const classNames = PARTS_CLASS_NAMES.slice(0, classes);
  const stamp = { kind: 'example-images', perClass, classes, size, seed, files: ['images', 'boxes.csv'] };
  if (claimFolder(dir, stamp)) return { dir, images: perClass * classes, classNames, written: false };
  const opts = { ...DEFAULT_PARTS, numClasses: classes, imageSize: size, seed };
  const lines = ['file,label,x0,y0,x1,y1'];
  for (let i = 0; i < perClass * classes; i++) {
    const s = renderPartsSample(opts, 'train', i);
    const file = `images/${classNames[s.label]}/${String(Math.floor(i / classes)).padStart(3, '0')}.png`;
    fs.mkdirSync(path.join(dir, path.dirname(file)), { recursive: true });
    await sharp(Buffer.from(s.image.data), { raw: { width: s.image.width, height: s.image.height, channels: 3 } }).png().toFile(path.join(dir, file));
    lines.push(`${file},${classNames[s.label]},${s.box.x0},${s.box.y0},${s.box.x1},${s.box.y1}`);
  }
  fs.writeFileSync(path.join(dir, 'boxes.csv'), lines.join('\n') + '\n');
  markFolder(dir, stamp);
  return { dir, images: perClass * classes, classNames, written: true };
}

export interface BoxedImage {
  file: string;
  label: string;
  boxes: Box[];
  width: number;
  height: number;
}

/** Reads `boxes.csv` of an images folder; every error names the file and line. */
export async function readBoxesCsv(imagesDir: string, csvFile = path.join(imagesDir, 'boxes.csv')): Promise<BoxedImage[]> {
  if (!fs.existsSync(csvFile)) throw new Error(`${csvFile} not found: list one box per line as file,label,x0,y0,x1,y1`);
  const rows = fs.readFileSync(csvFile, 'utf8').replace(/\r\n/g, '\n').split('\n');
  const byFile = new Map<string, BoxedImage>();
  const header = rows[0].trim().toLowerCase().replace(/\s/g, '');
  if (header !== 'file,label,x0,y0,x1,y1') throw new Error(`${csvFile}:1: the first line must be the header file,label,x0,y0,x1,y1, got "${rows[0]}"`);
  for (let i = 1; i < rows.length; i++) {
    const line = rows[i].trim();
    if (!line) continue;
    const at = `${csvFile}:${i + 1}`;
    const f = line.split(',').map((x) => x.trim());
    if (f.length !== 6) throw new Error(`${at}: expected 6 fields (file,label,x0,y0,x1,y1), got ${f.length}`);
    const [file, label] = f;
    const [x0, y0, x1, y1] = f.slice(2).map(Number);
    if (![x0, y0, x1, y1].every((v) => Number.isInteger(v) && v >= 0)) throw new Error(`${at}: box corners must be whole pixels >= 0, got ${f.slice(2).join(',')}`);
    if (x1 < x0 || y1 < y0) throw new Error(`${at}: x1 < x0 or y1 < y0 in ${f.slice(2).join(',')}`);
    if (!label) throw new Error(`${at}: empty label`);
    if (path.isAbsolute(file) || file.split(/[\\/]/).includes('..')) throw new Error(`${at}: "${file}" must be a path inside ${imagesDir}`);
    let item = byFile.get(file);
    if (!item) {
      const full = path.join(imagesDir, file);
      if (!fs.existsSync(full)) throw new Error(`${at}: image ${full} not found`);
      const size = await readImageSize(full);
      item = { file, label, boxes: [], ...size };
      byFile.set(file, item);
    } else if (item.label !== label) throw new Error(`${at}: ${file} is labelled "${label}" here and "${item.label}" on an earlier line`);
    if (x1 > item.width - 1 || y1 > item.height - 1) throw new Error(`${at}: box ${f.slice(2).join(',')} lies outside the ${item.width}x${item.height} image ${file}`);
    item.boxes.push({ x0, y0, x1, y1 });
  }
  if (byFile.size === 0) throw new Error(`${csvFile}: no boxes listed`);
  return [...byFile.values()];
}

export interface WsolFolder {
  /** The dataset spec to open: `folder:<metadata dir>,<image root>`. */
  spec: string;
  /** Tells runs on other data apart (the spec and a digest of boxes.csv and the split). */
  dataKey: string;
  metadataDir: string;
  classNames: string[];
  counts: { train: number; val: number };
}

/**
 * Writes the wsolevaluation metadata of an images folder (boxes.csv) into metadataDir: per class, a
 * seeded `valShare` of the images go to val/ (at least one), the rest to train/. Class ids follow the
 * sorted class names. Re-running with the same folder and options keeps what is there.
 */
export async function toWsolFolder(imagesDir: string, metadataDir: string, options: { valShare?: number; seed?: number } = {}): Promise<WsolFolder> {
  const valShare = options.valShare ?? 0.25;
  const seed = options.seed ?? 1;
  if (!(valShare > 0 && valShare < 1)) throw new Error(`toWsolFolder: valShare must be between 0 and 1, got ${valShare}`);
  const images = await readBoxesCsv(imagesDir);
  const classNames = [...new Set(images.map((im) => im.label))].sort();
  if (classNames.length < 2) throw new Error(`${path.join(imagesDir, 'boxes.csv')}: one class only ("${classNames[0]}"); a classifier needs at least two`);
  const split = new Map<string, 'train' | 'val'>();
  const counts = { train: 0, val: 0 };
  for (const name of classNames) {
    const ofClass = images.filter((im) => im.label === name).map((im) => im.file).sort();
    if (ofClass.length < 2) throw new Error(`class "${name}" has ${ofClass.length} image; each class needs at least 2 (one to train on, one to check)`);
    // A seeded shuffle (mulberry32), so the split is the same on every machine.
    let a = (seed * 2654435761 + name.length * 40503) >>> 0;
    const rand = () => {
      a = (a + 0x6d2b79f5) >>> 0;
      let t = a;
      t = Math.imul(t ^ (t >>> 15), t | 1);
      t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
      return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
    };
    for (let i = ofClass.length - 1; i > 0; i--) {
      const j = Math.floor(rand() * (i + 1));
      [ofClass[i], ofClass[j]] = [ofClass[j], ofClass[i]];
    }
    const nVal = Math.min(ofClass.length - 1, Math.max(1, Math.round(valShare * ofClass.length)));
    ofClass.forEach((f, i) => split.set(f, i < nVal ? 'val' : 'train'));
  }
  const csv = fs.readFileSync(path.join(imagesDir, 'boxes.csv'), 'utf8');
  const stamp = { kind: 'wsol-metadata', imagesDir: path.resolve(imagesDir), csv: createHash('sha256').update(csv).digest('hex'), valShare, seed, files: ['train', 'val', 'class_names.txt'] };
  const spec = `folder:${metadataDir},${imagesDir}`;
  const dataKey = `${spec}:${createHash('sha256').update(csv).update(JSON.stringify({ valShare, seed })).digest('hex').slice(0, 16)}`;
  for (const im of images) counts[split.get(im.file)!]++;
  if (claimFolder(metadataDir, stamp)) return { spec, dataKey, metadataDir, classNames, counts };
  for (const s of ['train', 'val'] as const) {
    const dir = path.join(metadataDir, s);
    fs.mkdirSync(dir, { recursive: true });
    const mine = images.filter((im) => split.get(im.file) === s);
    const write = (name: string, rows: string[]) => fs.writeFileSync(path.join(dir, name), rows.join('\n') + '\n');
    write('image_ids.txt', mine.map((im) => im.file));
    write('class_labels.txt', mine.map((im) => `${im.file},${classNames.indexOf(im.label)}`));
    write('image_sizes.txt', mine.map((im) => `${im.file},${im.width},${im.height}`));
    write('localization.txt', mine.flatMap((im) => im.boxes.map((b) => `${im.file},${b.x0},${b.y0},${b.x1},${b.y1}`)));
  }
  fs.writeFileSync(path.join(metadataDir, 'class_names.txt'), classNames.join('\n') + '\n');
  markFolder(metadataDir, stamp);
  return { spec, dataKey, metadataDir, classNames, counts };
}

/**
 * The maps of several finished runs on their shared probes: one row per method, one column per probe
 * (jet map of the true class over the image, green the ground truth, red the box at `threshold`),
 * with each method's mean agreement of map and box.
 */
export async function methodMapsGrid(runs: Map<string, SnapshotFile>, threshold: number): Promise<{ figure: FigureSpec; agreement: Map<string, RegionAgreement> }> {
  const first = runs.values().next().value as SnapshotFile | undefined;
  if (!first) throw new Error('methodMapsGrid: no runs with snapshots');
  const probes = first.probes;
  const images = await Promise.all(probes.map((p) => decodeRgb(p.pngDataUrl)));
  const rows: { label: string; cells: GridCell[] }[] = [];
  const agreement = new Map<string, RegionAgreement>();
  for (const [method, file] of runs) {
    const last = file.snapshots[file.snapshots.length - 1];
    const cells: GridCell[] = [];
    const agree: RegionAgreement[] = [];
    for (let i = 0; i < probes.length; i++) {
      const map = scoreMapOf(last.probes[i].full, last.mapWidth, last.mapHeight);
      const a = regionAgreement(map, images[i].width, probes[i].boxes, threshold);
      agree.push(a);
      cells.push({ src: pngDataUrl(await probeOverlayPng(images[i], map, probes[i].boxes, { threshold })), caption: `IoU ${(100 * a.iou).toFixed(0)}%` });
    }
    agreement.set(method, meanAgreement(agree));
    rows.push({ label: method, cells });
  }
  return { figure: imageGrid(rows, probes.map((p) => `${p.className} ${path.basename(p.id)}`), { cellPx: 130 }), agreement };
}
