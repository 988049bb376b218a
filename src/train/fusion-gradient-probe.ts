/**
 * The fusion term's share of the gradient norm at the classifier heads: ||d(fusion)/dW|| / ||d(total)/dW||
 * over the heads' weights W. Measured every FUSION_PROBE_EVERY steps by a second pass on the same batch
 * (the same seeded dropout masks); the batch-norm statistics that pass updates are put back, so the
 * probe never changes training. Reported per epoch as the term `fuseGradShare`.
 */
import * as tf from '@tensorflow/tfjs-core';
import type { StepContext, WsolModel } from '../method/wsol-model';

export const FUSION_PROBE_EVERY = 10;

function norm(grads: tf.Tensor[]): number {
  return Math.sqrt(tf.tidy(() => grads.reduce((acc, g) => acc + (tf.sum(tf.square(g)).dataSync()[0] as number), 0)));
}

/** Whether this step is probed (the model has a fusion term and heads). */
export function probesFusion(model: WsolModel, step: number, terms: Record<string, unknown>): boolean {
  return typeof model.headVariables === 'function' && 'fuse' in terms && step % FUSION_PROBE_EVERY === 0;
}

/** The share, given the step's total gradients keyed by variable name. */
export function fusionGradientShare(model: WsolModel, images: tf.Tensor4D, labels: tf.Tensor1D, ctx: StepContext, totalGrads: tf.NamedTensorMap): number {
  const heads = model.headVariables!();
  const totalNorm = norm(heads.map((v) => totalGrads[v.name]).filter((g): g is tf.Tensor => g !== undefined));
  if (!(totalNorm > 0)) return 0;
  const saved = model.net.nonTrainableWeights.map((w) => ({ w, value: tf.keep(tf.clone(w.read())) }));
  let fusionNorm = 0;
  try {
    let hasFusion = false;
    const { value, grads } = tf.variableGrads(() => {
      const out = model.loss(images, labels, ctx);
      hasFusion = out.fusion !== undefined;
      // Without a fusion term this step, a zero that still depends on the heads keeps variableGrads valid.
      return out.fusion ?? (tf.mul(tf.sum(heads[0]), 0) as tf.Scalar);
    }, heads);
    fusionNorm = hasFusion ? norm(Object.values(grads)) : 0;
    value.dispose();
    tf.dispose(Object.values(grads));
  } finally {
    for (const { w, value } of saved) {
      w.write(value);
      value.dispose();
    }
  }
  return fusionNorm / totalNorm;
}
