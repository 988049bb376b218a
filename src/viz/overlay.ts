/**
 * Heatmap overlays as PNG: the map (any resolution, values in [0, 1]) is resized to the image,
 * coloured with `jet` and alpha-blended over it; boxes are drawn as 1-px rectangles
 * (ground truth in green, prediction in red).
 */
import sharp from 'sharp';
import type { Box, ScoreMap } from '../common/box';
import { resizeScoreMap } from '../localize/score-map';
import { jet } from './colormap';

export const GT_COLOUR: [number, number, number] = [0, 255, 0];
export const PRED_COLOUR: [number, number, number] = [255, 0, 0];

export interface OverlayOptions {
  /** Weight of the heatmap colour: out = (1 - alpha) * image + alpha * jet(map). */
  alpha: number;
  gtBoxes: Box[];
  predBoxes: Box[];
}

/** Blends and draws into a new RGB buffer (width * height * 3). */
export function overlayRgb(rgb: Uint8Array, width: number, height: number, map: ScoreMap, options: Partial<OverlayOptions> = {}): Uint8Array {
  const { alpha = 0.5, gtBoxes = [], predBoxes = [] } = options;
  if (rgb.length !== width * height * 3) throw new Error(`overlay: image has ${rgb.length} bytes, expected ${width * height * 3}`);
  if (!(alpha >= 0 && alpha <= 1)) throw new Error(`overlay: alpha must be in [0, 1], got ${alpha}`);
  const m = resizeScoreMap(map, width, height);
  const out = new Uint8Array(rgb.length);
  for (let p = 0; p < width * height; p++) {
    const c = jet(m.data[p]);
    for (let k = 0; k < 3; k++) out[p * 3 + k] = Math.round((1 - alpha) * rgb[p * 3 + k] + alpha * c[k]);
  }
  const draw = (box: Box, colour: [number, number, number]) => {
    const b = { x0: Math.round(box.x0), y0: Math.round(box.y0), x1: Math.round(box.x1), y1: Math.round(box.y1) };
    const set = (x: number, y: number) => {
      if (x < 0 || y < 0 || x >= width || y >= height) return;
      out.set(colour, (y * width + x) * 3);
    };
    for (let x = b.x0; x <= b.x1; x++) {
      set(x, b.y0);
      set(x, b.y1);
    }
    for (let y = b.y0; y <= b.y1; y++) {
      set(b.x0, y);
      set(b.x1, y);
    }
  };
  gtBoxes.forEach((b) => draw(b, GT_COLOUR));
  predBoxes.forEach((b) => draw(b, PRED_COLOUR));
  return out;
}

/** overlayRgb encoded as PNG; `scale` enlarges it (nearest neighbour) for small inputs. */
export async function overlayPng(rgb: Uint8Array, width: number, height: number, map: ScoreMap, options: Partial<OverlayOptions> = {}, scale = 1): Promise<Buffer> {
  const img = sharp(Buffer.from(overlayRgb(rgb, width, height, map, options)), { raw: { width, height, channels: 3 } });
  return (scale !== 1 ? img.resize(width * scale, height * scale, { kernel: 'nearest' }) : img).png().toBuffer();
}
