/**
 * Conv2D and FusedConv2D (bias, ReLU) for tfjs-backend-webgpu as an implicit GEMM (tiled-gemm.ts):
 *
 *   y[p, co] = act(sum_r A[p, r] * W[r, co] + bias[co]),   p = (b, oy, ox), r = (kh, kw, ci)
 *
 * with A[p, r] = x[b, oy*sh + kh - pt, ox*sw + kw - pl, ci] (zero outside the image). Channels-last,
 * dilation 1, activation linear or relu; anything else goes to the stock kernel (`fallback`).
 */
import * as tf from '@tensorflow/tfjs-core';
import { im2colOfInput, im2colSnippet } from './im2col';
import type { WebgpuKernelBackend } from './program';
import { chooseTiling, dispatchFits, GemmProgram, wholeK, type GemmShape } from './tiled-gemm';

function convProgram(c: tf.backend_util.Conv2DInfo, hasBias: boolean, relu: boolean): GemmProgram {
  const m = c.batchSize * c.outHeight * c.outWidth;
  const k = c.filterHeight * c.filterWidth * c.inChannels;
  const tiling = chooseTiling(m, c.outChannels);
  const bias = hasBias ? ' + bias[cc]' : '';
  const value = relu ? `max(v${bias}, 0.0)` : `v${bias}`;
  const functions = `${im2colSnippet(im2colOfInput(c))}
fn loadA(pp : i32, r : i32) -> f32 { return im2col(pp, r); }
fn loadB(r : i32, cc : i32) -> f32 { return W[r * GN + cc]; }
fn storeC(pp : i32, cc : i32, split : i32, v : f32) { result[pp * GN + cc] = ${value}; }
`;
  const shape: GemmShape = { m, n: c.outChannels, k, kChunk: wholeK(k, tiling), aContiguous: 'k', bContiguous: 'n' };
  return new GemmProgram(hasBias ? ['x', 'W', 'bias'] : ['x', 'W'], c.outShape, shape, tiling, 'wsolConv2D', functions);
}

type ConvAttrs = {
  strides: [number, number] | number;
  pad: 'valid' | 'same' | number | tf.backend_util.ExplicitPadding;
  dataFormat: 'NHWC' | 'NCHW';
  dilations: [number, number] | number;
  dimRoundingMode?: 'floor' | 'round' | 'ceil';
  activation?: string;
};

/**
 * Wraps the stock Conv2D or FusedConv2D kernel (`fallback`) with the implicit GEMM, used for
 * convolutions of at least `minMacs` multiply-adds.
 */
export function makeConv2dWebgpu(fallback: tf.KernelFunc, fused: boolean, minMacs = 0): tf.KernelFunc {
  return ((args: { inputs: { x: tf.TensorInfo; filter: tf.TensorInfo; bias?: tf.TensorInfo; preluActivationWeights?: tf.TensorInfo }; backend: WebgpuKernelBackend; attrs: ConvAttrs }) => {
    const { inputs, backend, attrs } = args;
    const activation = fused ? (attrs.activation ?? 'linear') : 'linear';
    const dilated = tf.backend_util.tupleValuesAreOne(attrs.dilations) === false;
    if (attrs.dataFormat === 'NCHW' || dilated || (activation !== 'linear' && activation !== 'relu') || inputs.preluActivationWeights) {
      return fallback(args as never);
    }
    const c = tf.backend_util.computeConv2DInfo(inputs.x.shape as [number, number, number, number], inputs.filter.shape as [number, number, number, number], attrs.strides, attrs.dilations, attrs.pad, attrs.dimRoundingMode, false, 'channelsLast');
    if (c.batchSize * c.outHeight * c.outWidth * c.outChannels * c.filterHeight * c.filterWidth * c.inChannels < minMacs) return fallback(args as never);
    const hasBias = fused && inputs.bias !== undefined;
    if (hasBias && inputs.bias!.shape.length !== 1) return fallback(args as never);
    const list = hasBias ? [inputs.x, inputs.filter, inputs.bias!] : [inputs.x, inputs.filter];
    const program = convProgram(c, hasBias, activation === 'relu');
    if (!dispatchFits(program.dispatch)) return fallback(args as never);
    return backend.runWebGPUProgram(program, list, 'float32');
  }) as unknown as tf.KernelFunc;
}
