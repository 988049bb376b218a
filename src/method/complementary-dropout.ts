/**
 * Complementary regional dropout: one keep-mask M per image over a grid of square cells;
 * image A keeps M, image B keeps 1 - M, so every pixel is visible in exactly one of them:
 *   x_A = M * x + (1 - M) * mu,   x_B = (1 - M) * x + M * mu.
 */
import * as tf from '@tensorflow/tfjs-core';
import { Rng } from '../common/rng';
import type { DropoutConfig } from './method-config';

/** Cell side in pixels for each configured fraction (at least 1 px). */
export function cellSizes(config: DropoutConfig, imageSize: number): number[] {
  return config.cellFractions.map((f) => Math.max(1, Math.round(f * imageSize)));
}

export function validateDropout(config: DropoutConfig, imageSize: number): void {
  if (!(config.keepProbability > 0 && config.keepProbability < 1)) {
    throw new Error(`dropout.keepProbability must be in (0, 1), got ${config.keepProbability}`);
  }
  if (!Number.isFinite(config.fillValue)) throw new Error(`dropout.fillValue must be a finite number, got ${config.fillValue}`);
  if (typeof config.checkerboard !== 'boolean') throw new Error(`dropout.checkerboard must be true or false, got ${String(config.checkerboard)}`);
  if (!Array.isArray(config.cellFractions) || config.cellFractions.length === 0) throw new Error('dropout.cellFractions must not be empty');
  for (const f of config.cellFractions) {
    if (!(f > 0)) throw new Error(`dropout.cellFractions must be > 0, got ${f}`);
    if (Math.round(f * imageSize) >= imageSize) {
      throw new Error(`dropout.cellFractions ${f} gives a ${Math.round(f * imageSize)} px cell, not smaller than the ${imageSize} px image`);
    }
  }
}

/**
 * Pixel keep-masks [n, size, size] (1 = visible in A) for `n` images at a training step.
 * Seeded by (seed, step, image index); a draw that keeps all or no cells is redrawn.
 */
export function complementaryMasks(n: number, size: number, config: DropoutConfig, seed: number, step: number): Float32Array {
  validateDropout(config, size);
  const sizes = cellSizes(config, size);
  const out = new Float32Array(n * size * size);
  for (let i = 0; i < n; i++) {
    const rng = Rng.derive(seed, step, i);
    const cell = sizes[rng.int(sizes.length)];
    const cells = Math.ceil(size / cell);
    const keep = new Uint8Array(cells * cells);
    if (config.checkerboard) {
      const phase = rng.int(2);
      for (let r = 0; r < cells; r++) for (let c = 0; c < cells; c++) keep[r * cells + c] = (r + c + phase) % 2;
    } else {
      let kept = 0;
      do {
        kept = 0;
        for (let k = 0; k < keep.length; k++) kept += keep[k] = rng.next() < config.keepProbability ? 1 : 0;
      } while (kept === 0 || kept === keep.length);
    }
    const base = i * size * size;
    for (let y = 0; y < size; y++) {
      const row = Math.floor(y / cell) * cells;
      for (let x = 0; x < size; x++) out[base + y * size + x] = keep[row + Math.floor(x / cell)];
    }
  }
  return out;
}

export interface ComplementaryPair {
  imageA: tf.Tensor4D;
  imageB: tf.Tensor4D;
  /** [n, size, size, 1], 1 where the pixel is visible in A. */
  maskA: tf.Tensor4D;
}

/** Applies the masks to a batch of normalised images [n, size, size, 3]. */
export function applyComplementaryDropout(images: tf.Tensor4D, config: DropoutConfig, seed: number, step: number): ComplementaryPair {
  const [n, h, w] = images.shape;
  if (h !== w) throw new Error(`complementary dropout expects square images, got ${h}x${w}`);
  const masks = complementaryMasks(n, h, config, seed, step);
  return tf.tidy(() => {
    const maskA = tf.tensor4d(masks, [n, h, w, 1]);
    const maskB = tf.sub(1, maskA);
    const mu = config.fillValue;
    const imageA = tf.add(tf.mul(images, maskA), tf.mul(maskB, mu)) as tf.Tensor4D;
    const imageB = tf.add(tf.mul(images, maskB), tf.mul(maskA, mu)) as tf.Tensor4D;
    return { imageA, imageB, maskA };
  });
}
