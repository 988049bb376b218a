/**
 * Conv2DBackpropFilter for tfjs-backend-webgpu as an implicit GEMM with split-K (tiled-gemm.ts).
 *
 * The stock kernel gives each of the KH*KW*CI*CO filter weights one thread that loops over the
 * whole batch and image (B*OH*OW products): a 3x3x3x64 first layer has 1728 threads, each doing
 * 1.6 million serial steps at VGG16-224 batch 32. Here the weight gradient is the product
 *
 *   dW[r, c] = sum_p A[r, p] * dy[p, c],   r = (kh, kw, ci), c = co, p = (b, oy, ox)
 *
 * with A[r, p] = x[b, oy*sh + kh - pt, ox*sw + kw - pl, ci] (zero outside the image). The p axis
 * is long and dW small, so p is split over grid z until the GPU has enough workgroups; a second
 * pass sums the partial products. Channels-last only (the project's layout); dilation 1.
 */
import * as tf from '@tensorflow/tfjs-core';
import { im2colOfInput, im2colSnippet } from './im2col';
import type { WebgpuKernelBackend, WebgpuProgram } from './program';
import { chooseTiling, GemmProgram, type GemmShape, type GemmTiling } from './tiled-gemm';

/** Workgroups to aim for across (tiles x splits): a few per multiprocessor on a large GPU. */
const TARGET_WORKGROUPS = 1024;
/** Smallest share of p a split gets (keeps partial sums and the second pass small). */
const MIN_CHUNK = 256;

export interface BackpropFilterPlan {
  m: number;
  n: number;
  p: number;
  splits: number;
  chunk: number;
  tiling: GemmTiling;
}

/** How the product is tiled and split (exported for tests). */
export function planBackpropFilter(convInfo: tf.backend_util.Conv2DInfo): BackpropFilterPlan {
  const m = convInfo.filterHeight * convInfo.filterWidth * convInfo.inChannels;
  const n = convInfo.outChannels;
  const p = convInfo.batchSize * convInfo.outHeight * convInfo.outWidth;
  const tiling = chooseTiling(m, n);
  const tiles = Math.ceil(m / tiling.bm) * Math.ceil(n / tiling.bn);
  let splits = Math.max(1, Math.min(Math.ceil(TARGET_WORKGROUPS / tiles), Math.floor(p / MIN_CHUNK)));
  const chunk = Math.ceil(p / splits / tiling.bk) * tiling.bk;
  splits = Math.ceil(p / chunk);
  return { m, n, p, splits, chunk, tiling };
}

function filterGradientProgram(c: tf.backend_util.Conv2DInfo, plan: BackpropFilterPlan): GemmProgram {
  const functions = `${im2colSnippet(im2colOfInput(c))}
fn loadA(r : i32, pp : i32) -> f32 { return im2col(pp, r); }
fn loadB(pp : i32, cc : i32) -> f32 { return dy[pp * GN + cc]; }
fn storeC(r : i32, cc : i32, split : i32, v : f32) { result[(split * GM + r) * GN + cc] = v; }
`;
  const shape: GemmShape = { m: plan.m, n: plan.n, k: plan.p, kChunk: plan.chunk, aContiguous: 'm', bContiguous: 'n' };
  const outputShape = plan.splits > 1 ? [plan.splits, plan.m, plan.n] : c.filterShape;
  return new GemmProgram(['x', 'dy'], outputShape, shape, plan.tiling, 'wsolConv2DBackpropFilter', functions);
}

/** Sums partials[s, i] over s into out[i]. */
class SumSplitsProgram implements WebgpuProgram {
  variableNames = ['partials'];
  outputShape: number[];
  shaderKey: string;
  dispatchLayout: { x: number[] };
  dispatch: [number, number, number];
  workgroupSize: [number, number, number] = [64, 1, 1];
  size = true;

  constructor(
    filterShape: number[],
    private readonly splits: number,
  ) {
    this.outputShape = filterShape;
    this.dispatchLayout = { x: filterShape.map((_, i) => i) };
    const total = filterShape.reduce((a, b) => a * b, 1);
    this.dispatch = [Math.ceil(total / 64), 1, 1];
    this.shaderKey = `wsolSumSplits_${splits}`;
  }

  getUserCode(): string {
    return `
fn main(index : i32) {
  if (index < uniforms.size) {
    var s = 0.0;
    for (var k = 0; k < ${this.splits}; k++) { s += partials[k * uniforms.size + index]; }
    result[index] = s;
  }
}
`;
  }
}

export function conv2dBackpropFilterWebgpu(args: {
  inputs: { x: tf.TensorInfo; dy: tf.TensorInfo };
  backend: WebgpuKernelBackend;
  attrs: { strides: [number, number] | number; pad: 'valid' | 'same' | number | tf.backend_util.ExplicitPadding; dataFormat: 'NHWC' | 'NCHW'; dimRoundingMode?: 'floor' | 'round' | 'ceil'; filterShape: [number, number, number, number] };
}): tf.TensorInfo {
  const { inputs, backend, attrs } = args;
  const { x, dy } = inputs;
  if (attrs.dataFormat === 'NCHW') throw new Error('webgpu Conv2DBackpropFilter: NCHW is not supported (the project uses NHWC)');
  const convInfo = tf.backend_util.computeConv2DInfo(x.shape as [number, number, number, number], attrs.filterShape, attrs.strides, 1, attrs.pad, attrs.dimRoundingMode, false, 'channelsLast');
  const plan = planBackpropFilter(convInfo);
  const gemm = backend.runWebGPUProgram(filterGradientProgram(convInfo, plan), [x, dy], 'float32');
  if (plan.splits === 1) return gemm;
  const out = backend.runWebGPUProgram(new SumSplitsProgram(convInfo.filterShape, plan.splits), [gemm], 'float32');
  backend.disposeData(gemm.dataId);
  return out;
}
