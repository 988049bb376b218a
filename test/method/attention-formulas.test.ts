/**
 * CAAM and SSAM against the formulas of docs/method.md, written out again here in float64 with
 * plain loops: the forward values with every weight and bias non-zero (SSAM with gamma != 0, global
 * and windowed), and tfjs' gradients against central differences of those formulas.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import * as tf from '@tensorflow/tfjs-core';
import { initBackend } from '../../src/backend/select';
import { ChannelAssistedAttention } from '../../src/method/channel-assisted-attention';
import { SpatialSelfAttention } from '../../src/method/spatial-self-attention';
import { random, relError } from '../helpers/numeric';

type Params = Record<string, Float64Array>;

const sigmoid = (x: number) => 1 / (1 + Math.exp(-x));

/** x [rows, inner] times m [inner, cols], row-major. */
function matmul(x: ArrayLike<number>, rows: number, inner: number, m: ArrayLike<number>, cols: number): Float64Array {
  const out = new Float64Array(rows * cols);
  for (let r = 0; r < rows; r++) for (let k = 0; k < inner; k++) for (let c = 0; c < cols; c++) out[r * cols + c] += x[r * inner + k] * m[k * cols + c];
  return out;
}

/** CAAM: z = [GAP(F_A); GAP(F_B)], u = relu(z W1 + b1), a = sigmoid(u Wa + ba), b = sigmoid(u Wb + bb); outputs a*F_A, b*F_B. */
function caamReference(p: Params, n: number, hw: number, c: number, hidden: number): [Float64Array, Float64Array] {
  const outA = new Float64Array(n * hw * c);
  const outB = new Float64Array(n * hw * c);
  for (let i = 0; i < n; i++) {
    const z = new Float64Array(2 * c);
    for (let q = 0; q < hw; q++) {
      for (let ch = 0; ch < c; ch++) {
        z[ch] += p.fa[(i * hw + q) * c + ch] / hw;
        z[c + ch] += p.fb[(i * hw + q) * c + ch] / hw;
      }
    }
    const u = matmul(z, 1, 2 * c, p.w1, hidden).map((v, j) => Math.max(0, v + p.b1[j]));
    const a = matmul(u, 1, hidden, p.wa, c).map((v, j) => sigmoid(v + p.ba[j]));
    const b = matmul(u, 1, hidden, p.wb, c).map((v, j) => sigmoid(v + p.bb[j]));
    for (let q = 0; q < hw; q++) {
      for (let ch = 0; ch < c; ch++) {
        const at = (i * hw + q) * c + ch;
        outA[at] = a[ch] * p.fa[at];
        outB[at] = b[ch] * p.fb[at];
      }
    }
  }
  return [outA, outB];
}

/** SSAM: Q = F Wq, K = F Wk, V = F Wv, A = softmax(Q K^T / sqrt(d)) within the window, G = gamma (A V) + F. */
function ssamReference(p: Params, n: number, h: number, w: number, c: number, d: number, window: number): Float64Array {
  const N = h * w;
  const out = new Float64Array(n * N * c);
  for (let i = 0; i < n; i++) {
    const f = p.f.subarray(i * N * c, (i + 1) * N * c);
    const q = matmul(f, N, c, p.wq, d);
    const k = matmul(f, N, c, p.wk, d);
    const v = matmul(f, N, c, p.wv, c);
    for (let a = 0; a < N; a++) {
      const near = (b: number) => window <= 0 || Math.max(Math.abs(Math.floor(a / w) - Math.floor(b / w)), Math.abs((a % w) - (b % w))) <= window;
      const logits = Array.from({ length: N }, (_, b) => {
        let s = 0;
        for (let j = 0; j < d; j++) s += q[a * d + j] * k[b * d + j];
        return s / Math.sqrt(d);
      });
      const top = Math.max(...logits.filter((_, b) => near(b)));
      const e = logits.map((l, b) => (near(b) ? Math.exp(l - top) : 0));
      const sum = e.reduce((x, y) => x + y, 0);
      for (let ch = 0; ch < c; ch++) {
        let ctx = 0;
        for (let b = 0; b < N; b++) ctx += (e[b] / sum) * v[b * c + ch];
        out[(i * N + a) * c + ch] = p.gamma[0] * ctx + f[a * c + ch];
      }
    }
  }
  return out;
}

