/**
 * Every reconstructed choice of the method as a typed field, with the defaults of
 * docs/method.md in this one place. The paper states the components; the numbers are ours.
 */
export interface DropoutConfig {
  /** Grid cell sides as fractions of the input side (HaS's {16,32,44,56} px at 224 px). */
  cellFractions: number[];
  /** Probability that a cell is visible in image A (B sees the rest). */
  keepProbability: number;
  /** Alternate cells instead of drawing them (a deterministic complementary pattern). */
  checkerboard: boolean;
  /** Fill value of hidden pixels, in normalised units (0 = the dataset mean). */
  fillValue: number;
}

export interface AttentionConfig {
  /** CAAM bottleneck reduction r: 2C -> 2C/r. */
  caamReduction: number;
  /** SSAM query/key reduction: C -> C/q. */
  ssamQueryReduction: number;
  /**
   * SSAM attention radius in feature cells; 0 = the whole map (the non-local form). Default 2 (a 5 x 5
   * window), chosen on val: the non-local form gathers context from the whole image at every position
   * and spread the class maps off the object (parts, 3 seeds, val MaxBoxAccV2 40.4 against 58.4).
   */
  ssamWindow: number;
  /**
   * How the two classifiers' maps combine at inference: 'max' of their min-max maps (the union, our first
   * reading of the paper) or the 'mean' of their raw CAMs (the CAM of the averaged classifier).
   */
  inferenceMap: 'max' | 'mean';
}

export interface LossConfig {
  /** Weight of the cross-entropy on the full-image logits. */
  lambdaClsFull: number;
  /** Weight of the attention-based fusion loss. */
  lambdaFuse: number;
  /** 'three-pass': full-image maps pulled to the target; 'two-pass': each branch map pulled to the target. */
  fusion: 'three-pass' | 'two-pass';
  /** 'mosaic': each branch trusted where it saw pixels; 'union': max of both maps (the first reconstruction). */
  fuseTarget: 'mosaic' | 'union';
  /**
   * 'bounded': relu(S) / stopGradient(max(peak, 1)) in the loss; 'minmax': per-image min-max, whose gradient
   * grows as 1 / (max - min) and drowned the classifiers (kept for the ablation).
   */
  fuseNormalization: 'bounded' | 'minmax';
  /**
   * An image enters the fusion term only once the classifier gives its true class at least this probability
   * (and its target is not flat). This is the warm-up: it follows learning, not a step count.
   */
  fuseConfidence: number;
  /** Optional linear ramp of lambda_fuse over the first steps (0 = none; the confidence gate is the warm-up). */
  fuseWarmupSteps: number;
  /**
   * 0: the target is the fused map itself. t in (0, 1): the target becomes a per-image mask, 1 where the
   * fused map is at least t times its own peak and 0 elsewhere, so the term also pulls the background down
   * (the counter-force a soft target lacks).
   */
  fuseTargetThreshold: number;
  /**
   * Whether the full-image pass back-propagates into the backbone. Off by default: the backbone learns from
   * both branches' cross-entropy, and a forward-only backbone pass keeps ours near 2x CAM's cost per image.
   */
  fullPassTrainsBackbone: boolean;
}

export interface BackboneConfig {
  name: 'tiny' | 'vgg16';
  /** Width of the first block of the tiny backbone (doubles per block). */
  tinyWidth: number;
  /** Channels of the classifier head's 3x3 conv. */
  headWidth: number;
}

export const DEFAULT_DROPOUT: DropoutConfig = {
  cellFractions: [16 / 224, 32 / 224, 44 / 224, 56 / 224],
  keepProbability: 0.5,
  checkerboard: false,
  fillValue: 0,
};

export const DEFAULT_ATTENTION: AttentionConfig = { caamReduction: 16, ssamQueryReduction: 8, ssamWindow: 2, inferenceMap: 'max' };

export const DEFAULT_LOSS: LossConfig = {
  lambdaClsFull: 1,
  lambdaFuse: 1,
  fusion: 'three-pass',
  fuseTarget: 'mosaic',
  fuseNormalization: 'bounded',
  fuseConfidence: 0.5,
  fuseWarmupSteps: 0,
  fuseTargetThreshold: 0,
  fullPassTrainsBackbone: false,
};

/**
 * tiny: width 16 (16/32/64 channels): CAM reaches ~77% validation accuracy on `parts` in 3 epochs
 * (batch 16, Adam 2e-3). Width 8 is about twice as fast per step; its learning speed was not measured
 * under the same settings.
 * Head width: tiny matches its last block (4 * tinyWidth); vgg16 uses 1024 like CAM/ACoL's VGG heads.
 */
export const DEFAULT_TINY_WIDTH = 16;
export const VGG16_HEAD_WIDTH = 1024;

export function defaultHeadWidth(name: BackboneConfig['name'], tinyWidth: number): number {
  return name === 'vgg16' ? VGG16_HEAD_WIDTH : 4 * tinyWidth;
}

/** Baseline knobs: ACoL erasing threshold (paper range 0.6-0.7), ADL drop rate and threshold (0.8-0.9). */
export const DEFAULT_BASELINES = { acolThreshold: 0.7, adlDropRate: 0.75, adlThreshold: 0.8 };
