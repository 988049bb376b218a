/**
 * The fused training ops: one interface, one kernel name per op, one plain-tfjs reference each.
 *
 * A training step of the project's nets is dominated by hundreds of small tfjs ops (the Adam update
 * alone is ~15 ops per weight). A fused op does that work in one kernel call. Each engine that has a
 * fused kernel registers it under the name below for its backend:
 *
 *   tf.registerKernel({ kernelName: FUSED_KERNELS.adamW, backendName: 'webgpu', kernelFunc });
 *
 * The functions here run the registered kernel when the current backend has one, and otherwise the
 * reference implementation in plain tfjs ops, so every engine (cpu, wasm, native, webgpu, a browser)
 * computes the same thing. The references are also what the parity tests compare kernels with.
 *
 * Contracts (all tensors float32, channels last; M = number of elements per channel):
 *
 * WsolAdamWUpdate: one Adam(W) step over ALL weights.
 *   inputs   weight<i>, grad<i>, m<i>, s<i> for i = 0..count-1 (each group has one shape; m, s are
 *            the first and second moment slots of weight<i>)
 *   attrs    count, step t (>= 1, after incrementing), rates[i] (the scheduled learning rate times the
 *            weight's multiplier), decays[i] (the weight decay of weight i, 0 for biases and norms),
 *            decoupled (true: AdamW, false: L2 added to the gradient), beta1, beta2, epsilon
 *   outputs  [weight0', m0', s0', weight1', m1', s1', ...] (new tensors; the inputs are not changed)
 *   formula  (float32 arithmetic, each scalar rounded to float32 once, no fused multiply-add, in this
 *            order, which is WsolOptimizer's unfused update):
 *     g  = decoupled || decay == 0 ? grad : grad + weight * decay
 *     w  = decoupled && decay > 0 ? weight * (1 - rate * decay) : weight
 *     m' = m * beta1 + g * (1 - beta1)
 *     s' = s * beta2 + (g * g) * (1 - beta2)
 *     w' = w - ((m' / (1 - beta1^t)) / (sqrt(s' / (1 - beta2^t)) + epsilon)) * rate
 *
 * WsolBatchNormTrain: batch normalisation with the batch's statistics (training forward).
 *   inputs   x [..., C], gamma [C], beta [C];  attrs epsilon
 *   outputs  [y (shape of x), mean [C], variance [C]] (biased variance, as tf.moments)
 *   formula  y = (x - mean) * gamma / sqrt(variance + epsilon) + beta
 *   gradient registered for the kernel name: WsolBatchNormTrainGrad (or its reference).
 *
 * WsolBatchNormTrainGrad: the backward pass of WsolBatchNormTrain.
 *   inputs   dy [..., C], x [..., C], gamma [C], mean [C], variance [C], dMean [C], dVariance [C]
 *            (dMean, dVariance: gradients reaching the mean and variance outputs; zeros when unused)
 *   attrs    epsilon
 *   outputs  [dx (shape of x), dGamma [C], dBeta [C]]
 *   formula  inv = 1 / sqrt(variance + epsilon), xhat = (x - mean) * inv,
 *            dBeta = sum(dy), dGamma = sum(dy * xhat),
 *            dx = gamma * inv * (dy - dBeta / M - xhat * dGamma / M) + dMean / M + dVariance * 2 (x - mean) / M
 *
 * WsolLocalAttention: windowed dot-product attention, each position over its (2r+1)^2 neighbours.
 *   inputs   q [n, h, w, d], k [n, h, w, d], v [n, h, w, c];  attrs radius r (>= 1), scale
 *   outputs  [context [n, h, w, c], weights [n, h, w, K]], K = (2r+1)^2; neighbour o of cell (y, x) is
 *            (y + o div (2r+1) - r, x + o mod (2r+1) - r)
 *   formula  weights[p, o] = softmax over the neighbours inside the map of scale * q[p] . k[p + o]
 *            (0 for neighbours outside the map), context[p] = sum_o weights[p, o] v[p + o].
 *            Equal to softmax(scale * Q K^T + mask) V with the N x N window mask, at N x K work.
 *   gradient WsolLocalAttentionGrad (or its reference).
 *
 * WsolLocalAttentionGrad: the backward pass of WsolLocalAttention.
 *   inputs   dContext [n, h, w, c], dWeights [n, h, w, K] (zeros when unused), q, k, v, weights
 *   attrs    radius, scale;  outputs [dq, dk, dv] (shapes of q, k, v)
 *   formula  dA[p, o] = dContext[p] . v[p + o] + dWeights[p, o],
 *            dS[p, o] = weights[p, o] (dA[p, o] - sum_o' weights[p, o'] dA[p, o']),
 *            dq[p] = scale sum_o dS[p, o] k[p + o],  dk[u] = scale sum_{p + o = u} dS[p, o] q[p],
 *            dv[u] = sum_{p + o = u} weights[p, o] dContext[p].
 *
 * WsolScaleAdd: y = a * scale + b (the residual mix of attention layers: gamma * context + f).
 *   inputs   a, scale (shape [1] or [], broadcast), b (shape of a);  outputs [y]
 *   gradient da = dy * scale, dScale = sum(dy * a), db = dy (plain ops).
 */
