/**
 * NumPy's .npy format (what np.save writes and np.load reads), for score maps:
 *   magic "\x93NUMPY", major and minor version bytes, header length (uint16 LE for version 1,
 *   uint32 LE for versions 2 and 3), an ASCII Python dict literal
 *   {'descr': '<f4', 'fortran_order': False, 'shape': (H, W), } padded with spaces and a final
 *   newline so the data starts at a multiple of 64 bytes, then the raw array data.
 * We write version 1.0 little-endian float32 arrays in C order; we read float32/float64 (either
 * byte order) and uint8, in C or Fortran order.
 */

export interface NpyArray {
  shape: number[];
  /** The dtype as numpy names it: 'float32', 'float64' or 'uint8'. */
  dtype: 'float32' | 'float64' | 'uint8';
  /** Values in C (row-major) order, converted to double. */
  values: Float64Array;
}

const MAGIC = [0x93, 0x4e, 0x55, 0x4d, 0x50, 0x59]; // \x93NUMPY

/** Bytes of a C-order little-endian float32 .npy file holding `data` with `shape`. */
export function encodeNpyFloat32(data: Float32Array, shape: readonly number[]): Uint8Array {
  const count = shape.reduce((a, b) => a * b, 1);
  if (count !== data.length) throw new Error(`encodeNpyFloat32: shape (${shape.join(', ')}) holds ${count} values, data has ${data.length}`);
  const dims = shape.length === 1 ? `${shape[0]},` : shape.join(', ');
  let header = `{'descr': '<f4', 'fortran_order': False, 'shape': (${dims}), }`;
  const unpadded = MAGIC.length + 4 + header.length + 1;
  header += ' '.repeat((64 - (unpadded % 64)) % 64) + '\n';
  const out = new Uint8Array(MAGIC.length + 4 + header.length + data.length * 4);
  out.set(MAGIC, 0);
  out[6] = 1;
  out[7] = 0;
  out[8] = header.length & 0xff;
  out[9] = header.length >> 8;
  for (let i = 0; i < header.length; i++) out[10 + i] = header.charCodeAt(i);
  const view = new DataView(out.buffer, out.byteOffset + 10 + header.length);
  for (let i = 0; i < data.length; i++) view.setFloat32(4 * i, data[i], true);
  return out;
}

/** Parses a .npy file; `what` (the file name) starts every error message. */
export function decodeNpy(bytes: Uint8Array, what: string): NpyArray {
  const bad = (why: string) => new Error(`${what}: not a readable .npy file (${why})`);
  if (bytes.length < 10 || MAGIC.some((b, i) => bytes[i] !== b)) throw bad('no \\x93NUMPY magic at the start');
  const major = bytes[6];
  let headerLength: number;
  let start: number;
  if (major === 1) {
    headerLength = bytes[8] | (bytes[9] << 8);
    start = 10;
  } else if (major === 2 || major === 3) {
    if (bytes.length < 12) throw bad('truncated header');
    headerLength = (bytes[8] | (bytes[9] << 8) | (bytes[10] << 16)) + bytes[11] * 2 ** 24;
    start = 12;
  } else {
    throw bad(`format version ${major}.${bytes[7]}`);
  }
  if (start + headerLength > bytes.length) throw bad('truncated header');
  const header = new TextDecoder().decode(bytes.subarray(start, start + headerLength));
  const descr = /'descr'\s*:\s*'([^']*)'/.exec(header)?.[1];
  const fortran = /'fortran_order'\s*:\s*(True|False)/.exec(header)?.[1];
  const shapeText = /'shape'\s*:\s*\(([^)]*)\)/.exec(header)?.[1];
  if (descr === undefined || fortran === undefined || shapeText === undefined) throw bad(`header without descr, fortran_order or shape: ${header.trim()}`);
  const shape = shapeText
    .split(',')
    .map((s) => s.trim())
    .filter((s) => s.length > 0)
    .map((s) => {
      if (!/^\d+$/.test(s)) throw bad(`shape (${shapeText})`);
      return Number(s);
    });
  const kinds: Record<string, { dtype: NpyArray['dtype']; size: number; little: boolean }> = {
    '<f4': { dtype: 'float32', size: 4, little: true },
    '>f4': { dtype: 'float32', size: 4, little: false },
    '<f8': { dtype: 'float64', size: 8, little: true },
    '>f8': { dtype: 'float64', size: 8, little: false },
    '|u1': { dtype: 'uint8', size: 1, little: true },
    '<u1': { dtype: 'uint8', size: 1, little: true },
    '>u1': { dtype: 'uint8', size: 1, little: true },
  };
  const kind = kinds[descr];
  if (!kind) throw new Error(`${what}: dtype '${descr}' is not supported (use float32, float64 or uint8)`);
  const count = shape.reduce((a, b) => a * b, 1);
  const dataStart = start + headerLength;
  if (bytes.length - dataStart !== count * kind.size) {
    throw new Error(`${what}: ${bytes.length - dataStart} bytes of data, shape (${shape.join(', ')}) of ${kind.dtype} needs ${count * kind.size} (truncated file?)`);
  }
  const view = new DataView(bytes.buffer, bytes.byteOffset + dataStart, count * kind.size);
  const raw = new Float64Array(count);
  for (let i = 0; i < count; i++) {
    raw[i] = kind.size === 1 ? view.getUint8(i) : kind.size === 4 ? view.getFloat32(4 * i, kind.little) : view.getFloat64(8 * i, kind.little);
  }
  const values = fortran === 'True' && shape.length > 1 ? fortranToC(raw, shape) : raw;
  return { shape, dtype: kind.dtype, values };
}

/** Reorders column-major values into row-major order. */
function fortranToC(raw: Float64Array, shape: number[]): Float64Array {
  const out = new Float64Array(raw.length);
  const n = shape.length;
  const idx = new Array<number>(n).fill(0);
  // Walk the C order; keep the matching Fortran offset.
  const fStride = new Array<number>(n);
  fStride[0] = 1;
  for (let d = 1; d < n; d++) fStride[d] = fStride[d - 1] * shape[d - 1];
  for (let c = 0; c < out.length; c++) {
    let f = 0;
    for (let d = 0; d < n; d++) f += idx[d] * fStride[d];
    out[c] = raw[f];
    for (let d = n - 1; d >= 0; d--) {
      if (++idx[d] < shape[d]) break;
      idx[d] = 0;
    }
  }
  return out;
}
