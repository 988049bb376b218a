/** att(S)^c = minmax(ReLU(S^c)) per image, and picking the map of a given class. */
import * as tf from '@tensorflow/tfjs-core';

/** The [n, h, w] maps of class `labels[i]` from CAMs [n, h, w, K]. */
export function classMaps(cams: tf.Tensor4D, labels: tf.Tensor1D): tf.Tensor3D {
  return tf.tidy(() => {
    const K = cams.shape[3];
    const onehot = tf.reshape(tf.oneHot(labels, K), [-1, 1, 1, K]);
    return tf.sum(tf.mul(cams, onehot), 3) as tf.Tensor3D;
  });
}

/** Per-image min-max of ReLU(maps) over the spatial axes; constant maps become 0. */
export function normalizeMaps<T extends tf.Tensor3D | tf.Tensor4D>(maps: T): T {
  return tf.tidy(() => {
    const r = tf.relu(maps);
    const lo = tf.min(r, [1, 2], true);
    const hi = tf.max(r, [1, 2], true);
    return tf.div(tf.sub(r, lo), tf.maximum(tf.sub(hi, lo), 1e-6)) as T;
  });
}

/**
 * The loss-side attention: relu(S) / stopGradient(max(peak, 1)) per image. Unlike min-max it is
 * bounded in gradient (never divides by a near-zero range) and keeps the map's absolute strength:
 * a classifier with little evidence gives a weak map instead of a stretched one. Min-max stays
 * the normalisation for display and evaluation.
 */
export function boundedMaps(maps: tf.Tensor3D): tf.Tensor3D {
  return tf.tidy(() => {
    const r = tf.relu(maps);
    const peak = tf.maximum(tf.max(r, [1, 2], true), 1);
    return tf.div(r, stopGradient(peak)) as tf.Tensor3D;
  });
}

/** Identity forward, zero gradient (tfjs has no stopGradient op). */
export function stopGradient<T extends tf.Tensor>(x: T): T {
  const f = tf.customGrad(((input: tf.Tensor) => ({
    value: tf.clone(input),
    gradFunc: (dy: tf.Tensor) => [tf.zerosLike(dy)],
  })) as unknown as Parameters<typeof tf.customGrad>[0]);
  return f(x) as T;
}

/** Class scores as the global average of the class activation maps: [n, K]. */
export function logitsFromCams(cams: tf.Tensor4D): tf.Tensor2D {
  return tf.mean(cams, [1, 2]) as tf.Tensor2D;
}

/** Mean sparse softmax cross-entropy of logits [n, K] against int labels [n]. */
export function crossEntropy(logits: tf.Tensor2D, labels: tf.Tensor1D): tf.Scalar {
  return tf.tidy(() => {
    const K = logits.shape[1];
    return tf.losses.softmaxCrossEntropy(tf.oneHot(labels, K), logits) as tf.Scalar;
  });
}