import * as tf from '@tensorflow/tfjs-core';

export const FUSED_KERNELS = {
  adamW: 'WsolAdamWUpdate',
  batchNormTrain: 'WsolBatchNormTrain',
  batchNormTrainGrad: 'WsolBatchNormTrainGrad',
  localAttention: 'WsolLocalAttention',
  localAttentionGrad: 'WsolLocalAttentionGrad',
  scaleAdd: 'WsolScaleAdd',
} as const;

export type FusedKernelName = (typeof FUSED_KERNELS)[keyof typeof FUSED_KERNELS];

/** True when the current backend has a registered kernel for this fused op. */
export function hasFusedKernel(name: FusedKernelName): boolean {
  return tf.getKernel(name, tf.getBackend()) !== undefined;
}

// ---------------------------------------------------------------------------------------------
// AdamW

export interface AdamWHyper {
  /** Step number t after incrementing (the first update is t = 1). */
  step: number;
  decoupled: boolean;
  beta1: number;
  beta2: number;
  epsilon: number;
}

export interface AdamWSlot {
  weight: tf.Tensor;
  grad: tf.Tensor;
  m: tf.Tensor;
  s: tf.Tensor;
  /** Scheduled learning rate times the weight's multiplier. */
  rate: number;
  /** Weight decay of this weight (0: none). */
  decay: number;
}

export interface AdamWResult {
  weight: tf.Tensor;
  m: tf.Tensor;
  s: tf.Tensor;
}

/** The attributes of WsolAdamWUpdate for these slots. */
export function adamWAttrs(slots: AdamWSlot[], h: AdamWHyper): tf.NamedAttrMap {
  return {
    count: slots.length,
    step: h.step,
    rates: slots.map((x) => x.rate),
    decays: slots.map((x) => x.decay),
    decoupled: h.decoupled,
    beta1: h.beta1,
    beta2: h.beta2,
    epsilon: h.epsilon,
  };
}

/** The inputs of WsolAdamWUpdate for these slots. */
export function adamWInputs(slots: AdamWSlot[]): tf.NamedTensorMap {
  const inputs: tf.NamedTensorMap = {};
  slots.forEach((x, i) => {
    inputs[`weight${i}`] = x.weight;
    inputs[`grad${i}`] = x.grad;
    inputs[`m${i}`] = x.m;
    inputs[`s${i}`] = x.s;
  });
  return inputs;
}

/** Reference AdamW step of one weight in plain tfjs ops (the formula in the header, op for op). */
export function adamWReferenceOne(x: AdamWSlot, h: AdamWHyper): AdamWResult {
  return tf.tidy(() => {
    const coupled = x.decay > 0 && !h.decoupled;
    const g = coupled ? tf.add(x.grad, tf.mul(x.weight, x.decay)) : x.grad;
    const w = x.decay > 0 && h.decoupled ? tf.mul(x.weight, 1 - x.rate * x.decay) : x.weight;
    const m = tf.add(tf.mul(x.m, h.beta1), tf.mul(g, 1 - h.beta1));
    const s = tf.add(tf.mul(x.s, h.beta2), tf.mul(tf.square(g), 1 - h.beta2));
    const mHat = tf.div(m, 1 - Math.pow(h.beta1, h.step));
    const sHat = tf.div(s, 1 - Math.pow(h.beta2, h.step));
    const weight = tf.sub(w, tf.mul(tf.div(mHat, tf.add(tf.sqrt(sHat), h.epsilon)), x.rate));
    return { weight, m, s };
  });
}

