/**
 * tfjs kernels for the wasm backend that run in the native addon (oneDNN convolutions and matrix
 * products; OpenMP max pooling, tiling, large elementwise ops, reductions and batch norm). Each one allocates its output with the wasm backend and hands the
 * addon the wasm heap plus byte offsets: the addon reads the inputs and writes the output where
 * they already are, so nothing is copied.
 *
 * A body returns null for a case it does not cover (NCHW, a PReLU activation, an int32 tensor,
 * a batch broadcast it cannot express); the caller then runs the wasm kernel.
 */
import * as tf from '@tensorflow/tfjs-core';
import type { Info, KernelArgs, WasmBackend } from '../kernels/wasm-compose';
import type { NativeAddon } from './addon';

interface NativeWasmBackend extends WasmBackend {
  wasm: WasmBackend['wasm'] & { HEAPU8: Uint8Array };
}

export type NativeBody = (addon: NativeAddon, args: KernelArgs, kernelName: string) => Info | null;

const ACTIVATIONS: Record<string, number> = { linear: 0, relu: 1, relu6: 2, leakyrelu: 3, sigmoid: 4, elu: 5 };

function offset(backend: WasmBackend, t: Info): number {
  return backend.dataIdMap.get(t.dataId).memoryOffset;
}

const float32 = (...ts: (Info | undefined)[]) => ts.every((t) => t === undefined || t.dtype === 'float32');
const size = (shape: number[]) => shape.reduce((a, b) => a * b, 1);

/**
 * Allocates the output, then calls the addon with the heap taken after the allocation (growing
 * the wasm memory replaces the buffer). Frees the output if the addon throws.
 */
function withOutput(args: KernelArgs, shape: number[], call: (heap: Uint8Array, out: number) => void, dtype: tf.DataType = 'float32'): Info {
  const backend = args.backend as NativeWasmBackend;
  const out = backend.makeOutput(shape, dtype);
  try {
    if (size(shape) > 0) call(backend.wasm.HEAPU8, offset(backend, out));
    return out;
  } catch (err) {
    backend.disposeData(out.dataId);
    throw err;
  }
}

function convParams(info: tf.backend_util.Conv2DInfo): number[] {
  const p = info.padInfo;
  return [
    info.batchSize, info.inHeight, info.inWidth, info.inChannels, info.outChannels, info.filterHeight, info.filterWidth,
    info.outHeight, info.outWidth, info.strideHeight, info.strideWidth, info.dilationHeight, info.dilationWidth,
    p.top, p.left, p.bottom, p.right,
  ];
}

/** Conv2D and FusedConv2D (bias and activation fused into the oneDNN convolution). */
export const conv2dNative: NativeBody = (addon, args) => {
  const { x, filter, bias, preluActivationWeights } = args.inputs as { x: Info; filter: Info; bias?: Info; preluActivationWeights?: Info };
  const a = (args.attrs ?? {}) as unknown as tf.FusedConv2DAttrs;
  const activation = ACTIVATIONS[a.activation ?? 'linear'];
  if (a.dataFormat === 'NCHW' || preluActivationWeights || activation === undefined || !float32(x, filter, bias)) return null;
  const info = tf.backend_util.computeConv2DInfo(
    x.shape as [number, number, number, number], filter.shape as [number, number, number, number],
    a.strides, a.dilations ?? 1, a.pad, a.dimRoundingMode, false, 'channelsLast',
  );
  if (bias && size(bias.shape) !== info.outChannels) return null;
  if (size(x.shape) === 0 || size(filter.shape) === 0) return null;
  const backend = args.backend as WasmBackend;
  return withOutput(args, info.outShape, (heap, y) => {
    const biasAt = bias ? offset(backend, bias) : -1;
    addon.conv2d(heap, Float64Array.from([...convParams(info), offset(backend, x), offset(backend, filter), biasAt, y, activation, a.leakyreluAlpha ?? 0.2]));
  });
};

