/**
 * Conv2DBackpropFilter for wasm (stock tfjs-backend-wasm 4.22.0 has none):
 *
 *     dW[a, b, ci, co] = sum_{n,y,x} Xp[n, y*s + a, x*s + b, ci] * dY[n, y, x, co]
 *
 * with Xp the input padded as in the forward pass.
 *
 * Stride 1 (every conv of this project's nets) runs as a K-blocked GEMM on XNNPACK's
 * fully-connected kernel. Lay Xp and dY on the same padded grid of Q = n*Hp*Wp positions
 * (dY zero-padded right/bottom by k-1); tap (a, b) is then a constant shift off = a*Wp + b
 * along the flattened grid, so
 *     dW[t, ci, :] = sum_q Xt[ci, q + off_t] * dYp[q, :]
 * For each chunk of kc grid positions, A = [kh*kw*ci, kc] is gathered by contiguous row copies
 * from the channel-major input Xt, B = [kc, co] is a zero-copy view of dYp, and the partial
 * products are summed. Blocking the reduction keeps A and B in cache; an unblocked GEMM with
 * K = n*H*W (or XNNPACK's convolution with a huge kernel) streams them from memory.
 *
 * Other strides run as one forward convolution whose batch is ci and whose channels are n:
 * input Xp^T [ci, Hp, Wp, n], filter dY^T [Ho, Wo, n, co], dilation s -> [ci, >=kh, >=kw, co],
 * cropped to [kh, kw] and transposed back.
 *
 * tfjs's Conv2D gradient rejects dilated convolutions, so dilation is always 1 here.
 */
import * as tf from '@tensorflow/tfjs-core';
import { alias, alloc, compose, f32, offsetOf, pad, padOrCrop, run, slice, transpose, type Ctx, type Info, type KernelArgs } from './wasm-compose';

export function conv2dInfo(xShape: number[], filterShape: number[], args: KernelArgs, kernel: string): tf.backend_util.Conv2DInfo {
  const { strides, pad: padding, dataFormat, dimRoundingMode } = (args.attrs ?? {}) as unknown as tf.Conv2DBackpropFilterAttrs;
  if (dataFormat !== undefined && dataFormat !== 'NHWC') throw new Error(`${kernel} (wasm): only NHWC is supported, got dataFormat=${dataFormat}`);
  return tf.backend_util.computeConv2DInfo(
    xShape as [number, number, number, number],
    filterShape as [number, number, number, number],
    strides,
    1,
    padding,
    dimRoundingMode,
    false,
    'channelsLast',
  );
}

/**
 * Grid positions per GEMM block: A ([rows, kc]) near 2 MiB, kc in [512, 2048] (measured on the
 * reference nets: smaller blocks pay per-call overhead, larger ones fall out of cache).
 */
export function reductionBlock(rows: number): number {
  const target = 2 ** 19 / Math.max(1, rows);
  return Math.min(2048, Math.max(512, 2 ** Math.round(Math.log2(target))));
}

/** Forces the block size (tests use a tiny one to cross many block boundaries); null = automatic. */
export const filterGradBlock: { kc: number | null } = { kc: null };

export function conv2dBackpropFilterWasm(args: KernelArgs): Info {
  const { x, dy } = args.inputs as { x: Info; dy: Info };
  const { filterShape } = (args.attrs ?? {}) as unknown as tf.Conv2DBackpropFilterAttrs;
  const info = conv2dInfo(x.shape, filterShape, args, 'Conv2DBackpropFilter');
  if (x.dtype !== 'float32' || dy.dtype !== 'float32') throw new Error('Conv2DBackpropFilter (wasm): float32 inputs only');
  return info.strideHeight === 1 && info.strideWidth === 1 ? blockedGemm(args.backend, x, dy, info) : filterGradByConv(args.backend, x, dy, info);
}

/** Conv2DBackpropFilter always through the forward-convolution formulation (any stride). */
export function conv2dBackpropFilterByConvWasm(args: KernelArgs): Info {
  const { x, dy } = args.inputs as { x: Info; dy: Info };
  const { filterShape } = (args.attrs ?? {}) as unknown as tf.Conv2DBackpropFilterAttrs;
  return filterGradByConv(args.backend, x, dy, conv2dInfo(x.shape, filterShape, args, 'Conv2DBackpropFilter'));
}