export function adamWReference(slots: AdamWSlot[], h: AdamWHyper): AdamWResult[] {
  return slots.map((x) => adamWReferenceOne(x, h));
}

/**
 * One AdamW step over all the slots: the backend's WsolAdamWUpdate kernel in one call when it has
 * one, else the reference. Returns new tensors; the caller assigns and disposes them.
 */
export function adamWUpdate(slots: AdamWSlot[], h: AdamWHyper): AdamWResult[] {
  if (slots.length === 0) return [];
  if (!hasFusedKernel(FUSED_KERNELS.adamW)) return adamWReference(slots, h);
  const out = tf.engine().runKernel(FUSED_KERNELS.adamW, adamWInputs(slots), adamWAttrs(slots, h)) as tf.Tensor[];
  return slots.map((_, i) => ({ weight: out[3 * i], m: out[3 * i + 1], s: out[3 * i + 2] }));
}

// ---------------------------------------------------------------------------------------------
// Batch normalisation, training mode

export interface BatchNormTrainResult {
  y: tf.Tensor;
  mean: tf.Tensor1D;
  variance: tf.Tensor1D;
}

/** All axes but the last (the channel axis). */
const leadingAxes = (rank: number) => Array.from({ length: rank - 1 }, (_, i) => i);

/** Reference forward: tf.moments then tf.batchNorm (what tfjs-layers' BatchNormalization does). */
export function batchNormTrainReference(x: tf.Tensor, gamma: tf.Tensor1D, beta: tf.Tensor1D, epsilon: number): BatchNormTrainResult {
  return tf.tidy(() => {
    const { mean, variance } = tf.moments(x, leadingAxes(x.rank));
    const y = tf.batchNorm(x, mean, variance, beta, gamma, epsilon);
    return { y, mean: mean as tf.Tensor1D, variance: variance as tf.Tensor1D };
  });
}

export interface BatchNormGradInputs {
  dy: tf.Tensor;
  x: tf.Tensor;
  gamma: tf.Tensor1D;
  mean: tf.Tensor1D;
  variance: tf.Tensor1D;
  dMean: tf.Tensor1D;
  dVariance: tf.Tensor1D;
}

export interface BatchNormGradResult {
  dx: tf.Tensor;
  dGamma: tf.Tensor1D;
  dBeta: tf.Tensor1D;
}

/** Reference backward in plain tfjs ops (the formula in the header). */
export function batchNormTrainGradReference(a: BatchNormGradInputs, epsilon: number): BatchNormGradResult {
  return tf.tidy(() => {
    const axes = leadingAxes(a.x.rank);
    const count = a.x.size / a.x.shape[a.x.rank - 1];
    const centred = tf.sub(a.x, a.mean);
    const inv = tf.rsqrt(tf.add(a.variance, epsilon));
    const xhat = tf.mul(centred, inv);
    const dBeta = tf.sum(a.dy, axes) as tf.Tensor1D;
    const dGamma = tf.sum(tf.mul(a.dy, xhat), axes) as tf.Tensor1D;
    const inner = tf.sub(tf.sub(a.dy, tf.div(dBeta, count)), tf.mul(xhat, tf.div(dGamma, count)));
    const fromStats = tf.add(tf.div(a.dMean, count), tf.mul(centred, tf.mul(a.dVariance, 2 / count)));
    const dx = tf.add(tf.mul(inner, tf.mul(a.gamma, inv)), fromStats);
    return { dx, dGamma, dBeta };
  });
}