export const conv2dBackpropInputNative: NativeBody = (addon, args) => {
  const { dy, filter } = args.inputs as { dy: Info; filter: Info };
  const a = (args.attrs ?? {}) as unknown as tf.Conv2DBackpropInputAttrs;
  if (a.dataFormat === 'NCHW' || !float32(dy, filter)) return null;
  const info = tf.backend_util.computeConv2DInfo(a.inputShape, filter.shape as [number, number, number, number], a.strides, 1, a.pad, a.dimRoundingMode, false, 'channelsLast');
  if (!tf.util.arraysEqual(info.outShape, dy.shape) || size(a.inputShape) === 0 || size(dy.shape) === 0) return null;
  const backend = args.backend as WasmBackend;
  return withOutput(args, a.inputShape, (heap, dx) => {
    addon.conv2dBackpropInput(heap, Float64Array.from([...convParams(info), offset(backend, dy), offset(backend, filter), dx]));
  });
};

export const conv2dBackpropFilterNative: NativeBody = (addon, args) => {
  const { x, dy } = args.inputs as { x: Info; dy: Info };
  const a = (args.attrs ?? {}) as unknown as tf.Conv2DBackpropFilterAttrs;
  if (a.dataFormat === 'NCHW' || !float32(x, dy)) return null;
  const info = tf.backend_util.computeConv2DInfo(x.shape as [number, number, number, number], a.filterShape, a.strides, 1, a.pad, a.dimRoundingMode, false, 'channelsLast');
  if (!tf.util.arraysEqual(info.outShape, dy.shape) || size(x.shape) === 0 || size(dy.shape) === 0) return null;
  const backend = args.backend as WasmBackend;
  return withOutput(args, a.filterShape, (heap, dw) => {
    addon.conv2dBackpropFilter(heap, Float64Array.from([...convParams(info), offset(backend, x), offset(backend, dy), dw]));
  });
};

function poolParams(info: tf.backend_util.Conv2DInfo): number[] {
  return [
    info.batchSize, info.inHeight, info.inWidth, info.inChannels, info.outHeight, info.outWidth, info.filterHeight, info.filterWidth,
    info.strideHeight, info.strideWidth, info.dilationHeight, info.dilationWidth, info.padInfo.top, info.padInfo.left,
  ];
}

export const maxPoolNative: NativeBody = (addon, args) => {
  const { x } = args.inputs as { x: Info };
  const a = (args.attrs ?? {}) as unknown as tf.MaxPoolAttrs;
  if (!float32(x) || x.shape.length !== 4 || size(x.shape) === 0) return null;
  const info = tf.backend_util.computePool2DInfo(x.shape as [number, number, number, number], a.filterSize, a.strides, 1, a.pad, a.dimRoundingMode);
  const backend = args.backend as WasmBackend;
  return withOutput(args, info.outShape, (heap, y) => addon.maxPool(heap, Float64Array.from([...poolParams(info), offset(backend, x), y])));
};

export const maxPoolGradNative: NativeBody = (addon, args) => {
  const { dy, input } = args.inputs as { dy: Info; input: Info };
  const a = (args.attrs ?? {}) as unknown as tf.MaxPoolGradAttrs;
  if (!float32(dy, input) || input.shape.length !== 4 || size(input.shape) === 0) return null;
  const info = tf.backend_util.computePool2DInfo(input.shape as [number, number, number, number], a.filterSize, a.strides, 1, a.pad, a.dimRoundingMode);
  if (!tf.util.arraysEqual(info.outShape, dy.shape)) return null;
  const backend = args.backend as WasmBackend;
  return withOutput(args, input.shape, (heap, dx) => {
    addon.maxPoolGrad(heap, Float64Array.from([...poolParams(info), offset(backend, input), offset(backend, dy), dx]));
  });
};

/**
 * BatchMatMul for rank >= 2 when each operand's batch is either the output's batch (same order)
 * or a single matrix that is broadcast; transposes are strides in oneDNN, never copies.
 */