function blockedGemm(backend: unknown, x: Info, dy: Info, info: tf.backend_util.Conv2DInfo): Info {
  const { filterHeight: kh, filterWidth: kw, inChannels: ci, outChannels: co, outHeight: ho, outWidth: wo } = info;
  const n = x.shape[0];
  const hp = ho + kh - 1;
  const wp = wo + kw - 1;
  const q = n * hp * wp;
  const rows = kh * kw * ci;
  const kc = filterGradBlock.kc ?? reductionBlock(rows);
  const chunks = Math.ceil(q / kc);
  const maxShift = (kh - 1) * wp + (kw - 1);
  return compose(backend, (c) => {
    const { top, left } = info.padInfo;
    const grid = hp * wp;
    // Whole zero images appended to the batch give the shifted/last blocks room to read past q.
    const xImages = Math.ceil((chunks * kc + maxShift) / grid);
    const dyImages = Math.ceil((chunks * kc) / grid);
    // The input as the forward pass read it (for stride 1, hp = H + top + bottom: never a crop), channel-major.
    const xp = pad(c, x, [[0, xImages - n], [top, hp - x.shape[1] - top], [left, wp - x.shape[2] - left], [0, 0]]);
    const xRows = transpose(c, xp, [3, 0, 1, 2]); // [ci, xImages, hp, wp]: rows of qx grid positions
    const qx = xImages * grid;
    const dyRows = pad(c, dy, [[0, dyImages - n], [0, hp - ho], [0, wp - wo], [0, 0]]); // [>= chunks*kc positions, co]
    const a = alloc(c, [1, rows, kc]);
    const acc = new Float64Array(rows * co);
    for (let j = 0; j < chunks; j++) {
      // Gather A: row (t, ch) = Xt[ch, j*kc + off_t ..][:kc]. One heap view per chunk (the GEMM may grow memory).
      const heap = new Float32Array(c.backend.wasm.HEAPU8.buffer);
      const aBase = offsetOf(c.backend, a) >> 2;
      const xBase = offsetOf(c.backend, xRows) >> 2;
      for (let ta = 0; ta < kh; ta++) {
        for (let tb = 0; tb < kw; tb++) {
          const shift = ta * wp + tb;
          const t = ta * kw + tb;
          for (let ch = 0; ch < ci; ch++) {
            const src = xBase + ch * qx + j * kc + shift;
            heap.copyWithin(aBase + (t * ci + ch) * kc, src, src + kc);
          }
        }
      }
      const b = alias(c, dyRows, j * kc * co, [1, kc, co]);
      const part = run(c, 'BatchMatMul', { a, b }, { transposeA: false, transposeB: false });
      const p = f32(c.backend, part);
      for (let i = 0; i < p.length; i++) acc[i] += p[i];
      c.temps.pop();
      c.backend.disposeData(part.dataId);
    }
    const out = alloc(c, [kh, kw, ci, co]);
    f32(c.backend, out).set(acc);
    return out;
  });
}

function filterGradByConv(backend: unknown, x: Info, dy: Info, info: tf.backend_util.Conv2DInfo): Info {
  const { filterHeight: kh, filterWidth: kw, inChannels: ci, outChannels: co } = info;
  if (info.strideHeight !== info.strideWidth) throw new Error('Conv2DBackpropFilter (wasm): unequal strides are not supported');
  const s = info.strideHeight;
  const { top, left } = info.padInfo;
  return compose(backend, (c: Ctx) => {
    // The rows/cols the forward pass actually read: padded input, trimmed to (Ho-1)*s + kh.
    const needH = (info.outHeight - 1) * s + kh;
    const needW = (info.outWidth - 1) * s + kw;
    const xp = padOrCrop(c, x, top, needH - x.shape[1] - top, left, needW - x.shape[2] - left);
    const xT = transpose(c, xp, [3, 1, 2, 0]); // [ci, H, W, n]
    const dyT = transpose(c, dy, [1, 2, 0, 3]); // [Ho, Wo, n, co]
    const g = run(c, 'Conv2D', { x: xT, filter: dyT }, { strides: [1, 1], pad: 'valid', dataFormat: 'NHWC', dilations: [s, s], dimRoundingMode: undefined });
    const gk = g.shape[1] === kh && g.shape[2] === kw ? g : slice(c, g, [0, 0, 0, 0], [ci, kh, kw, co]);
    return transpose(c, gk, [1, 2, 0, 3]);
  });
}
