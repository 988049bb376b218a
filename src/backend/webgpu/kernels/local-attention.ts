/**
 * WsolLocalAttention and WsolLocalAttentionGrad (contracts and references in
 * src/backend/fused-ops.ts) on webgpu: one dispatch forward, two backward, instead of the
 * reference's gathers, softmax and segment sums (about 15 programs forward and 30 backward).
 *
 * One thread per cell p = (b, y, x): forward, it scores its K = (2r+1)^2 neighbours, takes the
 * softmax over those inside the map and sums their values. Backward pass 1, per cell: dS[p, o] (the
 * softmax gradient) and dq[p]; pass 2, per cell u: dk[u] and dv[u] gathered from the cells p whose
 * window holds u (p = u - offset(o)), so no two threads write one cell and no atomics are needed.
 * Neighbours outside the map have weight 0 and get no gradient, as in the reference.
 */
import * as tf from '@tensorflow/tfjs-core';
import type { WebgpuKernelBackend } from './program';
import { multiOutputBindings, packUniforms, runMultiOutput } from './multi-output';

const WORKGROUP = 64;
const UNIFORMS = 'cells : i32, height : i32, width : i32, depth : i32, channels : i32, scale : f32';

/** WGSL shared by the three shaders: the cell of thread `i` and the neighbour o of a cell. */
function common(radius: number): string {
  const side = 2 * radius + 1;
  return `
const R = ${radius}; const SIDE = ${side}; const K = ${side * side};
struct Cell { b : i32, y : i32, x : i32 };
fn cellOf(i : i32) -> Cell {
  let hw = uniforms.height * uniforms.width;
  let rest = i % hw;
  return Cell(i / hw, rest / uniforms.width, rest % uniforms.width);
}
// The flat index of neighbour o of cell c (offset dy, dx = o / SIDE - R, o % SIDE - R) times
// sign, or -1 when it lies outside the map.
fn neighbour(c : Cell, o : i32, sign : i32) -> i32 {
  let ny = c.y + sign * (o / SIDE - R);
  let nx = c.x + sign * (o % SIDE - R);
  if (ny < 0 || ny >= uniforms.height || nx < 0 || nx >= uniforms.width) { return -1; }
  return (c.b * uniforms.height + ny) * uniforms.width + nx;
}`;
}

function forwardSource(radius: number): string {
  return `${multiOutputBindings(UNIFORMS, ['q', 'k', 'v'], ['context', 'weights'])}
${common(radius)}
@compute @workgroup_size(${WORKGROUP})
fn main(@builtin(global_invocation_id) gid : vec3<u32>) {
  let p = i32(gid.x);
  if (p >= uniforms.cells) { return; }
  let c = cellOf(p);
  let D = uniforms.depth;
  let C = uniforms.channels;
  var logits : array<f32, K>;
  var peak = -3.0e38;
  for (var o = 0; o < K; o++) {
    let u = neighbour(c, o, 1);
    if (u >= 0) {
      var s = 0.0;
      for (var j = 0; j < D; j++) { s += q[p * D + j] * k[u * D + j]; }
      logits[o] = s * uniforms.scale;
      peak = max(peak, logits[o]);
    }
  }
  var total = 0.0;
  for (var o = 0; o < K; o++) {
    var e = 0.0;
    if (neighbour(c, o, 1) >= 0) { e = exp(logits[o] - peak); }
    logits[o] = e;
    total += e;
  }
  for (var o = 0; o < K; o++) {
    logits[o] = logits[o] / total;
    weights[p * K + o] = logits[o];
  }
  for (var ch = 0; ch < C; ch++) {
    var acc = 0.0;
    for (var o = 0; o < K; o++) {
      let u = neighbour(c, o, 1);
      if (u >= 0) { acc += logits[o] * v[u * C + ch]; }
    }
    context[p * C + ch] = acc;
  }
}
`;
}

function gradScoresSource(radius: number): string {
  return `${multiOutputBindings(UNIFORMS, ['dContext', 'dWeights', 'k', 'v', 'weights'], ['dq', 'dS'])}
${common(radius)}
@compute @workgroup_size(${WORKGROUP})
fn main(@builtin(global_invocation_id) gid : vec3<u32>) {
  let p = i32(gid.x);
  if (p >= uniforms.cells) { return; }
  let c = cellOf(p);
  let D = uniforms.depth;
  let C = uniforms.channels;
  var dA : array<f32, K>;
  var weighted = 0.0;
  for (var o = 0; o < K; o++) {
    let u = neighbour(c, o, 1);
    var a = 0.0;
    if (u >= 0) {
      for (var ch = 0; ch < C; ch++) { a += dContext[p * C + ch] * v[u * C + ch]; }
      a += dWeights[p * K + o];
    }
    dA[o] = a;
    weighted += weights[p * K + o] * a;
  }
  for (var o = 0; o < K; o++) {
    var s = 0.0;
    if (neighbour(c, o, 1) >= 0) { s = weights[p * K + o] * (dA[o] - weighted); }
    dA[o] = s;
    dS[p * K + o] = s;
  }
  for (var j = 0; j < D; j++) {
    var acc = 0.0;
    for (var o = 0; o < K; o++) {
      let u = neighbour(c, o, 1);
      if (u >= 0) { acc += dA[o] * k[u * D + j]; }
    }
    dq[p * D + j] = acc * uniforms.scale;
  }
}
`;
}