export const batchMatMulNative: NativeBody = (addon, args) => {
  const { a, b } = args.inputs as { a: Info; b: Info };
  const { transposeA, transposeB } = (args.attrs ?? {}) as unknown as tf.BatchMatMulAttrs;
  if (!float32(a, b) || a.shape.length < 2 || b.shape.length < 2) return null;
  const ra = a.shape.length;
  const rb = b.shape.length;
  const m = transposeA ? a.shape[ra - 1] : a.shape[ra - 2];
  const k = transposeA ? a.shape[ra - 2] : a.shape[ra - 1];
  const kb = transposeB ? b.shape[rb - 1] : b.shape[rb - 2];
  const n = transposeB ? b.shape[rb - 2] : b.shape[rb - 1];
  if (k !== kb || m * k * n === 0) return null;
  const batchShape = tf.backend_util.assertAndGetBroadcastShape(a.shape.slice(0, -2), b.shape.slice(0, -2));
  const ba = size(a.shape.slice(0, -2));
  const bb = size(b.shape.slice(0, -2));
  const bc = size(batchShape);
  if (!((ba === bc || ba === 1) && (bb === bc || bb === 1))) return null;
  const backend = args.backend as WasmBackend;
  return withOutput(args, [...batchShape, m, n], (heap, c) => {
    addon.batchMatMul(heap, Float64Array.from([ba, bb, m, k, n, transposeA ? 1 : 0, transposeB ? 1 : 0, offset(backend, a), offset(backend, b), c]));
  });
};

/** Tile of float32 or int32 tensors (batch-norm gradients tile per-channel vectors to full size). */
export const tileNative: NativeBody = (addon, args) => {
  const { x } = args.inputs as { x: Info };
  const { reps } = (args.attrs ?? {}) as unknown as tf.TileAttrs;
  if ((x.dtype !== 'float32' && x.dtype !== 'int32') || x.shape.length === 0 || x.shape.length > 8 || reps.length !== x.shape.length) return null;
  const backend = args.backend as WasmBackend;
  const outShape = x.shape.map((d, i) => d * reps[i]);
  return withOutput(args, outShape, (heap, y) => addon.tile(heap, Float64Array.from([x.shape.length, 4, ...x.shape, ...reps, offset(backend, x), y])), x.dtype);
};

/** Below this many output elements an elementwise op or reduction stays on wasm (call overhead). */
export const MIN_NATIVE_ELEMENTS = 16384;

const BINARY_OPS: Record<string, number> = { Add: 0, Sub: 1, Multiply: 2, RealDiv: 3 };

/**
 * How operand `x` repeats in an output of `out` shape: its size when it fills the output or
 * repeats along the leading axes (a per-channel vector, a scalar), else null.
 */
function period(x: number[], out: number[]): number | null {
  const stripped = x.slice(x.findIndex((d) => d !== 1) === -1 ? x.length : x.findIndex((d) => d !== 1));
  const suffix = out.slice(out.length - stripped.length);
  return stripped.length <= out.length && tf.util.arraysEqual(stripped, suffix) ? size(stripped) : null;
}

/** Add, Sub, Multiply and RealDiv of float32 tensors, same shape or one repeating along the leading axes. */
export const binaryNative: NativeBody = (addon, args, kernelName) => {
  const { a, b } = args.inputs as { a: Info; b: Info };
  const op = BINARY_OPS[kernelName];
  if (op === undefined || !float32(a, b)) return null;
  const outShape = tf.backend_util.assertAndGetBroadcastShape(a.shape, b.shape);
  const n = size(outShape);
  if (n < MIN_NATIVE_ELEMENTS) return null;
  const pa = period(a.shape, outShape);
  const pb = period(b.shape, outShape);
  if (pa === null || pb === null || (pa !== n && pb !== n)) return null;
  const backend = args.backend as WasmBackend;
  return withOutput(args, outShape, (heap, out) => addon.binary(heap, Float64Array.from([op, n, pa, pb, offset(backend, a), offset(backend, b), out])));
};

