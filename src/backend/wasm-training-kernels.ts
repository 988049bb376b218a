/**
 * Training kernels for the wasm backend, expressed as FORWARD convolutions so that they run on
 * XNNPACK like the forward pass does:
 *
 * - Conv2DBackpropFilter (missing from stock wasm): with the input padded as in the forward pass,
 *     dW[a,b,ci,co] = sum_{n,i,j} Xp[n, i*s+a, j*s+b, ci] * dY[n,i,j,co]
 *   which is a valid convolution whose batch is ci and whose channels are n:
 *     input  Xp^T [ci, Hp, Wp, n], filter dY^T [Ho, Wo, n, co], dilation s  ->  [ci, >=kh, >=kw, co],
 *   cropped to [kh, kw] and transposed back to [kh, kw, ci, co].
 * - Conv2DBackpropInput (stock wasm is ~10x slower than a forward conv): zero-insert dY by the stride,
 *   pad by (k - 1 - pad), and convolve with the spatially flipped filter whose in/out channels swap.
 *
 * Kernels compose other wasm kernels directly and free every intermediate with disposeData.
 * Only dilation 1 is needed: tfjs's Conv2D gradient rejects dilated convolutions.
 */
import * as tf from '@tensorflow/tfjs-core';

type Info = tf.TensorInfo;
type Backend = tf.KernelBackend & {
  disposeData(dataId: object): boolean;
  makeOutput(shape: number[], dtype: tf.DataType): Info;
  dataIdMap: { get(dataId: object): { memoryOffset: number } };
  wasm: { HEAPU8: Uint8Array };
};

interface Ctx {
  backend: Backend;
  temps: Info[];
}

function run(ctx: Ctx, name: string, inputs: Record<string, Info>, attrs: Record<string, unknown>): Info {
  const kernel = tf.getKernel(name, 'wasm');
  if (!kernel) throw new Error(`wasm kernel ${name} is not registered`);
  const out = kernel.kernelFunc({ inputs, backend: ctx.backend, attrs: attrs as tf.NamedAttrMap }) as Info;
  ctx.temps.push(out);
  return out;
}

/** Runs `body`, frees every intermediate except the returned one. */
function compose(backend: Backend, body: (ctx: Ctx) => Info): Info {
  const ctx: Ctx = { backend, temps: [] };
  let result: Info | undefined;
  try {
    result = body(ctx);
    return result;
  } finally {
    for (const t of ctx.temps) if (t !== result) backend.disposeData(t.dataId);
  }
}

const transpose = (c: Ctx, x: Info, perm: number[]) => run(c, 'Transpose', { x }, { perm });
const pad = (c: Ctx, x: Info, paddings: [number, number][]) => run(c, 'PadV2', { x }, { paddings, constantValue: 0 });
const slice = (c: Ctx, x: Info, begin: number[], size: number[]) => run(c, 'Slice', { x }, { begin, size });
const reshape = (c: Ctx, x: Info, shape: number[]) => run(c, 'Reshape', { x }, { shape });
const conv = (c: Ctx, x: Info, filter: Info, dilation: number) =>
  run(c, 'Conv2D', { x, filter }, { strides: [1, 1], pad: 'valid', dataFormat: 'NHWC', dilations: [dilation, dilation], dimRoundingMode: undefined });

/** Pads (positive) or crops (negative) each spatial side of an NHWC tensor. */
function padOrCrop(c: Ctx, x: Info, top: number, bottom: number, left: number, right: number): Info {
  let y = x;
  const [n, h, w, ch] = y.shape;
  const cropTop = Math.max(0, -top);
  const cropLeft = Math.max(0, -left);
  const keepH = h - cropTop - Math.max(0, -bottom);
  const keepW = w - cropLeft - Math.max(0, -right);
  if (cropTop || cropLeft || keepH !== h || keepW !== w) y = slice(c, y, [0, cropTop, cropLeft, 0], [n, keepH, keepW, ch]);
  if (top > 0 || bottom > 0 || left > 0 || right > 0) {
    y = pad(c, y, [[0, 0], [Math.max(0, top), Math.max(0, bottom)], [Math.max(0, left), Math.max(0, right)], [0, 0]]);
  }
  return y;
}

