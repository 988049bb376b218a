/** Plain-array image operations for the batch pipeline (RGB uint8 and binary masks). */
import type { Box } from '../common/box';
import type { RgbImage } from './dataset';

/** ImageNet statistics, as WSOL backbones expect; normalised 0 is the mean colour. */
export const IMAGENET_MEAN = [0.485, 0.456, 0.406];
export const IMAGENET_STD = [0.229, 0.224, 0.225];

/** Bilinear resize with pixel centres aligned (align_corners = false, like cv2.INTER_LINEAR). */
export function resizeRgb(img: RgbImage, outW: number, outH: number): RgbImage {
  if (img.width === outW && img.height === outH) return img;
  const out = new Uint8Array(outW * outH * 3);
  const sx = img.width / outW;
  const sy = img.height / outH;
  for (let y = 0; y < outH; y++) {
    const fy = Math.min(Math.max((y + 0.5) * sy - 0.5, 0), img.height - 1);
    const y0 = Math.floor(fy);
    const y1 = Math.min(y0 + 1, img.height - 1);
    const wy = fy - y0;
    for (let x = 0; x < outW; x++) {
      const fx = Math.min(Math.max((x + 0.5) * sx - 0.5, 0), img.width - 1);
      const x0 = Math.floor(fx);
      const x1 = Math.min(x0 + 1, img.width - 1);
      const wx = fx - x0;
      for (let c = 0; c < 3; c++) {
        const a = img.data[(y0 * img.width + x0) * 3 + c];
        const b = img.data[(y0 * img.width + x1) * 3 + c];
        const d = img.data[(y1 * img.width + x0) * 3 + c];
        const e = img.data[(y1 * img.width + x1) * 3 + c];
        out[(y * outW + x) * 3 + c] = Math.round((a * (1 - wx) + b * wx) * (1 - wy) + (d * (1 - wx) + e * wx) * wy);
      }
    }
  }
  return { width: outW, height: outH, data: out };
}

/** Nearest-neighbour resize of a binary mask. */
export function resizeMask(mask: Uint8Array, w: number, h: number, outW: number, outH: number): Uint8Array {
  const out = new Uint8Array(outW * outH);
  for (let y = 0; y < outH; y++) {
    const sy = Math.min(h - 1, Math.floor(((y + 0.5) * h) / outH));
    for (let x = 0; x < outW; x++) out[y * outW + x] = mask[sy * w + Math.min(w - 1, Math.floor(((x + 0.5) * w) / outW))];
  }
  return out;
}

/** Maps a box through scaling (sx, sy), then a crop at (cx, cy) of size `size`, then an optional flip. */
export function transformBox(b: Box, sx: number, sy: number, cx: number, cy: number, size: number, flip: boolean): Box | null {
  let x0 = Math.floor(b.x0 * sx) - cx;
  let x1 = Math.ceil((b.x1 + 1) * sx) - 1 - cx;
  const y0 = Math.max(0, Math.floor(b.y0 * sy) - cy);
  const y1 = Math.min(size - 1, Math.ceil((b.y1 + 1) * sy) - 1 - cy);
  x0 = Math.max(0, x0);
  x1 = Math.min(size - 1, x1);
  if (x1 < x0 || y1 < y0) return null;
  return flip ? { x0: size - 1 - x1, y0, x1: size - 1 - x0, y1 } : { x0, y0, x1, y1 };
}

/** Crops a size x size window at (cx, cy) and optionally mirrors it horizontally. */
export function cropFlip(img: RgbImage, cx: number, cy: number, size: number, flip: boolean): RgbImage {
  const out = new Uint8Array(size * size * 3);
  for (let y = 0; y < size; y++) {
    for (let x = 0; x < size; x++) {
      const sx = flip ? cx + size - 1 - x : cx + x;
      const src = ((cy + y) * img.width + sx) * 3;
      const dst = (y * size + x) * 3;
      out[dst] = img.data[src];
      out[dst + 1] = img.data[src + 1];
      out[dst + 2] = img.data[src + 2];
    }
  }
  return { width: size, height: size, data: out };
}

export function cropFlipMask(mask: Uint8Array, w: number, cx: number, cy: number, size: number, flip: boolean): Uint8Array {
  const out = new Uint8Array(size * size);
  for (let y = 0; y < size; y++) for (let x = 0; x < size; x++) out[y * size + x] = mask[(cy + y) * w + (flip ? cx + size - 1 - x : cx + x)];
  return out;
}

/** (v / 255 - mean[c]) / std[c] for every byte value v and channel c. */
const NORMALISE = Float32Array.from({ length: 768 }, (_, k) => (((k & 255) / 255 - IMAGENET_MEAN[k >> 8]) / IMAGENET_STD[k >> 8]));

/** RGB bytes -> the network's input values: (v / 255 - mean[c]) / std[c] per channel. */
export function normalizePixels(rgb: Uint8Array): Float32Array {
  const pixels = new Float32Array(rgb.length);
  for (let i = 0; i < pixels.length; i += 3) {
    pixels[i] = NORMALISE[rgb[i]];
    pixels[i + 1] = NORMALISE[256 + rgb[i + 1]];
    pixels[i + 2] = NORMALISE[512 + rgb[i + 2]];
  }
  return pixels;
}
