/**
 * CutMix (Yun et al. 2019) as wsolevaluation trains it: with probability `prob`, every image of the
 * batch gets a box pasted from another image of the same batch; its label becomes the area-weighted mix
 * of both labels. The box side is sqrt(1 - lambda) of the image side, lambda ~ Beta(beta, beta), centred
 * uniformly and clipped to the image; lambda is then recomputed from the clipped box.
 * Seeded by (run seed, step), so a resumed run draws the same boxes.
 */
import * as tf from '@tensorflow/tfjs-core';
import { Rng } from '../../common/rng';

export interface CutMixConfig {
  /** Beta(beta, beta) for the kept area; wsolevaluation's default 1 (uniform). */
  beta: number;
  /** Probability that a batch is mixed; wsolevaluation's default 1. */
  prob: number;
}

export const DEFAULT_CUTMIX: CutMixConfig = { beta: 1, prob: 1 };

export interface CutMixDraw {
  /** Whether this batch is mixed at all. */
  mixed: boolean;
  /** Index of the image whose box is pasted into image i. */
  partner: Int32Array;
  /** Inclusive-exclusive box [x0, x1) x [y0, y1) per image, in pixels. */
  box: { x0: number; y0: number; x1: number; y1: number };
  /** Share of the image that still shows its own content (1 - box area / image area). */
  lambda: number;
}

/** A Beta(a, a) draw from two Gamma(a) draws (Marsaglia-Tsang, with the a < 1 boost). */
function sampleBeta(rng: Rng, a: number): number {
  const gamma = (shape: number): number => {
    if (shape < 1) return gamma(shape + 1) * Math.pow(Math.max(rng.next(), 1e-12), 1 / shape);
    const d = shape - 1 / 3;
    const c = 1 / Math.sqrt(9 * d);
    for (;;) {
      const x = rng.normal();
      const v = (1 + c * x) ** 3;
      if (v <= 0) continue;
      const u = Math.max(rng.next(), 1e-12);
      if (Math.log(u) < 0.5 * x * x + d - d * v + d * Math.log(v)) return d * v;
    }
  };
  const x = gamma(a);
  const y = gamma(a);
  return x / (x + y);
}

/** One batch's draw: as in the reference, one box and one lambda for the whole batch, a random permutation. */
export function drawCutMix(n: number, size: number, config: CutMixConfig, seed: number, step: number): CutMixDraw {
  const rng = Rng.derive(seed, 0xc07, step);
  const partner = new Int32Array(n).map((_, i) => i);
  if (n < 2 || rng.next() >= config.prob) return { mixed: false, partner, box: { x0: 0, y0: 0, x1: 0, y1: 0 }, lambda: 1 };
  const order = rng.shuffle(Array.from(partner));
  partner.set(order);
  const lam = sampleBeta(rng, config.beta);
  const cut = Math.floor(size * Math.sqrt(1 - lam));
  const cx = rng.int(size);
  const cy = rng.int(size);
  const clip = (v: number) => Math.min(Math.max(v, 0), size);
  const box = { x0: clip(cx - Math.floor(cut / 2)), y0: clip(cy - Math.floor(cut / 2)), x1: clip(cx + Math.floor(cut / 2)), y1: clip(cy + Math.floor(cut / 2)) };
  const lambda = 1 - ((box.x1 - box.x0) * (box.y1 - box.y0)) / (size * size);
  return { mixed: true, partner, box, lambda };
}

/** Applies a draw to a batch [n, S, S, C]: the mixed images and the partner labels. */
export function applyCutMix(images: tf.Tensor4D, labels: tf.Tensor1D, draw: CutMixDraw): { images: tf.Tensor4D; partnerLabels: tf.Tensor1D } {
  return tf.tidy(() => {
    const [, h, w] = images.shape;
    const idx = tf.tensor1d(draw.partner, 'int32');
    const mask = new Float32Array(h * w);
    for (let y = draw.box.y0; y < draw.box.y1; y++) for (let x = draw.box.x0; x < draw.box.x1; x++) mask[y * w + x] = 1;
    const inBox = tf.tensor4d(mask, [1, h, w, 1]);
    const pasted = tf.gather(images, idx);
    const mixed = tf.add(tf.mul(images, tf.sub(1, inBox)), tf.mul(pasted, inBox)) as tf.Tensor4D;
    return { images: mixed, partnerLabels: tf.gather(labels, idx) as tf.Tensor1D };
  });
}
