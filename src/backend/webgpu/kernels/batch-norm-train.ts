/**
 * WsolBatchNormTrain and WsolBatchNormTrainGrad (contracts and references in
 * src/backend/fused-ops.ts) on webgpu, two dispatches each instead of tf.moments + batchNorm and
 * their ~20-program gradient (every reduction over the leading axes of an NHWC tensor is a
 * transpose and a reduce in tfjs-webgpu).
 *
 * x is viewed as R rows of C channels (R = batch x height x width). The rows are cut into chunks;
 * a workgroup owns TILE channels of one chunk (TILE columns x LANES row lanes, so neighbouring
 * threads read neighbouring channels):
 * - forward pass 1: each chunk's mean and sum of squared deviations per channel;
 *   pass 2: each workgroup merges the chunks' statistics (Chan et al.'s pairwise formula, exact in
 *   exact arithmetic and stable in float32), normalises its rows, and chunk 0 writes mean and
 *   variance (biased, as tf.moments).
 * - backward pass 1: each chunk's sums of dy and dy * xhat per channel;
 *   pass 2: the merged sums give dBeta and dGamma (chunk 0 writes them) and every row's dx.
 */
import * as tf from '@tensorflow/tfjs-core';
import type { WebgpuKernelBackend } from './program';
import { multiOutputBindings, packUniforms, runMultiOutput } from './multi-output';

const TILE = 16;
const LANES = 16;
/** Chunks at most (pass 2 merges them per workgroup), and rows per chunk at least. */
const MAX_CHUNKS = 64;
const MIN_CHUNK_ROWS = 256;

export interface BatchNormPlan {
  rows: number;
  channels: number;
  chunkRows: number;
  chunks: number;
}

/** How the rows are chunked (exported for tests). */
export function planBatchNorm(shape: number[]): BatchNormPlan {
  const channels = shape[shape.length - 1];
  const rows = tf.util.sizeFromShape(shape) / channels;
  const chunkRows = Math.max(MIN_CHUNK_ROWS, Math.ceil(rows / MAX_CHUNKS));
  return { rows, channels, chunkRows, chunks: Math.max(1, Math.ceil(rows / chunkRows)) };
}

const UNIFORMS = 'rows : i32, channels : i32, chunkRows : i32, chunks : i32, epsilon : f32';

/** Shared WGSL: thread coordinates, the chunk's rows, and a sum over the LANES row lanes. */
const COMMON = `
var<workgroup> red : array<f32, ${TILE * LANES}>;
fn chunkCount(k : i32) -> i32 { return min(uniforms.chunkRows, uniforms.rows - k * uniforms.chunkRows); }
// Sums v over the row lanes of column lx; every thread gets the total. Called in uniform control flow.
fn laneSum(v : f32, lx : i32, ly : i32) -> f32 {
  red[ly * ${TILE} + lx] = v;
  workgroupBarrier();
  for (var step = ${LANES / 2}; step > 0; step = step / 2) {
    if (ly < step) { red[ly * ${TILE} + lx] = red[ly * ${TILE} + lx] + red[(ly + step) * ${TILE} + lx]; }
    workgroupBarrier();
  }
  let total = red[lx];
  workgroupBarrier();
  return total;
}`;

const ENTRY = `@compute @workgroup_size(${TILE}, ${LANES}, 1)
fn main(@builtin(local_invocation_id) lid : vec3<u32>, @builtin(workgroup_id) wid : vec3<u32>) {
  let lx = i32(lid.x);
  let ly = i32(lid.y);
  let c = i32(wid.x) * ${TILE} + lx;
  let k = i32(wid.y);
  let r0 = k * uniforms.chunkRows;
  let r1 = r0 + chunkCount(k);
  let C = uniforms.channels;
  let live = c < C;`;

