/**
 * The IDX format of MNIST / Fashion-MNIST: a big-endian header (two zero bytes, a type byte,
 * the number of dimensions, then one uint32 per dimension) followed by the data.
 * Image files have magic 2051 (unsigned bytes, 3 dims), label files 2049 (unsigned bytes, 1 dim).
 */
import * as fs from 'fs';
import * as zlib from 'zlib';

export const IDX_IMAGES_MAGIC = 2051;
export const IDX_LABELS_MAGIC = 2049;

export interface IdxArray {
  magic: number;
  dims: number[];
  data: Uint8Array;
}

/** Parses IDX bytes (already gunzipped); `file` names the source in errors. */
export function parseIdx(bytes: Uint8Array, file: string, expectMagic?: number): IdxArray {
  if (bytes.length < 4) throw new Error(`${file}: truncated IDX file (${bytes.length} bytes, no header)`);
  const view = new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength);
  const magic = view.getUint32(0);
  if (bytes[0] !== 0 || bytes[1] !== 0 || bytes[2] !== 0x08) {
    throw new Error(`${file}: not an unsigned-byte IDX file (magic ${magic})${expectMagic ? `, expected ${expectMagic}` : ''}`);
  }
  if (expectMagic !== undefined && magic !== expectMagic) throw new Error(`${file}: wrong IDX magic number ${magic}, expected ${expectMagic}`);
  const nd = bytes[3];
  const header = 4 + 4 * nd;
  if (nd < 1 || bytes.length < header) throw new Error(`${file}: truncated IDX header (${nd} dims, ${bytes.length} bytes)`);
  const dims = Array.from({ length: nd }, (_, k) => view.getUint32(4 + 4 * k));
  const count = dims.reduce((a, b) => a * b, 1);
  if (bytes.length - header < count) {
    throw new Error(`${file}: truncated IDX data: the header promises ${dims.join('x')} = ${count} bytes, the file has ${bytes.length - header}`);
  }
  if (bytes.length - header > count) throw new Error(`${file}: ${bytes.length - header - count} unexpected bytes after the IDX data`);
  return { magic, dims, data: bytes.subarray(header, header + count) };
}

/** Reads an IDX file, gunzipping it when it ends in .gz. */
export function readIdxFile(file: string, expectMagic?: number): IdxArray {
  let bytes: Uint8Array;
  try {
    bytes = fs.readFileSync(file);
  } catch (err) {
    const code = (err as NodeJS.ErrnoException).code;
    throw new Error(code === 'ENOENT' ? `IDX file not found: ${file}` : `cannot read ${file}: ${(err as Error).message}`);
  }
  if (file.endsWith('.gz')) {
    try {
      bytes = zlib.gunzipSync(bytes);
    } catch (err) {
      throw new Error(`${file}: corrupt or truncated gzip data (${(err as Error).message})`);
    }
  }
  return parseIdx(bytes, file, expectMagic);
}

/** Images (N x rows x cols) and their labels, checked against each other. */
export function readIdxImagesAndLabels(imagesFile: string, labelsFile: string): { count: number; rows: number; cols: number; pixels: Uint8Array; labels: Uint8Array } {
  const images = readIdxFile(imagesFile, IDX_IMAGES_MAGIC);
  if (images.dims.length !== 3) throw new Error(`${imagesFile}: expected 3 dimensions (N, rows, cols), got ${images.dims.length}`);
  const labels = readIdxFile(labelsFile, IDX_LABELS_MAGIC);
  if (labels.dims.length !== 1) throw new Error(`${labelsFile}: expected 1 dimension, got ${labels.dims.length}`);
  if (labels.dims[0] !== images.dims[0]) throw new Error(`${labelsFile}: ${labels.dims[0]} labels for ${images.dims[0]} images in ${imagesFile}`);
  return { count: images.dims[0], rows: images.dims[1], cols: images.dims[2], pixels: images.data, labels: labels.data };
}
