/**
 * Overlays of one map on its image, for notebooks: the map (at feature resolution, values in
 * [0, 1]) is resized to the image, drawn with jet over it, with the ground-truth boxes (green)
 * and the box the localizer would predict (red: largest connected region above `threshold`).
 */
import sharp from 'sharp';
import type * as tf from '@tensorflow/tfjs-core';
import type { Box, ScoreMap } from '../common/box';
import { denormalize } from '../data/batches';
import { mapToBox } from '../localize/map-to-box';
import { DEFAULT_CAM_THRESHOLD } from '../localize/score-map';
import { overlayPng } from './overlay';

/** An RGB image (width * height * 3 bytes). */
export interface RgbImage {
  width: number;
  height: number;
  rgb: Uint8Array;
}

export interface ProbeOverlayOptions {
  /** Threshold on the resized, min-max normalised map for the predicted box (null: no box). */
  threshold: number | null;
  /** Heatmap weight (0 = the bare image). */
  alpha: number;
  /** Nearest-neighbour enlargement of the PNG. */
  scale: number;
}

export const DEFAULT_PROBE_OVERLAY: ProbeOverlayOptions = { threshold: DEFAULT_CAM_THRESHOLD, alpha: 0.5, scale: 2 };

/** Decodes a PNG (bytes or a data URL, as snapshots.json stores probe images) to RGB. */
export async function decodeRgb(png: Uint8Array | string): Promise<RgbImage> {
  const bytes = typeof png === 'string' ? Buffer.from(png.replace(/^data:image\/png;base64,/, ''), 'base64') : Buffer.from(png);
  const { data, info } = await sharp(bytes).removeAlpha().raw().toBuffer({ resolveWithObject: true });
  return { width: info.width, height: info.height, rgb: new Uint8Array(data.buffer, data.byteOffset, data.length) };
}

export const pngDataUrl = (png: Uint8Array): string => `data:image/png;base64,${Buffer.from(png).toString('base64')}`;

/** A flat row-major map of mapWidth x mapHeight as a ScoreMap (checked). */
export function scoreMapOf(map: ArrayLike<number>, mapWidth: number, mapHeight: number): ScoreMap {
  if (map.length !== mapWidth * mapHeight) throw new Error(`scoreMapOf: map has ${map.length} values for ${mapWidth}x${mapHeight}`);
  return { width: mapWidth, height: mapHeight, data: Float32Array.from(map) };
}

/** The box the localizer draws at `threshold`: largest region of the map resized to the image. */
export function predictedBox(map: ScoreMap, width: number, height: number, threshold: number): Box {
  return mapToBox(map, width, height, threshold);
}

/**
 * PNG of the image with the map over it, the GT boxes and the predicted box.
 * `map` null draws the bare image with its boxes.
 */
export async function probeOverlayPng(image: RgbImage, map: ScoreMap | null, gtBoxes: Box[], options: Partial<ProbeOverlayOptions> = {}): Promise<Buffer> {
  const o = { ...DEFAULT_PROBE_OVERLAY, ...options };
  const predBoxes = map && o.threshold !== null ? [predictedBox(map, image.width, image.height, o.threshold)] : [];
  const m = map ?? { width: 1, height: 1, data: new Float32Array(1) };
  return overlayPng(image.rgb, image.width, image.height, m, { alpha: map ? o.alpha : 0, gtBoxes, predBoxes }, o.scale);
}

/**
 * The image as one branch saw it: pixels where the keep-mask (at map resolution, 1 = visible) is
 * below 0.5 are painted grey, as complementary dropout fills them with the mean.
 */
export function maskedImage(image: RgbImage, mask: ScoreMap, keep: 1 | 0 = 1): RgbImage {
  const out = new Uint8Array(image.rgb);
  for (let y = 0; y < image.height; y++) {
    const my = Math.min(mask.height - 1, Math.floor((y * mask.height) / image.height));
    for (let x = 0; x < image.width; x++) {
      const mx = Math.min(mask.width - 1, Math.floor((x * mask.width) / image.width));
      const visible = (mask.data[my * mask.width + mx] >= 0.5 ? 1 : 0) === keep;
      if (!visible) out.fill(128, (y * image.width + x) * 3, (y * image.width + x) * 3 + 3);
    }
  }
  return { width: image.width, height: image.height, rgb: out };
}

/** Each image of a normalised batch [n, H, W, 3] as RGB (the tensor is not disposed). */
export async function rgbImages(images: tf.Tensor4D): Promise<RgbImage[]> {
  const [n, height, width] = images.shape;
  const all = await denormalize(images);
  return Array.from({ length: n }, (_, i) => ({ width, height, rgb: all.slice(i * width * height * 3, (i + 1) * width * height * 3) }));
}
