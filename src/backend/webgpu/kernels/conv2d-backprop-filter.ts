/**
 * Conv2DBackpropFilter for tfjs-backend-webgpu as an implicit GEMM with split-K.
 *
 * The stock kernel gives each of the KH*KW*CI*CO filter weights one thread that loops over the
 * whole batch and image (B*OH*OW products): a 3x3x3x64 first layer has 1728 threads, each doing
 * 1.6 million serial steps at VGG16-224 batch 32. Here the weight gradient is the product
 *
 *   dW[r, c] = sum_p A[r, p] * dy[p, c],   r = (kh, kw, ci), c = co, p = (b, oy, ox)
 *
 * with A[r, p] = x[b, oy*sh + kh - pt, ox*sw + kw - pl, ci] (zero outside the image), never
 * materialised. A workgroup of 16x16 threads computes a 64x64 tile of dW, each thread 4x4, and
 * walks its share of p in steps of 16, staging A and dy tiles in workgroup memory. The p axis is
 * split over `splits` workgroups (grid z) so that the GPU has enough workgroups even when dW is
 * small; a second pass sums the partial products. Shapes are compile-time constants (one pipeline
 * per layer shape), channels-last only (the project's layout); dilation 1.
 */
import * as tf from '@tensorflow/tfjs-core';
import type { WebgpuKernelBackend, WebgpuProgram } from './program';

const TILE = 64;
const TK = 16;
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
}

/** How the product is tiled and split (exported for tests). */
export function planBackpropFilter(convInfo: tf.backend_util.Conv2DInfo): BackpropFilterPlan {
  const m = convInfo.filterHeight * convInfo.filterWidth * convInfo.inChannels;
  const n = convInfo.outChannels;
  const p = convInfo.batchSize * convInfo.outHeight * convInfo.outWidth;
  const tiles = Math.ceil(m / TILE) * Math.ceil(n / TILE);
  let splits = Math.max(1, Math.min(Math.ceil(TARGET_WORKGROUPS / tiles), Math.floor(p / MIN_CHUNK)));
  const chunk = Math.ceil(p / splits / TK) * TK;
  splits = Math.ceil(p / chunk);
  return { m, n, p, splits, chunk };
}

class GemmProgram implements WebgpuProgram {
  variableNames = ['x', 'dy'];
  outputShape: number[];
  shaderKey: string;
  dispatchLayout = { x: [2], y: [1], z: [0] };
  dispatch: [number, number, number];
  workgroupSize: [number, number, number] = [16, 16, 1];

  constructor(
    private readonly c: tf.backend_util.Conv2DInfo,
    private readonly plan: BackpropFilterPlan,
  ) {
    this.outputShape = plan.splits > 1 ? [plan.splits, plan.m, plan.n] : c.filterShape;
    this.dispatch = [Math.ceil(plan.n / TILE), Math.ceil(plan.m / TILE), plan.splits];
    this.shaderKey = `wsolConv2DBackpropFilterGemm_${this.constants().join('_')}`;
  }

  private constants(): number[] {
    const c = this.c;
    return [c.inHeight, c.inWidth, c.inChannels, c.outHeight, c.outWidth, c.outChannels, c.filterHeight, c.filterWidth,
      c.strideHeight, c.strideWidth, c.padInfo.top, c.padInfo.left, this.plan.p, this.plan.chunk];
  }

  getUserCode(): string {
    const c = this.c;
    const { m, n, p, chunk } = this.plan;
    return `
const H = ${c.inHeight}; const W = ${c.inWidth}; const CI = ${c.inChannels};
const OH = ${c.outHeight}; const OW = ${c.outWidth};
const KW = ${c.filterWidth};
const SH = ${c.strideHeight}; const SW = ${c.strideWidth}; const PT = ${c.padInfo.top}; const PL = ${c.padInfo.left};
const M = ${m}; const N = ${n}; const P = ${p}; const CHUNK = ${chunk};
var<workgroup> As : array<array<f32, ${TILE}>, ${TK}>;
var<workgroup> Bs : array<array<f32, ${TILE}>, ${TK}>;

fn loadA(pp : i32, r : i32, pEnd : i32) -> f32 {
  if (pp >= pEnd || r >= M) { return 0.0; }
  let ci = r % CI;
  let t = r / CI;
  let kw = t % KW;
  let kh = t / KW;
  let ox = pp % OW;
  let t2 = pp / OW;
  let oy = t2 % OH;
  let b = t2 / OH;
  let iy = oy * SH + kh - PT;
  let ix = ox * SW + kw - PL;
  if (iy < 0 || iy >= H || ix < 0 || ix >= W) { return 0.0; }
  return x[((b * H + iy) * W + ix) * CI + ci];
}

fn main() {
  _ = uniforms.NAN; // keeps the uniform binding that the backend always binds
  let tx = i32(localId.x);
  let ty = i32(localId.y);
  let lid = ty * 16 + tx;
  let n0 = i32(workgroupId.x) * ${TILE};
  let m0 = i32(workgroupId.y) * ${TILE};
  let split = i32(workgroupId.z);
  let pStart = split * CHUNK;
  let pEnd = min(pStart + CHUNK, P);
  var acc : array<vec4<f32>, 4>;
  for (var it = 0; it < CHUNK / ${TK}; it++) {
    let p0 = pStart + it * ${TK};
    for (var i = 0; i < 4; i++) {
      let e = lid + i * 256;
      let k = e / ${TILE};
      let j = e % ${TILE};
      As[k][j] = loadA(p0 + k, m0 + j, pEnd);
      var bv = 0.0;
      if (p0 + k < pEnd && n0 + j < N) { bv = dy[(p0 + k) * N + n0 + j]; }
      Bs[k][j] = bv;
    }
    workgroupBarrier();
    for (var k = 0; k < ${TK}; k++) {
      let b = vec4<f32>(Bs[k][tx * 4], Bs[k][tx * 4 + 1], Bs[k][tx * 4 + 2], Bs[k][tx * 4 + 3]);
      acc[0] = fma(vec4<f32>(As[k][ty * 4]), b, acc[0]);
      acc[1] = fma(vec4<f32>(As[k][ty * 4 + 1]), b, acc[1]);
      acc[2] = fma(vec4<f32>(As[k][ty * 4 + 2]), b, acc[2]);
      acc[3] = fma(vec4<f32>(As[k][ty * 4 + 3]), b, acc[3]);
    }
    workgroupBarrier();
  }
  for (var i = 0; i < 4; i++) {
    let r = m0 + ty * 4 + i;
    if (r < M) {
      for (var j = 0; j < 4; j++) {
        let cc = n0 + tx * 4 + j;
        if (cc < N) { result[(split * M + r) * N + cc] = acc[i][j]; }
      }
    }
  }
}
`;
  }
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
  const gemm = backend.runWebGPUProgram(new GemmProgram(convInfo, plan), [x, dy], 'float32');
  if (plan.splits === 1) return gemm;
  const out = backend.runWebGPUProgram(new SumSplitsProgram(convInfo.filterShape, plan.splits), [gemm], 'float32');
  backend.disposeData(gemm.dataId);
  return out;
}