/** The backward pass: the backend's WsolBatchNormTrainGrad kernel, else the reference. */
export function batchNormTrainGrad(a: BatchNormGradInputs, epsilon: number): BatchNormGradResult {
  if (!hasFusedKernel(FUSED_KERNELS.batchNormTrainGrad)) return batchNormTrainGradReference(a, epsilon);
  const inputs = { dy: a.dy, x: a.x, gamma: a.gamma, mean: a.mean, variance: a.variance, dMean: a.dMean, dVariance: a.dVariance };
  const [dx, dGamma, dBeta] = tf.engine().runKernel(FUSED_KERNELS.batchNormTrainGrad, inputs, { epsilon }) as tf.Tensor[];
  return { dx, dGamma: dGamma as tf.Tensor1D, dBeta: dBeta as tf.Tensor1D };
}

/** Registers (once) the gradients of the fused ops; a kernel name carries its gradient on every backend. */
function registerFusedGradients(): void {
  if (tf.getGradient(FUSED_KERNELS.batchNormTrain) !== undefined) return;
  tf.registerGradient({
    kernelName: FUSED_KERNELS.batchNormTrain,
    inputsToSave: ['x', 'gamma'],
    outputsToSave: [false, true, true],
    gradFunc: (dys, saved, attrs) => {
      const [dy, dMean, dVariance] = dys as tf.Tensor[];
      const [x, gamma, mean, variance] = saved;
      const epsilon = (attrs as unknown as { epsilon: number }).epsilon;
      const g = batchNormTrainGrad(
        { dy, x, gamma: gamma as tf.Tensor1D, mean: mean as tf.Tensor1D, variance: variance as tf.Tensor1D, dMean: dMean as tf.Tensor1D, dVariance: dVariance as tf.Tensor1D },
        epsilon,
      );
      return { x: () => g.dx, gamma: () => g.dGamma, beta: () => g.dBeta };
    },
  });
  tf.registerGradient({
    kernelName: FUSED_KERNELS.localAttention,
    inputsToSave: ['q', 'k', 'v'],
    outputsToSave: [false, true],
    gradFunc: (dys, saved, attrs) => {
      const [dContext, dWeights] = dys as tf.Tensor4D[];
      const [q, k, v, weights] = saved as tf.Tensor4D[];
      const { radius, scale } = attrs as unknown as { radius: number; scale: number };
      const g = localAttentionGrad({ dContext, dWeights, q, k, v, weights }, radius, scale);
      return { q: () => g.dq, k: () => g.dk, v: () => g.dv };
    },
  });
  tf.registerGradient({
    kernelName: FUSED_KERNELS.scaleAdd,
    inputsToSave: ['a', 'scale'],
    gradFunc: (dy, saved) => {
      const [a, scale] = saved;
      const d = dy as tf.Tensor;
      return {
        a: () => tf.mul(d, scale),
        scale: () => tf.reshape(tf.sum(tf.mul(d, a)), scale.shape),
        b: () => tf.clone(d),
      };
    },
  });
}
registerFusedGradients();

/**
 * Batch norm with the batch's statistics: one WsolBatchNormTrain kernel (and one gradient kernel)
 * when the backend has them, else the reference ops (differentiated by tfjs).
 */
export function batchNormTrain(x: tf.Tensor, gamma: tf.Tensor1D, beta: tf.Tensor1D, epsilon: number): BatchNormTrainResult {
  if (!hasFusedKernel(FUSED_KERNELS.batchNormTrain)) return batchNormTrainReference(x, gamma, beta, epsilon);
  const [y, mean, variance] = tf.engine().runKernel(FUSED_KERNELS.batchNormTrain, { x, gamma, beta }, { epsilon }) as tf.Tensor[];
  return { y, mean: mean as tf.Tensor1D, variance: variance as tf.Tensor1D };
}

// ---------------------------------------------------------------------------------------------
// Windowed (local) attention

export interface LocalAttentionResult {
  context: tf.Tensor4D;
  weights: tf.Tensor4D;
}

/** Number of neighbours of a cell at radius r. */
export const windowCells = (radius: number) => (2 * radius + 1) ** 2;

/**
 * For an h x w map: the flat index of each cell's neighbour o (the cell itself where the neighbour
 * lies outside the map) and an additive mask [N, K] that is 0 inside the map and -1e9 outside.
 */
