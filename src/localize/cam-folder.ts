/**
 * A folder of score maps in wsolevaluation's layout: the map of image `id` is `DIR/<id>.npy`
 * (an id with '/' lives in subfolders, e.g. `DIR/val2/995/0.jpeg.npy`), a 2-D float array of
 * shape (height, width) with values in [0, 1]. wsolevaluation's evaluation.py reads exactly
 * `<scoremap_root>/<image_id>.npy`; its inference.py writes maps min-max normalised.
 *
 * Beside the maps, `wsol eval --save-cams` writes `wsol-cams.json` (which dataset, seed, split
 * and evaluation size the maps belong to), so `wsol eval --cams DIR` needs no other flag for
 * our own folders. wsolevaluation ignores it (it only opens the maps of its image ids).
 */
import * as fs from 'fs';
import * as path from 'path';
import type { ScoreMap } from '../common/box';
import { writeFileAtomic } from '../common/atomic-write';
import { decodeNpy, encodeNpyFloat32 } from './npy';

export const CAMS_MANIFEST = 'wsol-cams.json';

/** What a saved folder holds: `evalSize` is N (N x N maps) or 'original' (each image's own size). */
export interface CamsManifest {
  dataset: string;
  seed?: number;
  split: string;
  evalSize: number | 'original';
  count: number;
}

/** Path of image `id`'s map; refuses ids that would leave the folder (absolute, '..', empty parts). */
export function camFile(dir: string, id: string): string {
  const parts = id.split('/');
  if (id.length === 0 || path.isAbsolute(id) || id.includes('\\') || id.includes('\0') || parts.some((p) => p === '' || p === '.' || p === '..')) {
    throw new Error(`image id "${id}" cannot name a file under ${dir} (absolute, empty, '.' or '..' parts)`);
  }
  return path.join(dir, ...parts) + '.npy';
}

/** Image `id`'s map, relative to the folder, '/'-separated (what camFile resolves). */
export function camFileName(id: string): string {
  return `${id}.npy`;
}

/** Writes one map as float32 (height, width) .npy, atomically (a reader never sees half a file). */
export function saveCam(dir: string, id: string, map: ScoreMap): string {
  const file = camFile(dir, id);
  writeFileAtomic(file, encodeNpyFloat32(map.data, [map.height, map.width]));
  return file;
}

/**
 * Reads image `id`'s map and checks it as wsolevaluation's check_scoremap_validity does (2-D,
 * no NaN, values in [0, 1]) plus its shape: height x width. Float64 maps are rounded to float32.
 */
export function loadCam(dir: string, id: string, width: number, height: number): ScoreMap {
  const file = camFile(dir, id);
  let bytes: Uint8Array;
  try {
    bytes = fs.readFileSync(file);
  } catch (err) {
    const code = (err as NodeJS.ErrnoException).code;
    if (code === 'ENOENT') throw new Error(`${file}: missing (no score map for image "${id}")`);
    throw new Error(`${file}: cannot read the score map of image "${id}": ${(err as Error).message}`);
  }
  const arr = decodeNpy(bytes, file);
  if (arr.dtype === 'uint8') throw new Error(`${file}: dtype uint8; a score map must be float32 or float64 in [0, 1]`);
  if (arr.shape.length !== 2) throw new Error(`${file}: a score map must be 2-D (height, width), this one has shape (${arr.shape.join(', ')})`);
  const [h, w] = arr.shape;
  if (h !== height || w !== width) {
    throw new Error(`${file}: shape (${h}, ${w}), expected (${height}, ${width}) for image "${id}" at the evaluation size`);
  }
  const data = new Float32Array(arr.values.length);
  for (let i = 0; i < data.length; i++) {
    const v = arr.values[i];
    if (!(v >= 0 && v <= 1)) throw new Error(`${file}: value ${v} at row ${Math.floor(i / w)}, column ${i % w} is not in [0, 1]`);
    data[i] = v;
  }
  return { width: w, height: h, data };
}

export function writeCamsManifest(dir: string, manifest: CamsManifest): void {
  writeFileAtomic(path.join(dir, CAMS_MANIFEST), JSON.stringify(manifest, null, 2) + '\n');
}

/** The folder's manifest, or null when there is none (maps made elsewhere). */
export function readCamsManifest(dir: string): CamsManifest | null {
  const file = path.join(dir, CAMS_MANIFEST);
  if (!fs.existsSync(file)) return null;
  let m: CamsManifest;
  try {
    m = JSON.parse(fs.readFileSync(file, 'utf8')) as CamsManifest;
  } catch (err) {
    throw new Error(`${file}: ${(err as Error).message}`);
  }
  if (typeof m.dataset !== 'string' || typeof m.split !== 'string' || !(m.evalSize === 'original' || (Number.isInteger(m.evalSize) && m.evalSize > 0))) {
    throw new Error(`${file}: expected {"dataset": string, "split": string, "evalSize": N or "original", ...}`);
  }
  return m;
}
