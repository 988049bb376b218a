/**
 * One backbone and one classifier producing CAMs: CAM itself, Hide-and-Seek (random grid hiding
 * of the input), ADL (attention-based dropout layers in the backbone), and our ablation
 * "dropout-one-branch" (both complementary images, each classified on its own by the one
 * classifier: nothing is thrown away, but there is no pairing, CAAM, SSAM or fusion).
 */
import * as tf from '@tensorflow/tfjs-core';
import * as tfl from '@tensorflow/tfjs-layers';
import { crossEntropy, logitsFromCams } from '../attention-maps';
import { backboneChannels, backboneStride, buildBackbone, buildClassifierHead } from '../backbones';
import { applyComplementaryDropout } from '../complementary-dropout';
import type { ModelConfig, ResolvedModelConfig } from '../model-config';
import type { LossTerms, Prediction, StepContext, WsolModel } from '../wsol-model';
import { AttentionDropout } from './attention-dropout-layer';
import { applyCutMix, DEFAULT_CUTMIX, drawCutMix } from './cutmix';

export type InputHiding = 'none' | 'grid' | 'complementary' | 'cutmix';

export interface SingleBranchVariant {
  /**
   * 'grid': hide a random half of the grid cells of each training image (HaS: image A only).
   * 'complementary': classify both complementary images A and B; L = CE(A) + CE(B).
   * 'cutmix': paste a box from another image of the batch; L = lambda CE(y) + (1 - lambda) CE(y').
   */
  hiding: InputHiding;
  /** Insert ADL layers after every backbone block. */
  adl: boolean;
}

export class SingleBranchModel implements WsolModel {
  readonly net: tfl.LayersModel;
  readonly backbone: tfl.LayersModel;
  readonly head: tfl.LayersModel;
  readonly adlLayers: AttentionDropout[];

  constructor(
    readonly method: string,
    readonly resolved: ResolvedModelConfig,
    readonly variant: SingleBranchVariant,
    readonly config: ModelConfig,
    net?: tfl.LayersModel,
  ) {
    if (net) {
      this.net = net;
      this.backbone = net.getLayer('backbone') as unknown as tfl.LayersModel;
      this.head = net.getLayer('head_a') as unknown as tfl.LayersModel;
    } else {
      const size = resolved.inputSize;
      this.backbone = buildBackbone(resolved.backbone, size, (block) =>
        variant.adl ? new AttentionDropout({ dropRate: resolved.adlDropRate, threshold: resolved.adlThreshold, name: `adl_${block}` }) : null,
      );
      this.head = buildClassifierHead('head_a', backboneChannels(resolved.backbone), size / backboneStride(resolved.backbone.name), resolved.backbone.headWidth, resolved.numClasses);
      const x = tfl.input({ shape: [size, size, 3], name: 'image' });
      const s = this.head.apply(this.backbone.apply(x)) as tfl.SymbolicTensor;
      this.net = tfl.model({ inputs: x, outputs: s, name: `wsol_${method.replace(/[^a-z0-9]/gi, '_')}` });
    }
    this.adlLayers = this.backbone.layers.filter((l): l is AttentionDropout => l instanceof AttentionDropout);
  }

  cams(images: tf.Tensor4D, training: boolean): tf.Tensor4D {
    return tf.tidy(() => this.head.apply(this.backbone.apply(images, { training }), { training }) as tf.Tensor4D);
  }

  loss(images: tf.Tensor4D, labels: tf.Tensor1D, ctx: StepContext): LossTerms {
    for (const l of this.adlLayers) {
      l.seed = ctx.seed;
      l.step = ctx.step;
    }
    if (this.variant.hiding === 'none') {
      const logits = logitsFromCams(this.cams(images, true));
      const cls = crossEntropy(logits, labels);
      return { total: cls, terms: { cls }, logits };
    }
    if (this.variant.hiding === 'cutmix') return this.cutMixLoss(images, labels, ctx);
    const pair = applyComplementaryDropout(images, this.resolved.dropout, ctx.seed, ctx.step);
    tf.dispose(pair.maskA);
    const logitsA = logitsFromCams(this.cams(pair.imageA, true));
    if (this.variant.hiding === 'grid') {
      tf.dispose(pair.imageB);
      const cls = crossEntropy(logitsA, labels);
      return { total: cls, terms: { cls }, logits: logitsA };
    }
    const logitsB = logitsFromCams(this.cams(pair.imageB, true));
    const clsA = crossEntropy(logitsA, labels);
    const clsB = crossEntropy(logitsB, labels);
    return { total: tf.add(clsA, clsB) as tf.Scalar, terms: { clsA, clsB }, logits: tf.div(tf.add(logitsA, logitsB), 2) as tf.Tensor2D };
  }

  private cutMixLoss(images: tf.Tensor4D, labels: tf.Tensor1D, ctx: StepContext): LossTerms {
    const draw = drawCutMix(images.shape[0], images.shape[1], DEFAULT_CUTMIX, ctx.seed, ctx.step);
    if (!draw.mixed) {
      const logits = logitsFromCams(this.cams(images, true));
      const cls = crossEntropy(logits, labels);
      return { total: cls, terms: { cls }, logits };
    }
    const mixed = applyCutMix(images, labels, draw);
    const logits = logitsFromCams(this.cams(mixed.images, true));
    const cls = tf.add(tf.mul(crossEntropy(logits, labels), draw.lambda), tf.mul(crossEntropy(logits, mixed.partnerLabels), 1 - draw.lambda)) as tf.Scalar;
    tf.dispose([mixed.images, mixed.partnerLabels]);
    // Accuracy is counted against each image's own label, the larger share on average.
    return { total: cls, terms: { cls }, logits };
  }

  predict(images: tf.Tensor4D): Prediction {
    return tf.tidy(() => {
      const cams = this.cams(images, false);
      return { logits: logitsFromCams(cams), cams };
    });
  }
}
