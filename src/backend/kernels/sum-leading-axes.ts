/**
 * Sum for wasm when the reduced axes are the leading ones (bias gradients: a [n, h, w, c] tensor
 * summed over n, h, w). The stock kernel first transposes the whole tensor so that the reduced
 * axes come last, which costs far more than the sum. Here the tensor is viewed as an image
 * [1, rows, 1, inner] and XNNPACK's average pooling with a [rows, 1] window does the reduction
 * (~20x faster than either the stock kernel or a JS loop); the mean is scaled back by rows.
 * Blocks of at most 2^20 rows keep float32 accumulation error small (measured ~5e-6 relative
 * on 200k rows); block results are added in float64. Every other reduction goes to the stock kernel.
 */
import * as tf from '@tensorflow/tfjs-core';
import { alias, alloc, compose, f32, run, type Info, type KernelArgs } from './wasm-compose';

const MAX_BLOCK_ROWS = 2 ** 20;

export function makeSumLeadingAxes(original: tf.KernelFunc): tf.KernelFunc {
  return ((args: KernelArgs) => {
    const { x } = args.inputs as { x: Info };
    const { axis, keepDims } = (args.attrs ?? {}) as unknown as tf.SumAttrs;
    const rank = x.shape.length;
    const axes = tf.util.parseAxisParam(axis, x.shape).sort((p, q) => p - q);
    const leading = axes.length > 0 && axes.length < rank && axes.every((a, i) => a === i);
    const kept = x.shape.slice(axes.length);
    const inner = kept.reduce((p, q) => p * q, 1);
    const rows = x.shape.slice(0, axes.length).reduce((p, q) => p * q, 1);
    if (x.dtype !== 'float32' || !leading || rows === 0 || inner === 0) return original(args as Parameters<tf.KernelFunc>[0]);
    return compose(args.backend, (c) => {
      const acc = new Float64Array(inner);
      for (let start = 0; start < rows; start += MAX_BLOCK_ROWS) {
        const count = Math.min(MAX_BLOCK_ROWS, rows - start);
        const view = alias(c, x, start * inner, [1, count, 1, inner]);
        const mean = run(c, 'AvgPool', { x: view }, { filterSize: [count, 1], strides: [1, 1], pad: 'valid', dimRoundingMode: undefined });
        const m = f32(c.backend, mean);
        for (let i = 0; i < inner; i++) acc[i] += m[i] * count;
      }
      const out = alloc(c, keepDims ? [...axes.map(() => 1), ...kept] : kept);
      f32(c.backend, out).set(acc);
      return out;
    });
  }) as unknown as tf.KernelFunc;
}
