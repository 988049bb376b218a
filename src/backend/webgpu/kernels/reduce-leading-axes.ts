/**
 * Sum and Mean over a block of axes that does not include the last one, in one dispatch. tfjs-webgpu
 * reduces only over the innermost axes, so it first transposes the tensor (a second dispatch and a
 * full copy); that is every bias gradient, batch statistic and per-channel mean of an NHWC net.
 *
 * x is viewed as [A, R, C] (R: the reduced axes, C: the axes after them, A: those before); a
 * workgroup owns TILE neighbouring entries of C for one entry of A and sums its R rows over LANES
 * row lanes, then across the lanes in workgroup memory. Long reductions (R > MAX_ROWS: over 1024
 * serial loads per thread) go to the stock kernel, which parallelises over R.
 */
import * as tf from '@tensorflow/tfjs-core';
import type { WebgpuKernelBackend, WebgpuProgram } from './program';

const TILE = 16;
const LANES = 16;
export const MAX_ROWS = 16_384;

export interface MiddleReduction {
  before: number;
  rows: number;
  after: number;
  outShape: number[];
}

/** The [A, R, C] view of a reduction over `axis`, or null when it is not one this kernel takes. */
export function middleReduction(shape: number[], axis: number | number[], keepDims: boolean): MiddleReduction | null {
  const rank = shape.length;
  const axes = [...new Set(tf.util.parseAxisParam(axis, shape))].sort((a, b) => a - b);
  if (rank < 2 || axes.length === 0) return null;
  const first = axes[0];
  const last = axes[axes.length - 1];
  if (last - first + 1 !== axes.length || last === rank - 1) return null; // not one block, or innermost
  const size = (from: number, to: number) => shape.slice(from, to).reduce((a, b) => a * b, 1);
  const outShape = keepDims ? shape.map((d, i) => (i >= first && i <= last ? 1 : d)) : shape.filter((_, i) => i < first || i > last);
  return { before: size(0, first), rows: size(first, last + 1), after: size(last + 1, rank), outShape };
}

class ReduceMiddleProgram implements WebgpuProgram {
  variableNames = ['x'];
  outputShape: number[];
  shaderKey: string;
  // A y entry makes tfjs call main() without a flat index (the shader reads the workgroup ids).
  dispatchLayout = { x: [0], y: [1] };
  dispatch: [number, number, number];
  workgroupSize: [number, number, number] = [TILE, LANES, 1];

  constructor(
    private readonly r: MiddleReduction,
    private readonly mean: boolean,
  ) {
    this.outputShape = r.outShape;
    this.dispatch = [Math.ceil(r.after / TILE), r.before, 1];
    this.shaderKey = `wsolReduceMiddle_${mean ? 'mean' : 'sum'}_${r.before}_${r.rows}_${r.after}`;
  }

  getUserCode(): string {
    const { rows, after } = this.r;
    return `
const R = ${rows}; const C = ${after};
var<workgroup> red : array<f32, ${TILE * LANES}>;
fn main() {
  _ = uniforms.NAN; // keeps the uniform binding that the backend always binds
  let lx = i32(localId.x);
  let ly = i32(localId.y);
  let c = i32(workgroupId.x) * ${TILE} + lx;
  let a = i32(workgroupId.y);
  var s = 0.0;
  if (c < C) {
    for (var r = ly; r < R; r += ${LANES}) { s += x[(a * R + r) * C + c]; }
  }
  red[ly * ${TILE} + lx] = s;
  workgroupBarrier();
  for (var step = ${LANES / 2}; step > 0; step = step / 2) {
    if (ly < step) { red[ly * ${TILE} + lx] = red[ly * ${TILE} + lx] + red[(ly + step) * ${TILE} + lx]; }
    workgroupBarrier();
  }
  if (ly == 0 && c < C) { result[a * C + c] = ${this.mean ? 'red[lx] / f32(R)' : 'red[lx]'}; }
}
`;
  }
}

/** Wraps the stock Sum or Mean kernel (`fallback`) with the one-dispatch reduction where it applies. */
export function makeReduceLeadingAxes(fallback: tf.KernelFunc, mean: boolean): tf.KernelFunc {
  return ((args: { inputs: { x: tf.TensorInfo }; backend: WebgpuKernelBackend; attrs: { axis: number | number[]; keepDims: boolean } }) => {
    const { inputs, backend, attrs } = args;
    const r = inputs.x.dtype === 'float32' ? middleReduction(inputs.x.shape, attrs.axis, attrs.keepDims) : null;
    if (!r || r.rows > MAX_ROWS || r.before > 65535 || r.rows * r.before * r.after === 0) return fallback(args as never);
    return backend.runWebGPUProgram(new ReduceMiddleProgram(r, mean), [inputs.x], 'float32');
  }) as unknown as tf.KernelFunc;
}
