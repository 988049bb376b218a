/**
 * where-to-look in a web page: the entry of the browser bundle (`npm run build:browser` writes
 * dist/browser/where-to-look.mjs, one ES module). It holds tfjs (core, layers, the cpu backend), every
 * method's network and custom layers (ChannelAssistedAttention, SpatialSelfAttention, AttentionDropout,
 * registered so a saved `model/` loads), `predict` and the map-to-box code. It imports nothing of
 * Node: no files, no sharp, no native kernels.
 *
 *   import * as wsol from './where-to-look.mjs';
 *   const run = await wsol.loadRun('runs/ours/');             // the run folder, served over http(s)
 *   const input = wsol.inputFromRgb(rgb, width, height, run.inputSize);
 *   const [p] = wsol.localize(run, input, 1);                 // class, scores, map, box
 */
import * as tf from '@tensorflow/tfjs-core';
import '@tensorflow/tfjs-backend-cpu';
import * as tfl from '@tensorflow/tfjs-layers';
import type { Box, ScoreMap } from '../common/box';
import { normalizePixels, resizeRgb } from '../data/image-ops';
import { mapToBox } from '../localize/map-to-box';
import { channelMap, DEFAULT_CAM_THRESHOLD } from '../localize/score-map';
import { restoreModel, type ModelConfig } from '../method/registry';
import type { WsolModel } from '../method/wsol-model';

export { tf, tfl, mapToBox, channelMap, DEFAULT_CAM_THRESHOLD };
export type { Box, ScoreMap, WsolModel };

export interface BrowserRun {
  model: WsolModel;
  classNames: string[];
  /** The side of the square images the model takes. */
  inputSize: number;
}

/**
 * Loads a run folder written by `wsol train` from `baseUrl` (ending in `/`): its config.json (which
 * method, which options, the class names) and its final model/.
 */
export async function loadRun(baseUrl: string): Promise<BrowserRun> {
  const base = new URL(baseUrl, globalThis.location?.href);
  const res = await fetch(new URL('config.json', base));
  if (!res.ok) throw new Error(`${new URL('config.json', base).href}: HTTP ${res.status}`);
  const config = (await res.json()) as { model: ModelConfig; classNames: string[] };
  const net = await tfl.loadLayersModel(new URL('model/model.json', base).href);
  return { model: restoreModel(config.model, net), classNames: config.classNames, inputSize: config.model.inputSize };
}

/** RGB bytes of a `width` x `height` image -> the model's input values for `size` x `size` (as in training). */
export function inputFromRgb(rgb: Uint8Array, width: number, height: number, size: number): Float32Array {
  const resized = width === size && height === size ? rgb : resizeRgb({ width, height, data: rgb }, size, size).data;
  return normalizePixels(resized);
}

export interface PageLocalization {
  /** The predicted class and its scores. */
  predicted: number;
  logits: number[];
  /** The predicted class's map at feature resolution, raw (as `predict` gives it). */
  map: ScoreMap;
  /** The box its map gives on the input image. */
  box: Box;
}

/** The raw outputs of `predict` on `count` images (NHWC values from `inputFromRgb`), as plain arrays. */
export function predictArrays(run: BrowserRun, input: Float32Array, count: number): { logits: Float32Array; cams: Float32Array; camShape: number[] } {
  const s = run.inputSize;
  return tf.tidy(() => {
    const p = run.model.predict(tf.tensor4d(input, [count, s, s, 3]));
    return { logits: p.logits.dataSync() as Float32Array, cams: p.cams.dataSync() as Float32Array, camShape: p.cams.shape };
  });
}

/** Classifies and localizes `count` images: each one's class, scores, map and box. */
export function localize(run: BrowserRun, input: Float32Array, count: number, threshold = DEFAULT_CAM_THRESHOLD): PageLocalization[] {
  const { logits, cams, camShape } = predictArrays(run, input, count);
  const [, h, w, K] = camShape;
  return Array.from({ length: count }, (_, i) => {
    const scores = Array.from(logits.subarray(i * K, (i + 1) * K));
    const predicted = scores.indexOf(Math.max(...scores));
    const map = channelMap(cams, i * h * w * K, h, w, K, predicted);
    return { predicted, logits: scores, map, box: mapToBox(map, run.inputSize, run.inputSize, threshold) };
  });
}
