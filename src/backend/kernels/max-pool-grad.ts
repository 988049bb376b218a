/**
 * MaxPoolGrad for wasm. The stock 4.22.0 kernel is wrong whenever a pooling window's maximum
 * is negative (it gives that window no gradient: found by the parity tests) and slow (~20x a
 * forward pool). This one follows tfjs's cpu backend exactly: each window routes its dy to the
 * first position (row-major within the window, padding skipped) holding the strict maximum.
 */
import * as tf from '@tensorflow/tfjs-core';
import { alloc, compose, f32, type Info, type KernelArgs } from './wasm-compose';

export function maxPoolGradWasm(args: KernelArgs): Info {
  const { dy, input } = args.inputs as { dy: Info; input: Info };
  const { filterSize, strides, pad, dimRoundingMode } = (args.attrs ?? {}) as unknown as tf.MaxPoolGradAttrs;
  if (input.dtype !== 'float32' || dy.dtype !== 'float32') throw new Error('MaxPoolGrad (wasm): float32 inputs only');
  const info = tf.backend_util.computePool2DInfo(input.shape as [number, number, number, number], filterSize, strides, 1, pad, dimRoundingMode);
  const { batchSize, inHeight, inWidth, inChannels: ch, outHeight, outWidth, strideHeight, strideWidth, effectiveFilterHeight: fh, effectiveFilterWidth: fw } = info;
  const { top, left } = info.padInfo;
  return compose(args.backend, (c) => {
    const out = alloc(c, input.shape);
    const dx = f32(c.backend, out);
    const x = f32(c.backend, input);
    const g = f32(c.backend, dy);
    dx.fill(0);
    const inside = top === 0 && left === 0 && 2 * outHeight <= inHeight && 2 * outWidth <= inWidth;
    if (fh === 2 && fw === 2 && strideHeight === 2 && strideWidth === 2 && inside) {
      pool2x2(x, g, dx, batchSize, inHeight, inWidth, ch, outHeight, outWidth);
      return out;
    }
    const best = new Float32Array(ch);
    const where = new Int32Array(ch);
    for (let b = 0; b < batchSize; b++) {
      for (let oy = 0; oy < outHeight; oy++) {
        const y0 = oy * strideHeight - top;
        for (let ox = 0; ox < outWidth; ox++) {
          const x0 = ox * strideWidth - left;
          best.fill(-Infinity);
          where.fill(-1);
          for (let a = 0; a < fh; a++) {
            const iy = y0 + a;
            if (iy < 0 || iy >= inHeight) continue;
            for (let bb = 0; bb < fw; bb++) {
              const ix = x0 + bb;
              if (ix < 0 || ix >= inWidth) continue;
              const base = ((b * inHeight + iy) * inWidth + ix) * ch;
              for (let k = 0; k < ch; k++) {
                const v = x[base + k];
                if (v > best[k]) {
                  best[k] = v;
                  where[k] = base + k;
                }
              }
            }
          }
          const gBase = ((b * outHeight + oy) * outWidth + ox) * ch;
          for (let k = 0; k < ch; k++) if (where[k] >= 0) dx[where[k]] += g[gBase + k];
        }
      }
    }
    return out;
  });
}

/** The common 2x2 / stride 2 case with every window inside the image: 4 compares per output. */
function pool2x2(x: Float32Array, g: Float32Array, dx: Float32Array, n: number, h: number, w: number, ch: number, oh: number, ow: number): void {
  const rowStride = w * ch;
  for (let b = 0; b < n; b++) {
    for (let oy = 0; oy < oh; oy++) {
      for (let ox = 0; ox < ow; ox++) {
        const i00 = ((b * h + 2 * oy) * w + 2 * ox) * ch;
        const i01 = i00 + ch;
        const i10 = i00 + rowStride;
        const i11 = i10 + ch;
        const gBase = ((b * oh + oy) * ow + ox) * ch;
        for (let k = 0; k < ch; k++) {
          const v00 = x[i00 + k];
          const v01 = x[i01 + k];
          const v10 = x[i10 + k];
          const v11 = x[i11 + k];
          let best = -Infinity;
          let at = -1;
          if (v00 > best) { best = v00; at = i00 + k; }
          if (v01 > best) { best = v01; at = i01 + k; }
          if (v10 > best) { best = v10; at = i10 + k; }
          if (v11 > best) at = i11 + k;
          if (at >= 0) dx[at] += g[gBase + k];
        }
      }
    }
  }
}
