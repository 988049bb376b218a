/**
 * Image files in and out through sharp (libvips): decoding runs in libvips' own threads, so the
 * batch pipeline can prepare the next batches while tfjs trains on the current one.
 * Every error names the file.
 */
import * as fs from 'fs';
import sharp from 'sharp';
import type { RgbImage } from './dataset';

async function readBytes(file: string): Promise<Buffer> {
  try {
    return await fs.promises.readFile(file);
  } catch (err) {
    const code = (err as NodeJS.ErrnoException).code;
    throw new Error(code === 'ENOENT' ? `image file not found: ${file}` : `cannot read image ${file}: ${(err as Error).message}`);
  }
}

/** What a decoder's message means, in plain words; unknown messages are passed on as they are. */
const PLAIN_DECODE_ERRORS: [RegExp, string][] = [
  [/end of stream|premature end|truncated|unexpected end|Warning treated as error/i, 'the file ends before its image data does (a truncated download or copy?)'],
  [/read error|corrupt|huffman|crc|invalid/i, 'its image data is damaged and cannot be read'],
  [/unsupported image format/i, 'it is not an image in a format this tool reads (JPEG, PNG, WebP, GIF, TIFF, AVIF, SVG)'],
  [/buffer is empty/i, 'the file is empty'],
];

function decodeError(what: string, file: string, err: unknown): Error {
  const message = (err as Error).message ?? String(err);
  const plain = PLAIN_DECODE_ERRORS.find(([re]) => re.test(message))?.[1];
  return new Error(`corrupt or unsupported ${what} ${file}: ${plain ?? message}`);
}

// failOn 'warning' turns libvips' "premature end of JPEG" style warnings into errors, so a
// truncated file is reported instead of decoded half-grey.
const SHARP_INPUT = { failOn: 'warning' as const };

/** Width and height from the file header (no full decode). */
export async function readImageSize(file: string): Promise<{ width: number; height: number }> {
  const bytes = await readBytes(file);
  try {
    const meta = await sharp(bytes, SHARP_INPUT).metadata();
    if (!meta.width || !meta.height) throw new Error('no size in header');
    return { width: meta.width, height: meta.height };
  } catch (err) {
    throw decodeError('image', file, err);
  }
}

/**
 * Decodes an image file to 8-bit RGB (grey and CMYK converted, alpha dropped), optionally resized
 * to exactly `resize.width` x `resize.height` with a bilinear kernel. `expect` checks the
 * stored size against the dataset's metadata (boxes are in those coordinates).
 */
export async function decodeImageFile(
  file: string,
  opts: { resize?: { width: number; height: number }; expect?: { width: number; height: number } } = {},
): Promise<RgbImage> {
  const bytes = await readBytes(file);
  let result: { data: Buffer; info: sharp.OutputInfo };
  let stored: { width?: number; height?: number };
  try {
    const img = sharp(bytes, SHARP_INPUT);
    stored = await img.metadata();
    let pipeline = img.removeAlpha().toColourspace('srgb');
    if (opts.resize) pipeline = pipeline.resize(opts.resize.width, opts.resize.height, { fit: 'fill', kernel: 'linear' });
    result = await pipeline.raw().toBuffer({ resolveWithObject: true });
  } catch (err) {
    throw decodeError('image', file, err);
  }
  if (opts.expect && (stored.width !== opts.expect.width || stored.height !== opts.expect.height)) {
    throw new Error(`image ${file} is ${stored.width}x${stored.height}, the metadata says ${opts.expect.width}x${opts.expect.height}`);
  }
  const { info, data } = result;
  if (info.channels !== 3) throw new Error(`image ${file}: expected 3 channels after conversion, got ${info.channels}`);
  return { width: info.width, height: info.height, data: new Uint8Array(data.buffer, data.byteOffset, data.length) };
}

/**
 * Decodes a mask image (any format sharp reads) to a binary width*height mask:
 * 1 where the first channel is above `threshold` (0..255). CUB's soft segmentations use 128.
 */
export async function decodeMaskFile(file: string, expect: { width: number; height: number }, threshold = 127): Promise<Uint8Array> {
  const bytes = await readBytes(file);
  let out: { data: Buffer; info: sharp.OutputInfo };
  try {
    out = await sharp(bytes, SHARP_INPUT).removeAlpha().extractChannel(0).raw().toBuffer({ resolveWithObject: true });
  } catch (err) {
    throw decodeError('mask', file, err);
  }
  if (out.info.width !== expect.width || out.info.height !== expect.height) {
    throw new Error(`mask ${file} is ${out.info.width}x${out.info.height}, its image is ${expect.width}x${expect.height}`);
  }
  const mask = new Uint8Array(expect.width * expect.height);
  for (let i = 0; i < mask.length; i++) mask[i] = out.data[i] > threshold ? 1 : 0;
  return mask;
}

/** Encodes RGB pixels as PNG or JPEG bytes (fixtures, benchmarks, previews). */
export async function encodeImage(img: RgbImage, format: 'png' | 'jpeg', quality = 90): Promise<Buffer> {
  const s = sharp(Buffer.from(img.data.buffer, img.data.byteOffset, img.data.length), { raw: { width: img.width, height: img.height, channels: 3 } });
  return format === 'png' ? s.png().toBuffer() : s.jpeg({ quality }).toBuffer();
}
