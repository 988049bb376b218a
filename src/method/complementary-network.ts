/**
 * The full method: complementary dropout -> shared backbone -> CAAM -> SSAM -> two parallel
 * classifiers, trained with both branches' cross-entropy, the full-image cross-entropy and the
 * attention-based fusion loss. Ablations switch parts off (no CAAM, no SSAM, no fusion, two-pass).
 *
 * `net` is a container with inputs [x_A, x_B] and outputs [S_A, S_B] that holds every weight;
 * the passes below call its named sub-layers directly so intermediate maps stay observable.
 */
import * as tf from '@tensorflow/tfjs-core';
import * as tfl from '@tensorflow/tfjs-layers';
import { attentionFusionLoss, binarizeTarget, fusionGate, fusionTarget } from './attention-fusion-loss';
import { boundedMaps, classMaps, crossEntropy, logitsFromCams, normalizeMaps, stopGradient } from './attention-maps';
import { backboneChannels, backboneStride, buildBackbone, buildClassifierHead } from './backbones';
import { ChannelAssistedAttention } from './channel-assisted-attention';
import { applyComplementaryDropout, validateDropout } from './complementary-dropout';
import type { ModelConfig, ResolvedModelConfig } from './model-config';
import { SpatialSelfAttention } from './spatial-self-attention';
import type { Explanation, LossTerms, Prediction, StepContext, WsolModel } from './wsol-model';

export interface ComplementaryVariant {
  caam: boolean;
  ssam: boolean;
}

export interface BranchOutputs {
  camsA: tf.Tensor4D;
  camsB: tf.Tensor4D;
}

export class ComplementaryModel implements WsolModel {
  readonly net: tfl.LayersModel;
  readonly backbone: tfl.LayersModel;
  readonly caam: ChannelAssistedAttention | null;
  readonly ssam: SpatialSelfAttention | null;
  readonly headA: tfl.LayersModel;
  readonly headB: tfl.LayersModel;

  constructor(
    readonly method: string,
    readonly resolved: ResolvedModelConfig,
    readonly variant: ComplementaryVariant,
    readonly config: ModelConfig,
    net?: tfl.LayersModel,
  ) {
    validateDropout(resolved.dropout, resolved.inputSize);
    if (net) {
      this.net = net;
      this.backbone = net.getLayer('backbone') as unknown as tfl.LayersModel;
      this.caam = variant.caam ? (net.getLayer('caam') as ChannelAssistedAttention) : null;
      this.ssam = variant.ssam ? (net.getLayer('ssam') as SpatialSelfAttention) : null;
      this.headA = net.getLayer('head_a') as unknown as tfl.LayersModel;
      this.headB = net.getLayer('head_b') as unknown as tfl.LayersModel;
      this.disposeSharedLayersWithNet();
      return;
    }
    const size = resolved.inputSize;
    const mapSize = size / backboneStride(resolved.backbone.name);
    const channels = backboneChannels(resolved.backbone);
    this.backbone = buildBackbone(resolved.backbone, size);
    this.caam = variant.caam ? new ChannelAssistedAttention({ reduction: resolved.attention.caamReduction, name: 'caam' }) : null;
    this.ssam = variant.ssam ? new SpatialSelfAttention({ queryReduction: resolved.attention.ssamQueryReduction, window: resolved.attention.ssamWindow, name: 'ssam' }) : null;
    this.headA = buildClassifierHead('head_a', channels, mapSize, resolved.backbone.headWidth, resolved.numClasses);
    this.headB = buildClassifierHead('head_b', channels, mapSize, resolved.backbone.headWidth, resolved.numClasses);
    const xa = tfl.input({ shape: [size, size, 3], name: 'image_a' });
    const xb = tfl.input({ shape: [size, size, 3], name: 'image_b' });
    let fa = this.backbone.apply(xa) as tfl.SymbolicTensor;
    let fb = this.backbone.apply(xb) as tfl.SymbolicTensor;
    if (this.caam) [fa, fb] = this.caam.apply([fa, fb]) as tfl.SymbolicTensor[];
    if (this.ssam) {
      fa = this.ssam.apply(fa) as tfl.SymbolicTensor;
      fb = this.ssam.apply(fb) as tfl.SymbolicTensor;
    }
    const sa = this.headA.apply(fa) as tfl.SymbolicTensor;
    const sb = this.headB.apply(fb) as tfl.SymbolicTensor;
    this.net = tfl.model({ inputs: [xa, xb], outputs: [sa, sb], name: `wsol_${method.replace(/[^a-z0-9]/gi, '_')}` });
    this.disposeSharedLayersWithNet();
  }