// Forward pass 1 writes one tensor `part` [2, chunks, C]: the chunks' means, then their M2.
const STATS_SOURCE = `${multiOutputBindings(UNIFORMS, ['x'], ['part'])}
${COMMON}
${ENTRY}
  var s = 0.0;
  for (var r = r0 + ly; r < r1; r += ${LANES}) { if (live) { s += x[r * C + c]; } }
  let meanK = laneSum(s, lx, ly) / f32(r1 - r0);
  var q = 0.0;
  for (var r = r0 + ly; r < r1; r += ${LANES}) { if (live) { let d = x[r * C + c] - meanK; q += d * d; } }
  let m2 = laneSum(q, lx, ly);
  if (ly == 0 && live) { part[k * C + c] = meanK; part[(uniforms.chunks + k) * C + c] = m2; }
}
`;

const NORMALIZE_SOURCE = `${multiOutputBindings(UNIFORMS, ['x', 'gamma', 'beta', 'part'], ['y', 'meanOut', 'varianceOut'])}
${COMMON}
var<workgroup> stats : array<vec2<f32>, ${TILE}>;
${ENTRY}
  if (ly == 0 && live) {
    let total = f32(uniforms.rows);
    var sum = 0.0;
    for (var j = 0; j < uniforms.chunks; j++) { sum += f32(chunkCount(j)) * part[j * C + c]; }
    let mean = sum / total;
    var m2 = 0.0;
    for (var j = 0; j < uniforms.chunks; j++) { let d = part[j * C + c] - mean; m2 += part[(uniforms.chunks + j) * C + c] + f32(chunkCount(j)) * d * d; }
    let variance = m2 / total;
    stats[lx] = vec2<f32>(mean, variance);
    if (k == 0) { meanOut[c] = mean; varianceOut[c] = variance; }
  }
  workgroupBarrier();
  if (live) {
    let st = stats[lx];
    let scale = inverseSqrt(st.y + uniforms.epsilon) * gamma[c];
    let offset = beta[c];
    for (var r = r0 + ly; r < r1; r += ${LANES}) { y[r * C + c] = (x[r * C + c] - st.x) * scale + offset; }
  }
}
`;

// Backward pass 1 writes one tensor `part` [5 + 2 * chunks, C]: copies of gamma, mean, variance,
// dMean and dVariance (so pass 2 binds 6 buffers, within WebGPU's default 8 per stage), then the
// chunks' sums of dy, then of dy * xhat.
const GRAD_SUMS_SOURCE = `${multiOutputBindings(UNIFORMS, ['dy', 'x', 'gamma', 'mean', 'variance', 'dMean', 'dVariance'], ['part'])}
${COMMON}
${ENTRY}
  var sd = 0.0;
  var sdx = 0.0;
  if (live) {
    let mu = mean[c];
    let inv = inverseSqrt(variance[c] + uniforms.epsilon);
    for (var r = r0 + ly; r < r1; r += ${LANES}) {
      let g = dy[r * C + c];
      sd += g;
      sdx += g * ((x[r * C + c] - mu) * inv);
    }
  }
  let totalDy = laneSum(sd, lx, ly);
  let totalDyXhat = laneSum(sdx, lx, ly);
  if (ly == 0 && live) {
    part[(5 + k) * C + c] = totalDy;
    part[(5 + uniforms.chunks + k) * C + c] = totalDyXhat;
    if (k == 0) { part[c] = gamma[c]; part[C + c] = mean[c]; part[2 * C + c] = variance[c]; part[3 * C + c] = dMean[c]; part[4 * C + c] = dVariance[c]; }
  }
}
`;

const GRAD_SOURCE = `${multiOutputBindings(UNIFORMS, ['dy', 'x', 'part'], ['dx', 'dGamma', 'dBeta'])}
${COMMON}
var<workgroup> sums : array<vec2<f32>, ${TILE}>;
${ENTRY}
  if (ly == 0 && live) {
    var sd = 0.0;
    var sdx = 0.0;
    for (var j = 0; j < uniforms.chunks; j++) { sd += part[(5 + j) * C + c]; sdx += part[(5 + uniforms.chunks + j) * C + c]; }
    sums[lx] = vec2<f32>(sd, sdx);
    if (k == 0) { dBeta[c] = sd; dGamma[c] = sdx; }
  }
  workgroupBarrier();
  if (live) {
    let total = f32(uniforms.rows);
    let mu = part[C + c];
    let inv = inverseSqrt(part[2 * C + c] + uniforms.epsilon);
    let dBetaM = sums[lx].x / total;
    let dGammaM = sums[lx].y / total;
    let outer = part[c] * inv;
    let fromMean = part[3 * C + c] / total;
    let fromVariance = part[4 * C + c] * (2.0 / total);
    for (var r = r0 + ly; r < r1; r += ${LANES}) {
      let centred = x[r * C + c] - mu;
      let xhat = centred * inv;
      dx[r * C + c] = (dy[r * C + c] - dBetaM - xhat * dGammaM) * outer + (fromMean + centred * fromVariance);
    }
  }
}
`;

