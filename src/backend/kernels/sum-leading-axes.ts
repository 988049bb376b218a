/**
 * Sum for wasm when the reduced axes are the leading ones (bias gradients: a [n, h, w, c] tensor
 * summed over n, h, w). The stock kernel first transposes the whole tensor so that the reduced
 * axes come last, which costs more than the sum itself; a single pass that accumulates each
 * row into a float64 buffer does not. Every other reduction goes to the stock kernel.
 */
import * as tf from '@tensorflow/tfjs-core';
import { alloc, compose, f32, type Info, type KernelArgs } from './wasm-compose';

export function makeSumLeadingAxes(original: tf.KernelFunc): tf.KernelFunc {
  return ((args: KernelArgs) => {
    const { x } = args.inputs as { x: Info };
    const { axis, keepDims } = (args.attrs ?? {}) as unknown as tf.SumAttrs;
    const rank = x.shape.length;
    const axes = tf.util.parseAxisParam(axis, x.shape).sort((p, q) => p - q);
    const leading = axes.length > 0 && axes.length < rank && axes.every((a, i) => a === i);
    if (x.dtype !== 'float32' || !leading) return original(args as Parameters<tf.KernelFunc>[0]);
    const kept = x.shape.slice(axes.length);
    const inner = kept.reduce((p, q) => p * q, 1);
    const rows = x.shape.slice(0, axes.length).reduce((p, q) => p * q, 1);
    return compose(args.backend, (c) => {
      const out = alloc(c, keepDims ? [...axes.map(() => 1), ...kept] : kept);
      const v = f32(c.backend, x);
      const acc = new Float64Array(inner);
      for (let r = 0; r < rows; r++) {
        const base = r * inner;
        for (let i = 0; i < inner; i++) acc[i] += v[base + i];
      }
      f32(c.backend, out).set(acc);
      return out;
    });
  }) as unknown as tf.KernelFunc;
}