/** Central differences of `loss` for every entry of every parameter. */
function numericGradients(params: Params, loss: (p: Params) => number, eps = 1e-6): Params {
  const grads: Params = {};
  for (const [name, values] of Object.entries(params)) {
    const g = new Float64Array(values.length);
    for (let j = 0; j < values.length; j++) {
      const keep = values[j];
      values[j] = keep + eps;
      const up = loss(params);
      values[j] = keep - eps;
      const down = loss(params);
      values[j] = keep;
      g[j] = (up - down) / (2 * eps);
    }
    grads[name] = g;
  }
  return grads;
}

const dot = (a: ArrayLike<number>, b: ArrayLike<number>) => Array.from(a).reduce((s, v, i) => s + v * b[i], 0);
const f64 = (a: Float32Array) => Float64Array.from(a);

/** The layer's weights by their own names (e.g. "w1"), so the test does not depend on their order. */
function setNamedWeights(layer: tf.serialization.Serializable & { weights: { name: string }[]; setWeights(w: tf.Tensor[]): void }, values: Params, shapes: Record<string, number[]>): void {
  const tensors = layer.weights.map((v) => {
    const key = Object.keys(shapes).find((k) => v.name.endsWith(`/${k}`) || v.name === k);
    assert.ok(key, `weight ${v.name} has a value in the test`);
    return tf.tensor(Float32Array.from(values[key]), shapes[key]);
  });
  layer.setWeights(tensors); // copies the values into the layer's variables
  tf.dispose(tensors);
}

test('CAAM computes the formula (all weights and biases non-zero) and its gradients match central differences', async () => {
  await initBackend();
  const [n, h, w, c, reduction] = [2, 3, 2, 4, 2];
  const hidden = (2 * c) / reduction;
  const shapes: Record<string, number[]> = { w1: [2 * c, hidden], b1: [hidden], wa: [hidden, c], ba: [c], wb: [hidden, c], bb: [c] };
  const p: Params = { fa: f64(random([n, h, w, c], 1)), fb: f64(random([n, h, w, c], 2)) };
  for (const [k, shape] of Object.entries(shapes)) p[k] = f64(random(shape, 10 + k.length * 7 + k.charCodeAt(1), 0.8));
  const rA = f64(random([n, h, w, c], 3));
  const rB = f64(random([n, h, w, c], 4));

  const layer = new ChannelAssistedAttention({ reduction });
  const fa = tf.tensor4d(Float32Array.from(p.fa), [n, h, w, c]);
  const fb = tf.tensor4d(Float32Array.from(p.fb), [n, h, w, c]);
  tf.dispose(layer.apply([fa, fb]) as tf.Tensor[]); // builds the layer
  setNamedWeights(layer as never, p, shapes);
  const before = tf.memory().numTensors;

  const [outA, outB] = layer.apply([fa, fb]) as tf.Tensor[];
  const [refA, refB] = caamReference(p, n, h * w, c, hidden);
  assert.ok(relError(outA.dataSync(), refA) < 1e-5, `F'_A: rel. error ${relError(outA.dataSync(), refA)}`);
  assert.ok(relError(outB.dataSync(), refB) < 1e-5, `F'_B: rel. error ${relError(outB.dataSync(), refB)}`);
  tf.dispose([outA, outB]);

  // L = <F'_A, R_A> + <F'_B, R_B>: its gradient by tfjs and by differences of the formula.
  const lossRef = (q: Params) => {
    const [a, b] = caamReference(q, n, h * w, c, hidden);
    return dot(a, rA) + dot(b, rB);
  };
  const numeric = numericGradients(p, lossRef);
  const rAt = tf.tensor4d(Float32Array.from(rA), [n, h, w, c]);
  const rBt = tf.tensor4d(Float32Array.from(rB), [n, h, w, c]);
  const lossTf = (x: tf.Tensor, y: tf.Tensor) => {
    const [a, b] = layer.apply([x, y]) as tf.Tensor[];
    return tf.add(tf.sum(tf.mul(a, rAt)), tf.sum(tf.mul(b, rBt))) as tf.Scalar;
  };
  const [gfa, gfb] = tf.grads(lossTf)([fa, fb]);
  const vars = Object.fromEntries(layer.trainableWeights.map((v) => [v.name.split('/').pop()!, v.read() as tf.Variable]));
  const { value, grads } = tf.variableGrads(() => lossTf(fa, fb), Object.values(vars));
  assert.ok(Math.abs(value.dataSync()[0] - lossRef(p)) < 1e-4 * Math.abs(lossRef(p)) + 1e-5);
  const byName: Record<string, tf.Tensor> = { fa: gfa, fb: gfb };
  for (const [name, v] of Object.entries(vars)) byName[name] = grads[v.name];
  for (const name of Object.keys(p)) {
    const err = relError(byName[name].dataSync(), numeric[name]);
    assert.ok(err < 2e-3, `dL/d${name}: rel. error ${err}`);
  }
  tf.dispose([rAt, rBt, gfa, gfb, value, ...Object.values(grads)]);
  assert.equal(tf.memory().numTensors, before, 'no tensor left behind by the forward and backward passes');
  tf.dispose([fa, fb, ...layer.weights.map((v) => v.read())]);
});

