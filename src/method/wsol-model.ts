/**
 * The contract between every WSOL method (ours, its ablations, CAM, HaS, ACoL, ADL) and the
 * trainer, evaluator, CLI and notebooks. Tensors are NHWC float32; images are normalised.
 */
import type * as tf from '@tensorflow/tfjs-core';
import type * as tfl from '@tensorflow/tfjs-layers';

export interface StepContext {
  /** Global optimisation step (0-based); seeds the per-step randomness (dropout masks). */
  step: number;
  /** Run seed. */
  seed: number;
}

export interface LossTerms {
  /** What the optimiser minimises. */
  total: tf.Scalar;
  /** Named parts for logging (e.g. clsA, clsB, clsFull, fuse). */
  terms: Record<string, tf.Scalar>;
}

export interface Prediction {
  /** Class scores [N, K]. */
  logits: tf.Tensor2D;
  /** Class activation maps [N, h, w, K] at feature resolution, raw (before ReLU / min-max). */
  cams: tf.Tensor4D;
}

export interface WsolModel {
  /** Method id, e.g. 'ours', 'cam', 'has', 'acol', 'adl', 'ours-no-caam'. */
  readonly method: string;
  /** Everything trainable lives in this layers model: saving/loading it restores the method. */
  readonly net: tfl.LayersModel;
  /** The JSON-serialisable configuration that rebuilds the same model (without weights). */
  readonly config: object;
  /**
   * Training loss of one batch. Called inside the optimiser's tidy scope; must not dispose its
   * inputs. `labels` is int32 [N].
   */
  loss(images: tf.Tensor4D, labels: tf.Tensor1D, ctx: StepContext): LossTerms;
  /** Full-image inference (no dropout). */
  predict(images: tf.Tensor4D): Prediction;
}
