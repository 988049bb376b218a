/** One optimisation step of any WsolModel: loss, gradients, update; returns plain numbers. */
import * as tf from '@tensorflow/tfjs-core';
import type { StepContext, WsolModel } from '../method/wsol-model';
import { fusionGradientShare, probesFusion } from './fusion-gradient-probe';
import type { WsolOptimizer } from './optimizer';

export interface StepResult {
  loss: number;
  terms: Record<string, number>;
  /** Number of correct top-1 predictions in the batch (NaN when the method exposes no logits). */
  correct: number;
}

export function trainableVariables(model: WsolModel): tf.Variable[] {
  return model.net.trainableWeights.map((w) => w.read() as tf.Variable);
}

export function trainStep(
  model: WsolModel,
  optimizer: WsolOptimizer,
  images: tf.Tensor4D,
  labels: Int32Array,
  ctx: StepContext,
  learningRate: number,
): StepResult {
  const vars = trainableVariables(model);
  const kept: { terms: Record<string, tf.Scalar>; correct: tf.Scalar | null } = { terms: {}, correct: null };
  const labelTensor = tf.tensor1d(labels, 'int32');
  try {
    const { value, grads } = tf.variableGrads(() => {
      const out = model.loss(images, labelTensor, ctx);
      // Clones: the tape disposes tensors it saved for backprop (e.g. inputs of a mul).
      for (const [k, t] of Object.entries(out.terms)) kept.terms[k] = tf.keep(tf.clone(t));
      if (out.logits) kept.correct = tf.keep(tf.sum(tf.cast(tf.equal(tf.argMax(out.logits, 1), labelTensor), 'float32')) as tf.Scalar);
      return out.total;
    }, vars);
    const loss = value.dataSync()[0];
    const share = Number.isFinite(loss) && probesFusion(model, ctx.step, kept.terms) ? fusionGradientShare(model, images, labelTensor, ctx, grads) : null;
    // A non-finite loss must not touch the weights: the caller stops with the last good checkpoint.
    if (Number.isFinite(loss)) optimizer.apply(vars, grads, learningRate);
    value.dispose();
    tf.dispose(Object.values(grads));
    const terms: Record<string, number> = {};
    for (const [k, t] of Object.entries(kept.terms)) terms[k] = t.dataSync()[0];
    if (share !== null) terms.fuseGradShare = share;
    const correct = kept.correct ? kept.correct.dataSync()[0] : NaN;
    return { loss, terms, correct };
  } finally {
    labelTensor.dispose();
    tf.dispose(Object.values(kept.terms));
    if (kept.correct) kept.correct.dispose();
  }
}
