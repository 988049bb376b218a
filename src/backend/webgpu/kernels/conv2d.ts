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
import type { WebgpuKernelBackend, WebgpuProgram } from './program';
import { chooseTiling, dispatchFits, gemmDispatch, gemmKey, gemmSource, workgroupSize, type GemmShape, type GemmTiling } from './tiled-gemm';

class ConvGemmProgram implements WebgpuProgram {
  variableNames: string[];
  outputShape: number[];
  shaderKey: string;
  dispatchLayout = { x: [2], y: [1], z: [0] };
  dispatch: [number, number, number];
  workgroupSize: [number, number, number];
  private readonly shape: GemmShape;
  private readonly tiling: GemmTiling;

  constructor(
    private readonly c: tf.backend_util.Conv2DInfo,
    private readonly hasBias: boolean,
    private readonly relu: boolean,
  ) {
    this.variableNames = hasBias ? ['x', 'W', 'bias'] : ['x', 'W'];
    this.outputShape = c.outShape;
    const m = c.batchSize * c.outHeight * c.outWidth;
    const k = c.filterHeight * c.filterWidth * c.inChannels;
    this.tiling = chooseTiling(m, c.outChannels);
    this.shape = { m, n: c.outChannels, k, kChunk: Math.ceil(k / this.tiling.bk) * this.tiling.bk, aContiguous: 'k', bContiguous: 'n' };
    this.dispatch = gemmDispatch(this.shape, this.tiling);
    this.workgroupSize = workgroupSize(this.tiling);
    const g = [c.inHeight, c.inWidth, c.inChannels, c.outHeight, c.outWidth, c.filterWidth, c.strideHeight, c.strideWidth, c.padInfo.top, c.padInfo.left, +hasBias, +relu];
    this.shaderKey = `wsolConv2D_${g.join('_')}_${gemmKey(this.shape, this.tiling)}`;
  }

  getUserCode(): string {
    const bias = this.hasBias ? ' + bias[cc]' : '';
    const value = this.relu ? `max(v${bias}, 0.0)` : `v${bias}`;
    return gemmSource(
      this.shape,
      this.tiling,
      `${im2colSnippet(im2colOfInput(this.c))}
fn loadA(pp : i32, r : i32) -> f32 { return im2col(pp, r); }
fn loadB(r : i32, cc : i32) -> f32 { return W[r * GN + cc]; }
fn storeC(pp : i32, cc : i32, split : i32, v : f32) { result[pp * GN + cc] = ${value}; }
`,
    );
  }
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
    const program = new ConvGemmProgram(c, hasBias, activation === 'relu');
    if (!dispatchFits(program.dispatch)) return fallback(args as never);
    return backend.runWebGPUProgram(program, list, 'float32');
  }) as unknown as tf.KernelFunc;
}
