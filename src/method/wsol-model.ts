/**
 * The contract between every WSOL method (ours, its ablations, CAM, HaS, ACoL, ADL) and the
 * trainer, evaluator, CLI and notebooks. Tensors are NHWC float32; images are normalised.
 */
import type * as tf from '@tensorflow/tfjs-core';
import type * as tfl from '@tensorflow/tfjs-layers';
import type { ModelConfig, ResolvedModelConfig } from './model-config';

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
  /** Optional class scores [N, K] of the batch (for the progress bar's training accuracy). */
  logits?: tf.Tensor2D;
  /** The fusion term as it enters `total` (weight and ramp applied), for the gradient-share diagnostic. */
  fusion?: tf.Scalar;
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
  /** The JSON-serialisable configuration that rebuilds the same model (without weights), as it was given. */
  readonly config: ModelConfig;
  /**
   * What the model was built from: every option filled in, the method's fixed options applied (e.g.
   * `loss.lambdaFuse` 0 for ours-no-fusion). Read settings here, not in `config`.
   */
  readonly resolved: ResolvedModelConfig;
  /**
   * Training loss of one batch. Called inside the optimiser's tidy scope; must not dispose its
   * inputs. `labels` is int32 [N].
   */
  loss(images: tf.Tensor4D, labels: tf.Tensor1D, ctx: StepContext): LossTerms;
  /**
   * Optional: the classifier heads' weights, where the fusion term's share of the gradient norm is
   * measured (the trainer's diagnostic for methods with a fusion term).
   */
  headVariables?(): tf.Variable[];
  /** Full-image inference (no dropout). */
  predict(images: tf.Tensor4D): Prediction;
  /**
   * Optional, for teaching snapshots: the maps of one training-style pass for the given labels,
   * each [N, h, w] normalised to [0, 1]: branch A on its dropout image, branch B on the complementary
   * one, their union, the full-image map; and image A's keep-mask [N, H, W] (1 = visible in A).
   */
  explain?(images: tf.Tensor4D, labels: tf.Tensor1D, ctx: StepContext): Explanation;
}

export interface Explanation {
  branchA: tf.Tensor3D;
  branchB: tf.Tensor3D;
  fused: tf.Tensor3D;
  full: tf.Tensor3D;
  maskA: tf.Tensor3D;
}