function gradKeysValuesSource(radius: number): string {
  return `${multiOutputBindings(UNIFORMS, ['dS', 'q', 'weights', 'dContext'], ['dk', 'dv'])}
${common(radius)}
@compute @workgroup_size(${WORKGROUP})
fn main(@builtin(global_invocation_id) gid : vec3<u32>) {
  let u = i32(gid.x);
  if (u >= uniforms.cells) { return; }
  let c = cellOf(u);
  let D = uniforms.depth;
  let C = uniforms.channels;
  for (var j = 0; j < D; j++) {
    var acc = 0.0;
    for (var o = 0; o < K; o++) {
      let p = neighbour(c, o, -1); // the cell whose neighbour o is u
      if (p >= 0) { acc += dS[p * K + o] * q[p * D + j]; }
    }
    dk[u * D + j] = acc * uniforms.scale;
  }
  for (var ch = 0; ch < C; ch++) {
    var acc = 0.0;
    for (var o = 0; o < K; o++) {
      let p = neighbour(c, o, -1);
      if (p >= 0) { acc += weights[p * K + o] * dContext[p * C + ch]; }
    }
    dv[u * C + ch] = acc;
  }
}
`;
}

interface Attrs {
  radius: number;
  scale: number;
}

function setup(kernel: string, q: tf.TensorInfo, v: tf.TensorInfo, attrs: Attrs) {
  const [n, h, w, d] = q.shape;
  const c = v.shape[3];
  if (q.shape.length !== 4 || v.shape.length !== 4) throw new Error(`${kernel}: q [${q.shape}] and v [${v.shape}] must be [n, h, w, channels]`);
  if (!(Number.isInteger(attrs.radius) && attrs.radius >= 1)) throw new Error(`${kernel}: radius must be an integer >= 1, got ${attrs.radius}`);
  const cells = n * h * w;
  const uniforms = packUniforms([{ i32: cells }, { i32: h }, { i32: w }, { i32: d }, { i32: c }, { f32: attrs.scale }]);
  const dispatch: [number, number, number] = [Math.ceil(cells / WORKGROUP), 1, 1];
  const K = (2 * attrs.radius + 1) ** 2;
  return { n, h, w, K, uniforms, dispatch };
}

export function localAttentionWebgpu(args: { inputs: { q: tf.TensorInfo; k: tf.TensorInfo; v: tf.TensorInfo }; backend: WebgpuKernelBackend; attrs: Attrs }): tf.TensorInfo[] {
  const { inputs: i, backend, attrs } = args;
  const s = setup('WsolLocalAttention', i.q, i.v, attrs);
  return runMultiOutput(
    backend,
    { key: `wsolLocalAttention_${attrs.radius}`, source: forwardSource(attrs.radius), uniforms: s.uniforms, dispatch: s.dispatch },
    [i.q, i.k, i.v],
    [i.v.shape, [s.n, s.h, s.w, s.K]],
  );
}

export function localAttentionGradWebgpu(args: {
  inputs: { dContext: tf.TensorInfo; dWeights: tf.TensorInfo; q: tf.TensorInfo; k: tf.TensorInfo; v: tf.TensorInfo; weights: tf.TensorInfo };
  backend: WebgpuKernelBackend;
  attrs: Attrs;
}): tf.TensorInfo[] {
  const { inputs: i, backend, attrs } = args;
  const s = setup('WsolLocalAttentionGrad', i.q, i.v, attrs);
  const [dq, dS] = runMultiOutput(
    backend,
    { key: `wsolLocalAttentionGradScores_${attrs.radius}`, source: gradScoresSource(attrs.radius), uniforms: s.uniforms, dispatch: s.dispatch },
    [i.dContext, i.dWeights, i.k, i.v, i.weights],
    [i.q.shape, [s.n, s.h, s.w, s.K]],
  );
  try {
    const [dk, dv] = runMultiOutput(
      backend,
      { key: `wsolLocalAttentionGradKeysValues_${attrs.radius}`, source: gradKeysValuesSource(attrs.radius), uniforms: s.uniforms, dispatch: s.dispatch },
      [dS, i.q, i.weights, i.dContext],
      [i.k.shape, i.v.shape],
    );
    return [dq, dk, dv];
  } finally {
    backend.disposeData(dS.dataId);
  }
}