/** Sum and Mean of float32 tensors over a contiguous run of axes. */
export const reduceNative: NativeBody = (addon, args, kernelName) => {
  const { x } = args.inputs as { x: Info };
  const { axis, keepDims } = (args.attrs ?? {}) as unknown as tf.SumAttrs;
  if (!float32(x) || size(x.shape) < MIN_NATIVE_ELEMENTS) return null;
  const axes = tf.util.parseAxisParam(axis, x.shape).sort((p, q) => p - q);
  if (axes.length === 0 || axes.some((ax, i) => ax !== axes[0] + i)) return null;
  const first = axes[0];
  const last = axes[axes.length - 1];
  const outer = size(x.shape.slice(0, first));
  const reduced = size(x.shape.slice(first, last + 1));
  const inner = size(x.shape.slice(last + 1));
  const outShape = keepDims ? x.shape.map((d, i) => (axes.includes(i) ? 1 : d)) : x.shape.filter((_, i) => !axes.includes(i));
  const backend = args.backend as WasmBackend;
  const mean = kernelName === 'Mean' ? 1 : 0;
  return withOutput(args, outShape, (heap, out) => addon.reduce(heap, Float64Array.from([outer, reduced, inner, mean, offset(backend, x), out])));
};

/** FusedBatchNorm (inference form, also used in training with the batch's moments) over the last axis. */
export const batchNormNative: NativeBody = (addon, args) => {
  const { x, mean, variance, offset: shift, scale } = args.inputs as { x: Info; mean: Info; variance: Info; offset?: Info; scale?: Info };
  const { varianceEpsilon } = (args.attrs ?? {}) as unknown as tf.FusedBatchNormAttrs;
  if (!float32(x, mean, variance, shift, scale) || x.shape.length === 0 || size(x.shape) < MIN_NATIVE_ELEMENTS) return null;
  const c = x.shape[x.shape.length - 1];
  const perChannel = (t?: Info) => t === undefined || period(t.shape, x.shape) === c;
  if (![mean, variance, shift, scale].every(perChannel)) return null;
  const backend = args.backend as WasmBackend;
  const at = (t?: Info) => (t ? offset(backend, t) : -1);
  return withOutput(args, x.shape, (heap, y) =>
    addon.batchNorm(heap, Float64Array.from([size(x.shape), c, varianceEpsilon, offset(backend, x), offset(backend, mean), offset(backend, variance), at(shift), at(scale), y])),
  );
};

/**
 * Identity without a copy: the output shares the input's buffer (reference-counted, as tfjs's
 * Reshape on wasm and Identity on cpu do; tensors are immutable). tfjs clones every tensor a
 * gradient needs while recording the tape, and stock wasm copies each one (~7% of a reference step).
 */
export const identityShared: NativeBody = (_addon, args) => {
  const { x } = args.inputs as { x: Info };
  if (x.dtype === 'string') return null;
  (args.backend as unknown as { incRef(dataId: object): void }).incRef(x.dataId);
  return { dataId: x.dataId, shape: x.shape, dtype: x.dtype };
};

/** Cast to the dtype a tensor already has (every ReLU gradient casts its float32 step mask): no copy. */
export const castSameDtype: NativeBody = (addon, args) => {
  const { x } = args.inputs as { x: Info };
  const { dtype } = (args.attrs ?? {}) as unknown as tf.CastAttrs;
  return dtype === x.dtype ? identityShared(addon, args, 'Identity') : null;
};

/** Kernel name -> native body, in the order of the training profile. */
export const NATIVE_KERNELS: Record<string, NativeBody> = {
  Conv2D: conv2dNative,
  FusedConv2D: conv2dNative,
  Conv2DBackpropInput: conv2dBackpropInputNative,
  Conv2DBackpropFilter: conv2dBackpropFilterNative,
  MaxPool: maxPoolNative,
  MaxPoolGrad: maxPoolGradNative,
  BatchMatMul: batchMatMulNative,
  Tile: tileNative,
  Identity: identityShared,
  Cast: castSameDtype,
  Add: binaryNative,
  Sub: binaryNative,
  Multiply: binaryNative,
  RealDiv: binaryNative,
  Sum: reduceNative,
  Mean: reduceNative,
  FusedBatchNorm: batchNormNative,
};
