/**
 * SSAM, spatial self-attention over the N = h*w positions (our reconstruction):
 *   Q = F Wq, K = F Wk (C -> C/q), V = F Wv (C -> C),
 *   A = softmax(Q K^T / sqrt(C/q)) (N x N),  G = gamma * (A V) + F,
 * with the scalar gamma starting at 0, so the module starts as the identity. With `window = r > 0` each
 * position attends only to positions within r cells (Chebyshev distance), so what it gathers stays local;
 * training then runs it as a local operation, N x (2r+1)^2 work and memory. The global form (window 0)
 * and `attention()` (the N x N matrix, for figures) are O(N^2) per image: keep h*w small there.
 */
import * as tf from '@tensorflow/tfjs-core';
import * as tfl from '@tensorflow/tfjs-layers';
import { localAttention, scaleAdd } from '../backend/fused-ops';

export interface SpatialSelfAttentionArgs {
  queryReduction: number;
  /** Attention radius in feature cells; 0 = every position (the non-local form). */
  window?: number;
  name?: string;
}

/** Additive mask [N, N] (0 inside the window, -1e9 outside) for an h x w map; null for the global form. */
function windowMask(h: number, w: number, radius: number): tf.Tensor2D | null {
  if (radius <= 0) return null;
  const n = h * w;
  const m = new Float32Array(n * n);
  for (let p = 0; p < n; p++) {
    for (let q = 0; q < n; q++) {
      const far = Math.max(Math.abs(Math.floor(p / w) - Math.floor(q / w)), Math.abs((p % w) - (q % w))) > radius;
      m[p * n + q] = far ? -1e9 : 0;
    }
  }
  return tf.tensor2d(m, [n, n]);
}

type Shape = (number | null)[];

export class SpatialSelfAttention extends tfl.layers.Layer {
  static className = 'SpatialSelfAttention';
  readonly queryReduction: number;
  readonly window: number;
  private mask: { key: string; tensor: tf.Tensor2D } | null = null;
  private wq!: tfl.LayerVariable;
  private wk!: tfl.LayerVariable;
  private wv!: tfl.LayerVariable;
  private gamma!: tfl.LayerVariable;

  constructor(args: SpatialSelfAttentionArgs) {
    super({ name: args.name });
    if (!(args.queryReduction >= 1)) throw new Error(`ssamQueryReduction must be >= 1, got ${args.queryReduction}`);
    this.queryReduction = args.queryReduction;
    this.window = args.window ?? 0;
    if (!(Number.isInteger(this.window) && this.window >= 0)) throw new Error(`ssamWindow must be an integer >= 0, got ${args.window}`);
  }

  /** The cached window mask for this map size (kept outside tidy scopes; freed by dispose). */
  private windowMaskFor(h: number, w: number): tf.Tensor2D | null {
    if (this.window <= 0) return null;
    const key = `${h}x${w}`;
    if (this.mask?.key !== key) {
      this.mask?.tensor.dispose();
      // kept: it is created inside the caller's tidy scope but lives as long as the layer.
      const tensor = tf.keep(windowMask(h, w, this.window) as tf.Tensor2D);
      this.mask = { key, tensor };
    }
    return this.mask.tensor;
  }

  override dispose(): ReturnType<tfl.layers.Layer['dispose']> {
    const result = super.dispose();
    if (result.refCountAfterDispose === 0 && this.mask) {
      this.mask.tensor.dispose();
      this.mask = null;
    }
    return result;
  }

  override build(inputShape: Shape | Shape[]): void {
    const c = (inputShape as Shape)[3] as number;
    const d = Math.max(1, Math.floor(c / this.queryReduction));
    const glorot = tfl.initializers.glorotUniform({});
    this.wq = this.addWeight('wq', [c, d], 'float32', glorot);
    this.wk = this.addWeight('wk', [c, d], 'float32', glorot);
    this.wv = this.addWeight('wv', [c, c], 'float32', glorot);
    this.gamma = this.addWeight('gamma', [1], 'float32', tfl.initializers.zeros());
    // The window mask belongs with the weights: made once here when the map size is known.
    const [, h, w] = inputShape as Shape;
    if (typeof h === 'number' && typeof w === 'number') this.windowMaskFor(h, w);
    this.built = true;
  }

  override computeOutputShape(inputShape: Shape | Shape[]): Shape {
    return inputShape as Shape;
  }

  /** The attention matrix A [n, N, N]: row p says where position p gathers from (rows sum to 1). */
  attention(f: tf.Tensor4D): tf.Tensor3D {
    return tf.tidy(() => {
      const [n, h, w, c] = f.shape;
      const flat = tf.reshape(f, [n * h * w, c]) as tf.Tensor2D;
      const d = this.wq.shape[1] as number;
      const q = tf.reshape(tf.matMul(flat, this.wq.read() as tf.Tensor2D), [n, h * w, d]) as tf.Tensor3D;
      const k = tf.reshape(tf.matMul(flat, this.wk.read() as tf.Tensor2D), [n, h * w, d]) as tf.Tensor3D;
      const logits = tf.div(tf.matMul(q, k, false, true), Math.sqrt(d));
      const mask = this.windowMaskFor(h, w);
      return tf.softmax(mask ? tf.add(logits, mask) : logits) as tf.Tensor3D;
    });
  }

  /** The learnable mixing weight gamma. */
  gammaValue(): number {
    return this.gamma.read().dataSync()[0];
  }

  override call(inputs: tf.Tensor | tf.Tensor[]): tf.Tensor {
    return tf.tidy(() => {
      const f = (Array.isArray(inputs) ? inputs[0] : inputs) as tf.Tensor4D;
      const [n, h, w, c] = f.shape;
      const flat = tf.reshape(f, [n * h * w, c]) as tf.Tensor2D;
      const project = (weight: tfl.LayerVariable) => tf.reshape(tf.matMul(flat, weight.read() as tf.Tensor2D), [n, h, w, weight.shape[1] as number]) as tf.Tensor4D;
      let context: tf.Tensor;
      if (this.window > 0) {
        // The window as a local operation: N x (2r+1)^2 work (fused-ops.ts), equal to the masked N x N form.
        const d = this.wq.shape[1] as number;
        context = localAttention(project(this.wq), project(this.wk), project(this.wv), this.window, 1 / Math.sqrt(d)).context;
      } else {
        const v = tf.reshape(project(this.wv), [n, h * w, c]) as tf.Tensor3D;
        context = tf.reshape(tf.matMul(this.attention(f), v), [n, h, w, c]);
      }
      return scaleAdd(context, this.gamma.read(), f);
    });
  }

  override getConfig(): tf.serialization.ConfigDict {
    return { ...super.getConfig(), queryReduction: this.queryReduction, window: this.window };
  }
}
tf.serialization.registerClass(SpatialSelfAttention);