function neighbourTable(h: number, w: number, radius: number): { index: tf.Tensor1D; mask: tf.Tensor2D } {
  const side = 2 * radius + 1;
  const cells = side * side;
  const index = new Int32Array(h * w * cells);
  const mask = new Float32Array(h * w * cells);
  for (let y = 0; y < h; y++) {
    for (let x = 0; x < w; x++) {
      const p = y * w + x;
      for (let o = 0; o < cells; o++) {
        const ny = y + Math.floor(o / side) - radius;
        const nx = x + (o % side) - radius;
        const inside = ny >= 0 && ny < h && nx >= 0 && nx < w;
        index[p * cells + o] = inside ? ny * w + nx : p;
        mask[p * cells + o] = inside ? 0 : -1e9;
      }
    }
  }
  return { index: tf.tensor1d(index, 'int32'), mask: tf.tensor2d(mask, [h * w, cells]) };
}

function checkLocalAttention(q: tf.Tensor4D, k: tf.Tensor4D, v: tf.Tensor4D, radius: number): void {
  if (!(Number.isInteger(radius) && radius >= 1)) throw new Error(`localAttention: radius must be an integer >= 1, got ${radius}`);
  if (!tf.util.arraysEqual(q.shape, k.shape)) throw new Error(`localAttention: q [${q.shape}] and k [${k.shape}] must have one shape`);
  if (!tf.util.arraysEqual(q.shape.slice(0, 3), v.shape.slice(0, 3))) throw new Error(`localAttention: v [${v.shape}] must have the n, h, w of q [${q.shape}]`);
}

/** Each cell's neighbours of `t` [n, h, w, e] as [n, N, K, e] (gather: N x K x e, not N x N). */
function gatherNeighbours(t: tf.Tensor4D, index: tf.Tensor1D, cells: number): tf.Tensor4D {
  const [n, h, w, e] = t.shape;
  return tf.reshape(tf.gather(tf.reshape(t, [n, h * w, e]), index, 1), [n, h * w, cells, e]) as tf.Tensor4D;
}

/** Reference forward in plain tfjs ops (gather, multiply, sum, softmax); differentiable by tfjs. */
export function localAttentionReference(q: tf.Tensor4D, k: tf.Tensor4D, v: tf.Tensor4D, radius: number, scale: number): LocalAttentionResult {
  checkLocalAttention(q, k, v, radius);
  return tf.tidy(() => {
    const [n, h, w, d] = q.shape;
    const c = v.shape[3];
    const cells = windowCells(radius);
    const { index, mask } = neighbourTable(h, w, radius);
    const qs = tf.reshape(q, [n, h * w, 1, d]);
    const logits = tf.mul(tf.sum(tf.mul(qs, gatherNeighbours(k, index, cells)), 3), scale);
    const weights = tf.softmax(tf.add(logits, mask)) as tf.Tensor3D;
    const context = tf.sum(tf.mul(tf.expandDims(weights, 3), gatherNeighbours(v, index, cells)), 2);
    return { context: tf.reshape(context, [n, h, w, c]) as tf.Tensor4D, weights: tf.reshape(weights, [n, h, w, cells]) as tf.Tensor4D };
  });
}

export interface LocalAttentionGradInputs {
  dContext: tf.Tensor4D;
  dWeights: tf.Tensor4D;
  q: tf.Tensor4D;
  k: tf.Tensor4D;
  v: tf.Tensor4D;
  weights: tf.Tensor4D;
}

/** Sums [n, N, K, e] contributions into the neighbour cells they came from: [n, h, w, e]. */
function scatterToNeighbours(t: tf.Tensor4D, index: tf.Tensor1D, h: number, w: number): tf.Tensor4D {
  const [n, cellsN, cells, e] = t.shape;
  const byCell = tf.reshape(tf.transpose(tf.reshape(t, [n, cellsN * cells, e]), [1, 0, 2]), [cellsN * cells, n * e]);
  const summed = tf.unsortedSegmentSum(byCell, index, h * w);
  return tf.reshape(tf.transpose(tf.reshape(summed, [h * w, n, e]), [1, 0, 2]), [n, h, w, e]) as tf.Tensor4D;
}

