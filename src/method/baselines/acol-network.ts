/**
 * ACoL (Zhang et al. 2018), adversarial complementary learning: classifier A finds the most
 * discriminative region; the features there (A's normalised map >= threshold) are erased
 * before classifier B, which must find other evidence. Localisation: max of both maps.
 */
import * as tf from '@tensorflow/tfjs-core';
import * as tfl from '@tensorflow/tfjs-layers';
import { classMaps, crossEntropy, logitsFromCams, normalizeMaps } from '../attention-maps';
import { backboneChannels, backboneStride, buildBackbone, buildClassifierHead } from '../backbones';
import type { ModelConfig, ResolvedModelConfig } from '../model-config';
import type { LossTerms, Prediction, StepContext, WsolModel } from '../wsol-model';

export class AcolModel implements WsolModel {
  readonly net: tfl.LayersModel;
  readonly backbone: tfl.LayersModel;
  readonly headA: tfl.LayersModel;
  readonly headB: tfl.LayersModel;

  constructor(
    readonly method: string,
    readonly resolved: ResolvedModelConfig,
    readonly config: ModelConfig,
    net?: tfl.LayersModel,
  ) {
    if (net) {
      this.net = net;
      this.backbone = net.getLayer('backbone') as unknown as tfl.LayersModel;
      this.headA = net.getLayer('head_a') as unknown as tfl.LayersModel;
      this.headB = net.getLayer('head_b') as unknown as tfl.LayersModel;
      return;
    }
    const size = resolved.inputSize;
    const channels = backboneChannels(resolved.backbone);
    const mapSize = size / backboneStride(resolved.backbone.name);
    this.backbone = buildBackbone(resolved.backbone, size);
    this.headA = buildClassifierHead('head_a', channels, mapSize, resolved.backbone.headWidth, resolved.numClasses);
    this.headB = buildClassifierHead('head_b', channels, mapSize, resolved.backbone.headWidth, resolved.numClasses);
    const x = tfl.input({ shape: [size, size, 3], name: 'image' });
    const f = this.backbone.apply(x) as tfl.SymbolicTensor;
    // The container holds both heads for saving; erasing happens in the eager passes below.
    const outputs = [this.headA.apply(f), this.headB.apply(f)] as tfl.SymbolicTensor[];
    this.net = tfl.model({ inputs: x, outputs, name: 'wsol_acol' });
  }

  /** Keep-mask [n, h, w, 1]: 0 where A's normalised map of `classes` >= threshold. */
  eraseMask(camsA: tf.Tensor4D, classes: tf.Tensor1D): tf.Tensor4D {
    return tf.tidy(() => {
      const map = normalizeMaps(classMaps(camsA, classes));
      // step(threshold - map) is 1 where map < threshold and 0 where map >= threshold (step(0) = 0).
      // Step has a (zero) gradient; Less has none in tfjs.
      return tf.expandDims(tf.step(tf.sub(this.resolved.acolThreshold, map)), 3) as tf.Tensor4D;
    });
  }

  private passes(images: tf.Tensor4D, classes: tf.Tensor1D | null, training: boolean) {
    return tf.tidy(() => {
      const f = this.backbone.apply(images, { training }) as tf.Tensor4D;
      const camsA = this.headA.apply(f, { training }) as tf.Tensor4D;
      const which = classes ?? (tf.argMax(logitsFromCams(camsA), 1) as tf.Tensor1D);
      const camsB = this.headB.apply(tf.mul(f, this.eraseMask(camsA, which)), { training }) as tf.Tensor4D;
      return { camsA, camsB };
    });
  }

  loss(images: tf.Tensor4D, labels: tf.Tensor1D, _ctx: StepContext): LossTerms {
    const { camsA, camsB } = this.passes(images, labels, true);
    const logitsA = logitsFromCams(camsA);
    const clsA = crossEntropy(logitsA, labels);
    const clsB = crossEntropy(logitsFromCams(camsB), labels);
    return { total: tf.add(clsA, clsB) as tf.Scalar, terms: { clsA, clsB }, logits: logitsA };
  }

  predict(images: tf.Tensor4D): Prediction {
    return tf.tidy(() => {
      const { camsA, camsB } = this.passes(images, null, false);
      return { logits: logitsFromCams(camsA), cams: tf.maximum(normalizeMaps(camsA), normalizeMaps(camsB)) as tf.Tensor4D };
    });
  }
}
