/**
 * Conv2DBackpropInput for tfjs-backend-webgpu as an implicit GEMM (tiled-gemm.ts), stride 1:
 *
 *   dx[p, ci] = sum_r dy[b, iy + pt - kh, ix + pl - kw, co] * W[kh, kw, ci, co],
 *   p = (b, iy, ix), r = (kh, kw, co)
 *
 * (zero where the dy position falls outside): a stride-1 convolution of dy with the flipped
 * filter, so A is the im2col of dy (im2col.ts). Strided convolutions go to the stock kernel
 * (`fallback`, tfjs's tiled program once the WEBGPU_USE_NAIVE_CONV2D_TRANSPOSE flag is off).
 */
import * as tf from '@tensorflow/tfjs-core';
import { im2colSnippet } from './im2col';
import type { WebgpuKernelBackend } from './program';
import { chooseTiling, dispatchFits, GemmProgram, wholeK, type GemmShape } from './tiled-gemm';

function inputGradientProgram(c: tf.backend_util.Conv2DInfo): GemmProgram {
  const m = c.batchSize * c.inHeight * c.inWidth;
  const k = c.filterHeight * c.filterWidth * c.outChannels;
  const tiling = chooseTiling(m, c.inChannels);
  // dx is the stride-1 convolution of dy with the filter flipped in space and transposed in
  // channels: r = (kh', kw', co) reads W[KH-1-kh', KW-1-kw', ci, co].
  const flipped = im2colSnippet({
    src: 'dy', inHeight: c.outHeight, inWidth: c.outWidth, channels: c.outChannels, outHeight: c.inHeight, outWidth: c.inWidth,
    filterWidth: c.filterWidth, strideHeight: 1, strideWidth: 1, padTop: c.filterHeight - 1 - c.padInfo.top, padLeft: c.filterWidth - 1 - c.padInfo.left,
  });
  const functions = `${flipped}
const KH = ${c.filterHeight}; const KW = ${c.filterWidth}; const CO = ${c.outChannels};
fn loadA(pp : i32, r : i32) -> f32 { return im2col(pp, r); }
fn loadB(r : i32, ci : i32) -> f32 {
  let co = r % CO;
  let t = r / CO;
  let kh = KH - 1 - t / KW;
  let kw = KW - 1 - t % KW;
  return W[((kh * KW + kw) * GN + ci) * CO + co];
}
fn storeC(pp : i32, ci : i32, split : i32, v : f32) { result[pp * GN + ci] = v; }
`;
  const shape: GemmShape = { m, n: c.inChannels, k, kChunk: wholeK(k, tiling), aContiguous: 'k', bContiguous: 'k' };
  return new GemmProgram(['dy', 'W'], c.inShape, shape, tiling, 'wsolConv2DBackpropInput', functions);
}

/**
 * Wraps the stock Conv2DBackpropInput kernel (`fallback`) with the implicit GEMM for stride 1 and
 * at least `minMacs` multiply-adds.
 */
export function makeConv2dBackpropInputWebgpu(fallback: tf.KernelFunc, minMacs = 0): tf.KernelFunc {
  return ((args: {
    inputs: { dy: tf.TensorInfo; filter: tf.TensorInfo };
    backend: WebgpuKernelBackend;
    attrs: { inputShape: [number, number, number, number]; strides: [number, number] | number; pad: 'valid' | 'same' | number | tf.backend_util.ExplicitPadding; dataFormat: 'NHWC' | 'NCHW'; dimRoundingMode?: 'floor' | 'round' | 'ceil' };
  }) => {
    const { inputs, backend, attrs } = args;
    const c = tf.backend_util.computeConv2DInfo(attrs.inputShape, inputs.filter.shape as [number, number, number, number], attrs.strides, 1, attrs.pad, attrs.dimRoundingMode, false, 'channelsLast');
    if (attrs.dataFormat === 'NCHW' || c.strideHeight !== 1 || c.strideWidth !== 1) return fallback(args as never);
    if (c.batchSize * c.inHeight * c.inWidth * c.inChannels * c.filterHeight * c.filterWidth * c.outChannels < minMacs) return fallback(args as never);
    const program = inputGradientProgram(c);
    if (!dispatchFits(program.dispatch)) return fallback(args as never);
    return backend.runWebGPUProgram(program, [inputs.dy, inputs.filter], 'float32');
  }) as unknown as tf.KernelFunc;
}