for (const window of [0, 1]) {
  test(`SSAM (${window === 0 ? 'global' : `window ${window}`}) with gamma = 0.7 computes gamma (A V) + F and its gradients match central differences`, async () => {
    await initBackend();
    const [n, h, w, c, queryReduction] = [2, 3, 3, 4, 2];
    const d = c / queryReduction;
    const shapes: Record<string, number[]> = { wq: [c, d], wk: [c, d], wv: [c, c], gamma: [1] };
    const p: Params = { f: f64(random([n, h, w, c], 21)), wq: f64(random([c, d], 22)), wk: f64(random([c, d], 23)), wv: f64(random([c, c], 24)), gamma: Float64Array.of(0.7) };
    const r = f64(random([n, h, w, c], 25));

    const layer = new SpatialSelfAttention({ queryReduction, window });
    const f = tf.tensor4d(Float32Array.from(p.f), [n, h, w, c]);
    tf.dispose(layer.apply(f) as tf.Tensor);
    setNamedWeights(layer as never, p, shapes);
    const before = tf.memory().numTensors;
    assert.ok(Math.abs(layer.gammaValue() - 0.7) < 1e-7);

    const out = layer.apply(f) as tf.Tensor;
    const ref = ssamReference(p, n, h, w, c, d, window);
    const identity = relError(ref, p.f);
    assert.ok(identity > 0.05, `gamma != 0: the output is not the input (rel. difference ${identity})`);
    assert.ok(relError(out.dataSync(), ref) < 1e-5, `G: rel. error ${relError(out.dataSync(), ref)}`);
    out.dispose();

    const lossRef = (q: Params) => dot(ssamReference(q, n, h, w, c, d, window), r);
    const numeric = numericGradients(p, lossRef);
    const rt = tf.tensor4d(Float32Array.from(r), [n, h, w, c]);
    const lossTf = (x: tf.Tensor) => tf.sum(tf.mul(layer.apply(x) as tf.Tensor, rt)) as tf.Scalar;
    const [gf] = tf.grads(lossTf)([f]);
    const vars = Object.fromEntries(layer.trainableWeights.map((v) => [v.name.split('/').pop()!, v.read() as tf.Variable]));
    const { value, grads } = tf.variableGrads(() => lossTf(f), Object.values(vars));
    const byName: Record<string, tf.Tensor> = { f: gf };
    for (const [name, v] of Object.entries(vars)) byName[name] = grads[v.name];
    for (const name of Object.keys(p)) {
      const err = relError(byName[name].dataSync(), numeric[name]);
      assert.ok(err < 2e-3, `dL/d${name}: rel. error ${err}`);
    }
    tf.dispose([rt, gf, value, ...Object.values(grads)]);
    assert.equal(tf.memory().numTensors, before, 'no tensor left behind by the forward and backward passes');
    tf.dispose([f, ...layer.weights.map((v) => v.read())]);
  });
}