function uniformsOf(p: BatchNormPlan, epsilon: number): ArrayBuffer {
  return packUniforms([{ i32: p.rows }, { i32: p.channels }, { i32: p.chunkRows }, { i32: p.chunks }, { f32: epsilon }]);
}

function dispatchOf(p: BatchNormPlan): [number, number, number] {
  return [Math.ceil(p.channels / TILE), p.chunks, 1];
}

function checkChannels(kernel: string, x: tf.TensorInfo, perChannel: Record<string, tf.TensorInfo>): void {
  const channels = x.shape[x.shape.length - 1];
  for (const [name, t] of Object.entries(perChannel)) {
    if (tf.util.sizeFromShape(t.shape) !== channels) throw new Error(`${kernel}: ${name} has shape [${t.shape}], expected [${channels}] (the channels of x [${x.shape}])`);
  }
}

export function batchNormTrainWebgpu(args: { inputs: { x: tf.TensorInfo; gamma: tf.TensorInfo; beta: tf.TensorInfo }; backend: WebgpuKernelBackend; attrs: { epsilon: number } }): tf.TensorInfo[] {
  const { inputs, backend, attrs } = args;
  const { x, gamma, beta } = inputs;
  checkChannels('WsolBatchNormTrain', x, { gamma, beta });
  const p = planBatchNorm(x.shape);
  const uniforms = uniformsOf(p, attrs.epsilon);
  const [part] = runMultiOutput(backend, { key: 'wsolBatchNormStats', source: STATS_SOURCE, uniforms, dispatch: dispatchOf(p) }, [x], [[2 * p.chunks, p.channels]]);
  try {
    return runMultiOutput(backend, { key: 'wsolBatchNormNormalize', source: NORMALIZE_SOURCE, uniforms, dispatch: dispatchOf(p) }, [x, gamma, beta, part], [x.shape, [p.channels], [p.channels]]);
  } finally {
    backend.disposeData(part.dataId);
  }
}

export function batchNormTrainGradWebgpu(args: {
  inputs: { dy: tf.TensorInfo; x: tf.TensorInfo; gamma: tf.TensorInfo; mean: tf.TensorInfo; variance: tf.TensorInfo; dMean: tf.TensorInfo; dVariance: tf.TensorInfo };
  backend: WebgpuKernelBackend;
  attrs: { epsilon: number };
}): tf.TensorInfo[] {
  const { inputs: i, backend, attrs } = args;
  if (!tf.util.arraysEqual(i.dy.shape, i.x.shape)) throw new Error(`WsolBatchNormTrainGrad: dy [${i.dy.shape}] and x [${i.x.shape}] must have one shape`);
  checkChannels('WsolBatchNormTrainGrad', i.x, { gamma: i.gamma, mean: i.mean, variance: i.variance, dMean: i.dMean, dVariance: i.dVariance });
  const p = planBatchNorm(i.x.shape);
  const uniforms = uniformsOf(p, attrs.epsilon);
  const [part] = runMultiOutput(
    backend,
    { key: 'wsolBatchNormGradSums', source: GRAD_SUMS_SOURCE, uniforms, dispatch: dispatchOf(p) },
    [i.dy, i.x, i.gamma, i.mean, i.variance, i.dMean, i.dVariance],
    [[5 + 2 * p.chunks, p.channels]],
  );
  try {
    return runMultiOutput(backend, { key: 'wsolBatchNormGrad', source: GRAD_SOURCE, uniforms, dispatch: dispatchOf(p) }, [i.dy, i.x, part], [i.x.shape, [p.channels], [p.channels]]);
  } finally {
    backend.disposeData(part.dataId);
  }
}
