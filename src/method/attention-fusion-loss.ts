/**
 * Attention-based fusion loss (our reconstruction): the union of what the two branches found,
 * T = stopGradient(max(att(S_A)^y, att(S_B)^y)), is the target for the maps being trained:
 *   L_fuse = mean|Abar - T| + mean|Bbar - T|.
 * Three-pass default: Abar, Bbar are the full-image maps of classifiers A and B.
 * Two-pass variant: no full-image pass; each branch's own map is pulled towards the union.
 */
import * as tf from '@tensorflow/tfjs-core';

/** The stop-gradient union target of two normalised maps [n, h, w]. */
export function unionTarget(mapA: tf.Tensor3D, mapB: tf.Tensor3D): tf.Tensor3D {
  // tf.stopGradient is not in tfjs: a customGrad with a zero gradient gives the same effect.
  return stopGradient(tf.maximum(mapA, mapB)) as tf.Tensor3D;
}

export function stopGradient<T extends tf.Tensor>(x: T): T {
  const f = tf.customGrad(((input: tf.Tensor) => ({
    value: tf.clone(input),
    gradFunc: (dy: tf.Tensor) => [tf.zerosLike(dy)],
  })) as unknown as Parameters<typeof tf.customGrad>[0]);
  return f(x) as T;
}

/** mean|a - target| + mean|b - target| (target already stop-gradient). */
export function attentionFusionLoss(a: tf.Tensor3D, b: tf.Tensor3D, target: tf.Tensor3D): tf.Scalar {
  return tf.tidy(() => tf.add(tf.mean(tf.abs(tf.sub(a, target))), tf.mean(tf.abs(tf.sub(b, target)))) as tf.Scalar);
}
