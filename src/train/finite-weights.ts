/** Counts NaN and infinite values in a set of tensors, on the device, with one read-back. */
import * as tf from '@tensorflow/tfjs-core';
import type * as tfl from '@tensorflow/tfjs-layers';

export interface NonFiniteReport {
  /** NaN or +-Infinity values in all tensors. */
  count: number;
  /** Name of the first tensor holding one, or null when all are finite. */
  first: string | null;
}

export function nonFiniteValues(named: { name: string; tensor: tf.Tensor }[]): NonFiniteReport {
  if (named.length === 0) return { count: 0, first: null };
  const counts = Array.from(
    tf.tidy(() => tf.stack(named.map(({ tensor }) => tf.sum(tf.cast(tf.logicalNot(tf.isFinite(tensor)), 'int32')))).dataSync()),
  );
  const i = counts.findIndex((c) => c > 0);
  return { count: counts.reduce((a, b) => a + b, 0), first: i >= 0 ? named[i].name : null };
}

/** Non-finite values among a layers model's weights (trainable or not). */
export function nonFiniteWeights(net: tfl.LayersModel): NonFiniteReport {
  return nonFiniteValues(net.weights.map((w) => ({ name: w.name, tensor: w.read() })));
}

export function describeNonFinite(r: NonFiniteReport): string {
  return `${r.count} NaN or infinite value${r.count === 1 ? '' : 's'} (first in ${r.first})`;
}
