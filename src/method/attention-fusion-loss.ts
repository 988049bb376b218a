/**
 * Attention-based fusion loss (our reconstruction; the paper names the loss, not its form).
 *
 * Target: what the two branches found, each trusted where it could see (the 'mosaic', default),
 *   T = stopGradient(m * a_A + (1 - m) * a_B),  m = fraction of each feature cell visible in x_A,
 * or the older 'union' T = stopGradient(max(a_A, a_B)). The union is biased upwards everywhere (a max of
 * two maps, one of which looks at fill values), which spread the maps over the background epoch after
 * epoch; the mosaic has no such bias. a = relu(S^y) / stopGradient(max(peak, 1)) (bounded gradients).
 *
 * Loss: per image, mean|Abar - T| + mean|Bbar - T| (three-pass: Abar, Bbar are the full-image maps;
 * two-pass: the branch maps themselves), averaged over the images that pass a gate: the target is not
 * flat and the classifier gives the true class at least `fuseConfidence` probability. The gate is the
 * warm-up: while the classifiers are near chance no image passes and the term is zero.
 */
import * as tf from '@tensorflow/tfjs-core';
import { stopGradient } from './attention-maps';

export { stopGradient };

export type FusionTarget = 'mosaic' | 'union';

/** Targets narrower than this (max - min) carry no spatial information and are left out. */
export const FLAT_TARGET_RANGE = 0.05;

/** The stop-gradient fusion target [n, h, w] from branch maps [n, h, w] and A's visibility [n, h, w]. */
export function fusionTarget(kind: FusionTarget, mapA: tf.Tensor3D, mapB: tf.Tensor3D, visibleA: tf.Tensor3D): tf.Tensor3D {
  return tf.tidy(() => {
    const t = kind === 'union' ? tf.maximum(mapA, mapB) : tf.add(tf.mul(visibleA, mapA), tf.mul(tf.sub(1, visibleA), mapB));
    return stopGradient(t as tf.Tensor3D);
  });
}

/**
 * The target as a per-image mask [n, h, w]: 1 where T >= threshold * max(T), else 0 (stop-gradient).
 * A soft target only pulls the full-image maps towards what the branches found; the mask also pulls
 * the rest down, so maps can grow over the object without spreading over the background.
 */
export function binarizeTarget(target: tf.Tensor3D, threshold: number): tf.Tensor3D {
  return tf.tidy(() => {
    const peak = tf.max(target, [1, 2], true);
    return stopGradient(tf.cast(tf.greaterEqual(target, tf.mul(peak, threshold)), 'float32') as tf.Tensor3D);
  });
}

/** The older union target (kept for notebooks and the ablation). */
export function unionTarget(mapA: tf.Tensor3D, mapB: tf.Tensor3D): tf.Tensor3D {
  return stopGradient(tf.maximum(mapA, mapB) as tf.Tensor3D);
}

/**
 * Per-image gate [n] (stop-gradient, 0/1): the target is not flat and p(y) >= minConfidence.
 * `probTrue` [n] is the classifier's probability of the true class.
 */
export function fusionGate(target: tf.Tensor3D, probTrue: tf.Tensor1D, minConfidence: number): tf.Tensor1D {
  return tf.tidy(() => {
    const range = tf.sub(tf.max(target, [1, 2]), tf.min(target, [1, 2]));
    // Products of casts, not logicalAnd: the tape walks every op after a variable, and logicalAnd has no gradient.
    const informative = tf.cast(tf.greaterEqual(range, FLAT_TARGET_RANGE), 'float32');
    const confident = tf.cast(tf.greaterEqual(probTrue, minConfidence), 'float32');
    return stopGradient(tf.mul(informative, confident) as tf.Tensor1D);
  });
}

/**
 * sum_i g_i (mean|a_i - T_i| + mean|b_i - T_i|) / max(1, sum_i g_i); without a gate every image counts.
 * The target must already be stop-gradient.
 */
export function attentionFusionLoss(a: tf.Tensor3D, b: tf.Tensor3D, target: tf.Tensor3D, gate?: tf.Tensor1D): tf.Scalar {
  return tf.tidy(() => {
    const perImage = tf.add(tf.mean(tf.abs(tf.sub(a, target)), [1, 2]), tf.mean(tf.abs(tf.sub(b, target)), [1, 2]));
    if (!gate) return tf.mean(perImage) as tf.Scalar;
    return tf.div(tf.sum(tf.mul(perImage, gate)), tf.maximum(tf.sum(gate), 1)) as tf.Scalar;
  });
}
