/**
 * The project's optimisers. tfjs's built-in ones apply one learning rate to every variable;
 * WSOL papers train new layers (classifiers, attention) at a multiple of the backbone's rate,
 * so these take a per-variable multiplier. Their slots can be saved and restored exactly.
 */
import * as tf from '@tensorflow/tfjs-core';
import { adamWUpdate } from '../backend/fused-ops';

export type OptimizerName = 'sgd' | 'adam';

export interface OptimizerConfig {
  name: OptimizerName;
  /** Base learning rate; the schedule scales it per step. */
  learningRate: number;
  /** SGD momentum. */
  momentum: number;
  /** Weight decay of kernels (not biases, gammas, normalisation parameters). */
  weightDecay: number;
  /**
   * 'decoupled' (AdamW, Loshchilov & Hutter 2019): w -= lr * wd * w beside the Adam update, so a weight
   * with a weak task gradient is not shrunk at the full Adam rate. 'l2': wd * w added to the gradient
   * (classic SGD weight decay). Adam with 'l2' shrank the tiny backbone's activations within 20 steps.
   */
  weightDecayMode: 'decoupled' | 'l2';
  /** Variable-name substring -> learning-rate multiplier (first match wins), e.g. { classifier: 10 }. */
  lrMultipliers: Record<string, number>;
  beta1: number;
  beta2: number;
  epsilon: number;
}

export const DEFAULT_OPTIMIZER: OptimizerConfig = {
  name: 'adam',
  /** The project's recipe (tiny backbone with batch norm, batch 16): the base rate of every run. */
  learningRate: 2e-3,
  momentum: 0.9,
  weightDecay: 1e-4,
  weightDecayMode: 'decoupled',
  lrMultipliers: {},
  beta1: 0.9,
  beta2: 0.999,
  epsilon: 1e-8,
};

export class WsolOptimizer {
  private slots = new Map<string, tf.Variable[]>();
  private t = 0;

  constructor(readonly config: OptimizerConfig) {
    if (!(config.learningRate > 0)) throw new Error(`optimizer.learningRate must be > 0, got ${config.learningRate}`);
    if (config.momentum < 0 || config.momentum >= 1) throw new Error(`optimizer.momentum must be in [0, 1), got ${config.momentum}`);
    if (config.weightDecayMode !== 'decoupled' && config.weightDecayMode !== 'l2') throw new Error(`optimizer.weightDecayMode must be 'decoupled' or 'l2', got ${String(config.weightDecayMode)}`);
  }

  multiplierFor(name: string): number {
    for (const [pattern, m] of Object.entries(this.config.lrMultipliers)) if (name.includes(pattern)) return m;
    return 1;
  }

  /** Applies one update with learning rate `lr` (already scheduled). Disposes nothing it did not make. */
  apply(vars: tf.Variable[], grads: tf.NamedTensorMap, lr: number): void {
    this.t += 1;
    const c = this.config;
    const decayOf = (v: tf.Variable) => (c.weightDecay > 0 && v.shape.length > 1 ? c.weightDecay : 0);
    const updated = vars.filter((v) => grads[v.name]);
    tf.tidy(() => {
      if (c.name === 'adam') {
        // One fused call over every weight (fused-ops.ts holds the formula and its reference).
        const slots = updated.map((v) => {
          const [m, s] = this.slotsFor(v, 2);
          return { weight: v, grad: grads[v.name], m, s, rate: lr * this.multiplierFor(v.name), decay: decayOf(v) };
        });
        const hyper = { step: this.t, decoupled: c.weightDecayMode === 'decoupled', beta1: c.beta1, beta2: c.beta2, epsilon: c.epsilon };
        adamWUpdate(slots, hyper).forEach((r, i) => {
          slots[i].m.assign(r.m);
          slots[i].s.assign(r.s);
          updated[i].assign(r.weight);
        });
        return;
      }
      for (const v of updated) {
        const decay = decayOf(v);
        const coupled = decay > 0 && c.weightDecayMode === 'l2';
        const g = coupled ? tf.add(grads[v.name], tf.mul(v, decay)) : grads[v.name];
        const rate = lr * this.multiplierFor(v.name);
        if (decay > 0 && !coupled) v.assign(tf.mul(v, 1 - rate * decay));
        const [m] = this.slotsFor(v, 1);
        m.assign(tf.add(tf.mul(m, c.momentum), g));
        v.assign(tf.sub(v, tf.mul(m, rate)));
      }
    });
  }

  private slotsFor(v: tf.Variable, count: number): tf.Variable[] {
    let s = this.slots.get(v.name);
    if (!s) {
      s = Array.from({ length: count }, () => tf.variable(tf.zerosLike(v), false));
      this.slots.set(v.name, s);
    }
    return s;
  }

  /** Slot tensors keyed `<variable>::<slot index>` plus the step count, for checkpoints. */
  getState(): { step: number; slots: tf.NamedTensorMap } {
    const slots: tf.NamedTensorMap = {};
    for (const [name, vs] of this.slots) vs.forEach((v, i) => (slots[`${name}::${i}`] = v));
    return { step: this.t, slots };
  }

  /** Restores slots saved by `getState` (copies them; the caller still owns `slots`). */
  setState(state: { step: number; slots: tf.NamedTensorMap }): void {
    this.dispose();
    this.t = state.step;
    const grouped = new Map<string, tf.Tensor[]>();
    for (const [key, t] of Object.entries(state.slots)) {
      const cut = key.lastIndexOf('::');
      const name = key.slice(0, cut);
      const index = Number(key.slice(cut + 2));
      const list = grouped.get(name) ?? [];
      list[index] = t;
      grouped.set(name, list);
    }
    for (const [name, ts] of grouped) this.slots.set(name, ts.map((t) => tf.variable(t, false)));
  }

  dispose(): void {
    for (const vs of this.slots.values()) vs.forEach((v) => v.dispose());
    this.slots.clear();
  }
}