  /**
   * The backbone and SSAM are applied to both inputs, so tfjs-layers counts two references to them and
   * `net.dispose()` alone leaves their weights alive (20 + 4 tensors on tiny). Dropping the extra
   * reference when the net is disposed frees them.
   */
  private disposeSharedLayersWithNet(): void {
    const net = this.net;
    const disposeNet = net.dispose.bind(net);
    const shared = [this.backbone, this.ssam].filter((l): l is NonNullable<typeof l> => l !== null) as unknown as tfl.layers.Layer[];
    net.dispose = () => {
      const result = disposeNet();
      for (const layer of shared) {
        // A layer that tfjs already released (reference count 0) must not be disposed twice.
        if ((layer as unknown as { _refCount: number | null })._refCount) layer.dispose();
      }
      return result;
    };
  }

  /**
   * Features after the backbone and CAAM (before SSAM). x_A and x_B go through the shared backbone as
   * one batch (one set of kernel calls, batch statistics over both); the full-image pass feeds the same
   * image to both branches and runs the backbone once. `backboneGradient = false` makes the backbone a
   * forward-only feature extractor for this call.
   */
  features(xa: tf.Tensor4D, xb: tf.Tensor4D, training = false, backboneGradient = true): [tf.Tensor4D, tf.Tensor4D] {
    return tf.tidy(() => {
      const n = xa.shape[0];
      const run = (x: tf.Tensor4D) => {
        const f = this.backbone.apply(x, { training }) as tf.Tensor4D;
        return backboneGradient ? f : stopGradient(f);
      };
      let fa: tf.Tensor4D;
      let fb: tf.Tensor4D;
      if (xb === xa) {
        fa = fb = run(xa);
      } else {
        const both = run(tf.concat([xa, xb], 0) as tf.Tensor4D);
        [fa, fb] = tf.split(both, [n, n], 0) as tf.Tensor4D[];
      }
      if (this.caam) [fa, fb] = this.caam.apply([fa, fb], { training }) as tf.Tensor4D[];
      return [fa, fb];
    });
  }

  /** Both classifiers' CAMs for a pair of images. */
  branches(xa: tf.Tensor4D, xb: tf.Tensor4D, training = false, backboneGradient = true): BranchOutputs {
    return tf.tidy(() => {
      let [fa, fb] = this.features(xa, xb, training, backboneGradient);
      if (this.ssam) {
        // One SSAM call on both branches (shared weights, attention stays within each image).
        const n = fa.shape[0];
        [fa, fb] = tf.split(this.ssam.apply(tf.concat([fa, fb], 0), { training }) as tf.Tensor4D, [n, n], 0) as tf.Tensor4D[];
      }
      return {
        camsA: this.headA.apply(fa, { training }) as tf.Tensor4D,
        camsB: this.headB.apply(fb, { training }) as tf.Tensor4D,
      };
    });
  }

  /** The loss-side attention of class `labels` (bounded or min-max, per the config). */
  private lossMaps(cams: tf.Tensor4D, labels: tf.Tensor1D): tf.Tensor3D {
    const maps = classMaps(cams, labels);
    return this.resolved.loss.fuseNormalization === 'bounded' ? boundedMaps(maps) : normalizeMaps(maps);
  }

  /** Fraction of each feature cell visible in x_A: [n, h, w] from the pixel mask [n, H, W, 1]. */
  private visibleFraction(maskA: tf.Tensor4D, mapSize: number): tf.Tensor3D {
    const stride = maskA.shape[1] / mapSize;
    return tf.squeeze(tf.avgPool(maskA, stride, stride, 'valid'), [3]) as tf.Tensor3D;
  }

