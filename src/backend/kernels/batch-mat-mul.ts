/**
 * BatchMatMul for wasm: the stock kernel is fast (XNNPACK) only for one batch entry without a
 * transposed operand; batched or transposed products (attention, every matMul gradient) run
 * ~10x slower. So transpose explicitly, then run one fast product per batch entry (or a single
 * product when B is shared by the whole batch).
 */
import * as tf from '@tensorflow/tfjs-core';
import { alias, alloc, compose, copyElems, reshape, transpose, type Ctx, type Info, type KernelArgs } from './wasm-compose';

export function makeFastBatchMatMul(original: tf.KernelFunc): tf.KernelFunc {
  return ((args: KernelArgs) => {
    const { a: a0, b: b0 } = args.inputs as { a: Info; b: Info };
    const { transposeA, transposeB } = (args.attrs ?? {}) as unknown as tf.BatchMatMulAttrs;
    const rank = a0.shape.length;
    const fallBack = () => original(args as Parameters<tf.KernelFunc>[0]);
    if (a0.dtype !== 'float32' || b0.dtype !== 'float32' || rank !== b0.shape.length || rank < 2 || rank > 3) return fallBack();
    if (rank === 3 && a0.shape[0] !== b0.shape[0] && b0.shape[0] !== 1) return fallBack();
    if (!transposeA && !transposeB && (rank === 2 || (a0.shape[0] === 1 && b0.shape[0] === 1))) return fallBack();
    return compose(args.backend, (c) => {
      const plain = (x: Info, y: Info) => {
        const out = original({ inputs: { a: x, b: y }, backend: c.backend as unknown as tf.KernelBackend, attrs: { transposeA: false, transposeB: false } }) as Info;
        c.temps.push(out);
        return out;
      };
      // 2D products (dense layers and every matMul gradient) are one batch entry.
      const a = rank === 2 ? reshape(c, a0, [1, ...a0.shape]) : a0;
      const b = rank === 2 ? reshape(c, b0, [1, ...b0.shape]) : b0;
      const x = transposeA ? transpose(c, a, [0, 2, 1]) : a;
      const y = transposeB ? transpose(c, b, [0, 2, 1]) : b;
      const [batch, m, k] = x.shape;
      const n = y.shape[2];
      if (y.shape[0] === 1) {
        const flat = plain(reshape(c, x, [1, batch * m, k]), y);
        return reshape(c, flat, rank === 2 ? [m, n] : [batch, m, n]);
      }
      const out = alloc(c, [batch, m, n]);
      for (let i = 0; i < batch; i++) {
        const part = plain(batchEntry(c, x, i), batchEntry(c, y, i));
        copyElems(c.backend, part, 0, out, i * m * n, m * n);
      }
      return out;
    });
  }) as unknown as tf.KernelFunc;
}

/** Entry i of a [B, r, c] float32 tensor as a [1, r, c] view (no copy). */
function batchEntry(c: Ctx, x: Info, i: number): Info {
  const size = x.shape[1] * x.shape[2];
  return alias(c, x, i * size, [1, x.shape[1], x.shape[2]]);
}