/** Reference backward in plain tfjs ops (the formula in the header). */
export function localAttentionGradReference(a: LocalAttentionGradInputs, radius: number, scale: number): { dq: tf.Tensor4D; dk: tf.Tensor4D; dv: tf.Tensor4D } {
  return tf.tidy(() => {
    const [n, h, w, d] = a.q.shape;
    const c = a.v.shape[3];
    const cells = windowCells(radius);
    const { index, mask } = neighbourTable(h, w, radius);
    const valid = tf.cast(tf.equal(mask, 0), 'float32'); // index points at the cell itself outside the map
    const weights = tf.reshape(a.weights, [n, h * w, cells]);
    const dc = tf.reshape(a.dContext, [n, h * w, 1, c]);
    const dA = tf.add(tf.sum(tf.mul(dc, gatherNeighbours(a.v, index, cells)), 3), tf.reshape(a.dWeights, [n, h * w, cells]));
    const dS = tf.mul(weights, tf.sub(dA, tf.sum(tf.mul(weights, dA), 2, true)));
    const dSs = tf.mul(tf.expandDims(dS, 3), scale);
    const dq = tf.reshape(tf.sum(tf.mul(dSs, gatherNeighbours(a.k, index, cells)), 2), [n, h, w, d]) as tf.Tensor4D;
    const qs = tf.reshape(a.q, [n, h * w, 1, d]);
    const keep = tf.reshape(valid, [1, h * w, cells, 1]);
    const dk = scatterToNeighbours(tf.mul(tf.mul(dSs, qs), keep) as tf.Tensor4D, index, h, w);
    const dv = scatterToNeighbours(tf.mul(tf.mul(tf.expandDims(weights, 3), dc), keep) as tf.Tensor4D, index, h, w);
    return { dq, dk, dv };
  });
}

/** The backward pass: the backend's WsolLocalAttentionGrad kernel, else the reference. */
export function localAttentionGrad(a: LocalAttentionGradInputs, radius: number, scale: number): { dq: tf.Tensor4D; dk: tf.Tensor4D; dv: tf.Tensor4D } {
  if (!hasFusedKernel(FUSED_KERNELS.localAttentionGrad)) return localAttentionGradReference(a, radius, scale);
  const inputs = { dContext: a.dContext, dWeights: a.dWeights, q: a.q, k: a.k, v: a.v, weights: a.weights };
  const [dq, dk, dv] = tf.engine().runKernel(FUSED_KERNELS.localAttentionGrad, inputs, { radius, scale }) as tf.Tensor4D[];
  return { dq, dk, dv };
}

/**
 * Windowed attention: one WsolLocalAttention kernel (and one gradient kernel) when the backend has
 * them, else the reference ops. N x (2r+1)^2 work and memory, never N x N.
 */
export function localAttention(q: tf.Tensor4D, k: tf.Tensor4D, v: tf.Tensor4D, radius: number, scale: number): LocalAttentionResult {
  if (!hasFusedKernel(FUSED_KERNELS.localAttention)) return localAttentionReference(q, k, v, radius, scale);
  checkLocalAttention(q, k, v, radius);
  const [context, weights] = tf.engine().runKernel(FUSED_KERNELS.localAttention, { q, k, v }, { radius, scale }) as tf.Tensor4D[];
  return { context, weights };
}

// ---------------------------------------------------------------------------------------------
// Elementwise: a * scale + b

export function scaleAddReference(a: tf.Tensor, scale: tf.Tensor, b: tf.Tensor): tf.Tensor {
  return tf.tidy(() => tf.add(tf.mul(a, scale), b));
}

/** a * scale + b with a scalar `scale`: one kernel when the backend has it, else two ops. */
export function scaleAdd(a: tf.Tensor, scale: tf.Tensor, b: tf.Tensor): tf.Tensor {
  if (scale.size !== 1) throw new Error(`scaleAdd: scale must hold one value, got shape [${scale.shape}]`);
  if (!tf.util.arraysEqual(a.shape, b.shape)) throw new Error(`scaleAdd: a [${a.shape}] and b [${b.shape}] must have one shape`);
  if (!hasFusedKernel(FUSED_KERNELS.scaleAdd)) return scaleAddReference(a, scale, b);
  return tf.engine().runKernel(FUSED_KERNELS.scaleAdd, { a, scale, b }) as tf.Tensor;
}