  loss(images: tf.Tensor4D, labels: tf.Tensor1D, ctx: StepContext): LossTerms {
    const { loss } = this.resolved;
    const pair = applyComplementaryDropout(images, this.resolved.dropout, ctx.seed, ctx.step);
    const { camsA, camsB } = this.branches(pair.imageA, pair.imageB, true);
    const clsA = crossEntropy(logitsFromCams(camsA), labels);
    const clsB = crossEntropy(logitsFromCams(camsB), labels);
    const terms: Record<string, tf.Scalar> = { clsA, clsB };
    let total = tf.add(clsA, clsB) as tf.Scalar;
    let logits = tf.div(tf.add(logitsFromCams(camsA), logitsFromCams(camsB)), 2) as tf.Tensor2D;
    let fuse: tf.Scalar | null = null;
    const wantFuse = loss.lambdaFuse > 0;
    const mapA = wantFuse ? this.lossMaps(camsA, labels) : null;
    const mapB = wantFuse ? this.lossMaps(camsB, labels) : null;
    const soft = mapA && mapB ? fusionTarget(loss.fuseTarget, mapA, mapB, this.visibleFraction(pair.maskA, camsA.shape[1])) : null;
    // The gate looks at the soft target (a flat one carries nothing); the loss may use its mask.
    const target = soft && loss.fuseTargetThreshold > 0 ? binarizeTarget(soft, loss.fuseTargetThreshold) : soft;
    tf.dispose([pair.imageA, pair.imageB, pair.maskA]);
    if (loss.fusion === 'three-pass') {
      const full = this.branches(images, images, true, loss.fullPassTrainsBackbone);
      const fullLogits = tf.div(tf.add(logitsFromCams(full.camsA), logitsFromCams(full.camsB)), 2) as tf.Tensor2D;
      terms.clsFull = crossEntropy(fullLogits, labels);
      total = tf.add(total, tf.mul(terms.clsFull, loss.lambdaClsFull));
      logits = fullLogits;
      if (target) {
        const gate = fusionGate(soft!, this.probabilityOfLabel(fullLogits, labels), loss.fuseConfidence);
        const fullA = this.lossMaps(full.camsA, labels);
        const fullB = this.lossMaps(full.camsB, labels);
        fuse = attentionFusionLoss(fullA, fullB, target, gate);
        terms.fuseGate = tf.mean(gate) as tf.Scalar;
        // How far the full-image maps still are from the target, over every image (gated or not).
        terms.fuseGap = stopGradient(attentionFusionLoss(fullA, fullB, target)) as tf.Scalar;
      }
    } else if (target && mapA && mapB) {
      const gate = fusionGate(soft!, this.probabilityOfLabel(logits, labels), loss.fuseConfidence);
      fuse = attentionFusionLoss(mapA, mapB, target, gate);
      terms.fuseGate = tf.mean(gate) as tf.Scalar;
      terms.fuseGap = stopGradient(attentionFusionLoss(mapA, mapB, target)) as tf.Scalar;
    }
    let fusion: tf.Scalar | undefined;
    if (fuse) {
      terms.fuse = fuse;
      const ramp = loss.fuseWarmupSteps > 0 ? Math.min(1, ctx.step / loss.fuseWarmupSteps) : 1;
      if (ramp > 0) {
        fusion = tf.mul(fuse, loss.lambdaFuse * ramp) as tf.Scalar;
        total = tf.add(total, fusion);
      }
    }
    return { total, terms, logits, fusion };
  }

  headVariables(): tf.Variable[] {
    return [...this.headA.trainableWeights, ...this.headB.trainableWeights].map((w) => w.read() as tf.Variable);
  }

  /** Stop-gradient softmax probability of each image's label: [n]. */
  private probabilityOfLabel(logits: tf.Tensor2D, labels: tf.Tensor1D): tf.Tensor1D {
    return tf.tidy(() => stopGradient(tf.sum(tf.mul(tf.softmax(logits), tf.oneHot(labels, logits.shape[1])), 1) as tf.Tensor1D));
  }

  predict(images: tf.Tensor4D): Prediction {
    return tf.tidy(() => {
      const { camsA, camsB } = this.branches(images, images, false);
      const logits = tf.div(tf.add(logitsFromCams(camsA), logitsFromCams(camsB)), 2) as tf.Tensor2D;
      // Localisation map per class: 'max' = the union of both classifiers' normalised maps; 'mean' = the
      // CAM of the averaged classifier (the maps behind `logits`), normalised like any CAM downstream.
      const cams = (this.resolved.attention.inferenceMap === 'mean'
        ? tf.div(tf.add(camsA, camsB), 2)
        : tf.maximum(normalizeMaps(camsA), normalizeMaps(camsB))) as tf.Tensor4D;
      return { logits, cams };
    });
  }

  explain(images: tf.Tensor4D, labels: tf.Tensor1D, ctx: StepContext): Explanation {
    return tf.tidy(() => {
      const pair = applyComplementaryDropout(images, this.resolved.dropout, ctx.seed, ctx.step);
      const { camsA, camsB } = this.branches(pair.imageA, pair.imageB, false);
      const branchA = normalizeMaps(classMaps(camsA, labels));
      const branchB = normalizeMaps(classMaps(camsB, labels));
      const full = classMaps(this.predict(images).cams, labels);
      const visible = this.visibleFraction(pair.maskA, camsA.shape[1]);
      return {
        branchA,
        branchB,
        // The fusion target's shape as the loss builds it (display maps are min-max normalised).
        fused: fusionTarget(this.resolved.loss.fuseTarget, branchA, branchB, visible),
        full: normalizeMaps(full),
        maskA: tf.squeeze(pair.maskA, [3]) as tf.Tensor3D,
      };
    }) as unknown as Explanation;
  }
}