function convInfo(xShape: number[], filterShape: number[], attrs: tf.NamedAttrMap): tf.backend_util.Conv2DInfo {
  const { strides, pad: padding, dataFormat, dimRoundingMode } = attrs as unknown as tf.Conv2DBackpropFilterAttrs;
  if (dataFormat !== undefined && dataFormat !== 'NHWC') throw new Error(`wasm training kernels support NHWC only, got ${dataFormat}`);
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

export function conv2dBackpropFilterWasm(args: { inputs: tf.NamedTensorInfoMap; backend: unknown; attrs?: tf.NamedAttrMap }): Info {
  const { x, dy } = args.inputs as { x: Info; dy: Info };
  const attrs = args.attrs as tf.NamedAttrMap;
  const filterShape = (attrs as unknown as tf.Conv2DBackpropFilterAttrs).filterShape;
  const info = convInfo(x.shape, filterShape, attrs);
  const [kh, kw, ci, co] = filterShape;
  const { top, left, bottom, right } = info.padInfo;
  if (info.strideHeight !== info.strideWidth) throw new Error('Conv2DBackpropFilter (wasm): unequal strides are not supported');
  return compose(args.backend as Backend, (c) => {
    // The rows/cols the forward pass actually read: padded input, trimmed to (Ho-1)*s + kh.
    const needH = (info.outHeight - 1) * info.strideHeight + kh;
    const needW = (info.outWidth - 1) * info.strideWidth + kw;
    const xp = padOrCrop(c, x, top, needH - x.shape[1] - top, left, needW - x.shape[2] - left);
    const xT = transpose(c, xp, [3, 1, 2, 0]); // [ci, H, W, n]
    const dyT = transpose(c, dy, [1, 2, 0, 3]); // [Ho, Wo, n, co]
    const g = conv(c, xT, dyT, info.strideHeight); // [ci, kh, kw, co]
    const gk = g.shape[1] === kh && g.shape[2] === kw ? g : slice(c, g, [0, 0, 0, 0], [ci, kh, kw, co]);
    return transpose(c, gk, [1, 2, 0, 3]);
  });
}

export function conv2dBackpropInputWasm(args: { inputs: tf.NamedTensorInfoMap; backend: unknown; attrs?: tf.NamedAttrMap }): Info {
  const { dy, filter } = args.inputs as { dy: Info; filter: Info };
  const attrs = args.attrs as tf.NamedAttrMap;
  const inputShape = (attrs as unknown as tf.Conv2DBackpropInputAttrs).inputShape;
  const info = convInfo(inputShape, filter.shape, attrs);
  const [kh, kw] = filter.shape;
  const [n, H, W] = inputShape;
  const s = info.strideHeight;
  if (info.strideHeight !== info.strideWidth) throw new Error('Conv2DBackpropInput (wasm): unequal strides are not supported');
  const { top, left } = info.padInfo;
  return compose(args.backend as Backend, (c) => {
    let d = dy;
    const [, ho, wo, co] = dy.shape;
    if (s > 1) {
      // Zero-insertion by the stride: [n,ho,1,wo,1,co] padded to [n,ho,s,wo,s,co], then trimmed.
      const r = reshape(c, d, [n, ho, 1, wo, 1, co]);
      const p = run(c, 'PadV2', { x: r }, { paddings: [[0, 0], [0, 0], [0, s - 1], [0, 0], [0, s - 1], [0, 0]], constantValue: 0 });
      const flat = reshape(c, p, [n, ho * s, wo * s, co]);
      d = slice(c, flat, [0, 0, 0, 0], [n, (ho - 1) * s + 1, (wo - 1) * s + 1, co]);
    }
    const dh = d.shape[1];
    const dw = d.shape[2];
    const padTop = kh - 1 - top;
    const padLeft = kw - 1 - left;
    const dp = padOrCrop(c, d, padTop, H + kh - 1 - dh - padTop, padLeft, W + kw - 1 - dw - padLeft);
    const flipped = run(c, 'Reverse', { x: filter }, { dims: [0, 1] });
    const swapped = transpose(c, flipped, [0, 1, 3, 2]); // [kh, kw, co, ci]
    return conv(c, dp, swapped, 1);
  });
}

/**
 * BatchMatMul: stock wasm is fast (XNNPACK) only for one batch without a transposed operand;
 * batched or transposed products (attention, every matMul gradient) run ~10x slower. So transpose
 * explicitly, then run one fast product per batch entry (or one product when B is shared).
 */
function makeFastBatchMatMul(original: tf.KernelFunc): tf.KernelFunc {
  return ((args: { inputs: tf.NamedTensorInfoMap; backend: unknown; attrs?: tf.NamedAttrMap }) => {
    const { a: a0, b: b0 } = args.inputs as { a: Info; b: Info };
    const { transposeA, transposeB } = args.attrs as unknown as tf.BatchMatMulAttrs;
    const backend = args.backend as Backend;
    const plain = (x: Info, y: Info, c: Ctx) => {
      const out = original({ inputs: { a: x, b: y }, backend, attrs: { transposeA: false, transposeB: false } }) as Info;
      c.temps.push(out);
      return out;
    };
    const rank = a0.shape.length;
    if (a0.dtype !== 'float32' || b0.dtype !== 'float32' || rank !== b0.shape.length || rank < 2 || rank > 3) {
      return original(args as Parameters<tf.KernelFunc>[0]);
    }
    if (rank === 3 && a0.shape[0] !== b0.shape[0] && b0.shape[0] !== 1) return original(args as Parameters<tf.KernelFunc>[0]);
    return compose(backend, (c) => {
      // 2D products (dense layers and every matMul gradient) are one batch entry.
      const a = rank === 2 ? reshape(c, a0, [1, ...a0.shape]) : a0;
      const b = rank === 2 ? reshape(c, b0, [1, ...b0.shape]) : b0;
      const x = transposeA ? transpose(c, a, [0, 2, 1]) : a;
      const y = transposeB ? transpose(c, b, [0, 2, 1]) : b;
      const [batch, m, k] = x.shape;
      const n = y.shape[2];
      if (y.shape[0] === 1) {
        const flat = plain(reshape(c, x, [1, batch * m, k]), y, c);
        return reshape(c, flat, rank === 2 ? [m, n] : [batch, m, n]);
      }
      const out = backend.makeOutput([batch, m, n], 'float32');
      for (let i = 0; i < batch; i++) {
        const part = plain(batchEntry(c, x, i), batchEntry(c, y, i), c);
        copyBytes(backend, part, 0, out, i * m * n, m * n);
      }
      return out;
    });
  }) as unknown as tf.KernelFunc;
}

/** Copies `count` float32 elements between wasm tensors (the stock Slice/Concat kernels are slow). */
function copyBytes(backend: Backend, from: Info, fromElem: number, to: Info, toElem: number, count: number): void {
  const src = backend.dataIdMap.get(from.dataId).memoryOffset + 4 * fromElem;
  const dst = backend.dataIdMap.get(to.dataId).memoryOffset + 4 * toElem;
  backend.wasm.HEAPU8.copyWithin(dst, src, src + 4 * count);
}

/** Entry i of a [B, r, c] float32 tensor as a new [1, r, c] tensor. */
function batchEntry(c: Ctx, x: Info, i: number): Info {
  const size = x.shape[1] * x.shape[2];
  const out = c.backend.makeOutput([1, x.shape[1], x.shape[2]], 'float32');
  c.temps.push(out);
  copyBytes(c.backend, x, i * size, out, 0, size);
  return out;
}

let registered = false;

/** Registers (once) the wasm training kernels. Safe to call repeatedly. */
export function registerWasmTrainingKernels(): void {
  if (registered) return;
  const replace = (kernelName: string, kernelFunc: tf.KernelFunc) => {
    if (tf.getKernel(kernelName, 'wasm')) tf.unregisterKernel(kernelName, 'wasm');
    tf.registerKernel({ kernelName, backendName: 'wasm', kernelFunc });
  };
  replace('Conv2DBackpropFilter', conv2dBackpropFilterWasm as unknown as tf.KernelFunc);
  replace('Conv2DBackpropInput', conv2dBackpropInputWasm as unknown as tf.KernelFunc);
  const stockMatMul = tf.getKernel('BatchMatMul', 'wasm');
  if (stockMatMul) replace('BatchMatMul', makeFastBatchMatMul(stockMatMul.kernelFunc));
  registered = true;
}

/** Names of the kernels this module provides (for `wsol info`). */
export const WASM_TRAINING_KERNELS = ['Conv2DBackpropFilter', 'Conv2DBackpropInput', 'BatchMatMul'];
