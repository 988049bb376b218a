/**
 * Every reconstructed choice of the method as a typed field, and beside each type its table: the
 * default (docs/method.md), one line of description and the rule a value meets, in this one place.
 * The paper states the components; the numbers are ours. `wsol methods`, `--set` and the config
 * checks are read off these tables; a method's registry entry names the groups it reads.
 */
import { defaultsOf, rules, type OptionTable } from './option-spec';

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

export interface BackboneConfig extends BackboneOptions {
  name: 'tiny' | 'vgg16';
}

export interface BackboneOptions {
  /** Width of the first block of the tiny backbone (doubles per block). */
  tinyWidth: number;
  /** Channels of the classifier head's 3x3 conv. */
  headWidth: number;
}

/** Baseline knobs: ACoL erasing threshold (paper range 0.6-0.7). */
export interface AcolOptions {
  /** Erase features where A's normalised map >= this. */
  acolThreshold: number;
}

/** ADL's drop rate and threshold (paper range 0.8-0.9 for the threshold). */
export interface AdlOptions {
  /** Probability of using the drop mask (else the importance map). */
  adlDropRate: number;
  /** Drop positions whose channel-mean attention >= this fraction of the maximum. */
  adlThreshold: number;
}

export const DROPOUT_OPTIONS: OptionTable<DropoutConfig> = {
  cellFractions: { default: [16 / 224, 32 / 224, 44 / 224, 56 / 224], description: 'grid cell sides as fractions of the input side, one drawn per image', rule: rules.positiveList },
  keepProbability: { default: 0.5, description: 'probability that a cell is visible in image A', rule: rules.between(0, 1) },
  checkerboard: { default: false, description: 'alternate cells instead of drawing them', rule: rules.boolean },
  fillValue: { default: 0, description: 'value of hidden pixels, in normalised units (0 = dataset mean)', rule: rules.finite },
};

export const ATTENTION_OPTIONS: OptionTable<AttentionConfig> = {
  caamReduction: { default: 16, description: 'CAAM bottleneck reduction r (2C -> 2C/r)', rule: rules.positiveInteger },
  ssamQueryReduction: { default: 8, description: 'SSAM query/key reduction (C -> C/q)', rule: rules.positiveInteger },
  ssamWindow: { default: 2, description: 'SSAM attention radius in feature cells (0 = whole map, the non-local form)', rule: rules.nonNegativeInteger },
  inferenceMap: { default: 'max', description: 'max (union of both min-max maps) or mean (CAM of the averaged classifier) at inference', rule: rules.oneOf('max', 'mean') },
};

export const LOSS_OPTIONS: OptionTable<LossConfig> = {
  lambdaClsFull: { default: 3, description: 'weight of the cross-entropy on the full-image logits', rule: rules.nonNegative },
  lambdaFuse: { default: 1, description: 'weight of the attention-based fusion loss', rule: rules.nonNegative },
  fusion: { default: 'three-pass', description: 'three-pass (full-image maps pulled to the target) or two-pass', rule: rules.oneOf('three-pass', 'two-pass') },
  fuseTarget: { default: 'mosaic', description: 'mosaic (each branch trusted where it saw pixels) or union (max of both maps)', rule: rules.oneOf('mosaic', 'union') },
  fuseNormalization: { default: 'bounded', description: 'bounded (relu(S) / max(peak, 1)) or minmax, in the loss', rule: rules.oneOf('bounded', 'minmax') },
  fuseConfidence: { default: 0.2, description: 'an image enters the fusion term once its true class has this probability', rule: rules.from(0, 1) },
  fuseWarmupSteps: { default: 0, description: 'steps over which lambdaFuse ramps up from 0 (0 = none)', rule: rules.nonNegativeInteger },
  fuseTargetThreshold: { default: 0.5, description: 'binarise the fusion target per image at this fraction of its peak (0 = soft target)', rule: rules.from(0, 1) },
  fullPassTrainsBackbone: { default: true, description: 'whether the full-image pass back-propagates into the backbone', rule: rules.boolean },
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

/** headWidth's default follows the backbone (defaultHeadWidth); the table's is the tiny one's. */
export const BACKBONE_OPTIONS: OptionTable<BackboneOptions> = {
  tinyWidth: { default: DEFAULT_TINY_WIDTH, description: "channels of the tiny backbone's first block (doubling per block)", rule: rules.positiveInteger },
  headWidth: {
    default: defaultHeadWidth('tiny', DEFAULT_TINY_WIDTH),
    defaultText: `4 x tinyWidth (tiny), ${VGG16_HEAD_WIDTH} (vgg16)`,
    description: "channels of the classifier head's 3x3 conv",
    rule: rules.positiveInteger,
  },
};

export const ACOL_OPTIONS: OptionTable<AcolOptions> = {
  acolThreshold: { default: 0.7, description: "ACoL: erase where A's normalised map >= this", rule: rules.between(0, 1) },
};

export const ADL_OPTIONS: OptionTable<AdlOptions> = {
  adlDropRate: { default: 0.75, description: 'ADL: probability of using the drop mask (else the importance map)', rule: rules.within(0, 1) },
  adlThreshold: { default: 0.8, description: 'ADL: drop where the channel-mean attention >= this fraction of its maximum', rule: rules.between(0, 1) },
};

/**
 * The option groups, in the order `wsol methods` lists them. `prefix` is where a group's options
 * sit in a ModelConfig ('' = at the top: `tinyWidth`, `acolThreshold`). Every method reads `backbone`;
 * its registry entry names the others it reads.
 */
export const OPTION_GROUPS = {
  backbone: { prefix: '', options: BACKBONE_OPTIONS },
  dropout: { prefix: 'dropout', options: DROPOUT_OPTIONS },
  attention: { prefix: 'attention', options: ATTENTION_OPTIONS },
  loss: { prefix: 'loss', options: LOSS_OPTIONS },
  acol: { prefix: '', options: ACOL_OPTIONS },
  adl: { prefix: '', options: ADL_OPTIONS },
} as const;

export type OptionGroup = keyof typeof OPTION_GROUPS;

export const DEFAULT_DROPOUT: DropoutConfig = defaultsOf(DROPOUT_OPTIONS);
export const DEFAULT_ATTENTION: AttentionConfig = defaultsOf(ATTENTION_OPTIONS);
export const DEFAULT_LOSS: LossConfig = defaultsOf(LOSS_OPTIONS);
/** ACoL's and ADL's defaults. */
export const DEFAULT_BASELINES: AcolOptions & AdlOptions = { ...defaultsOf(ACOL_OPTIONS), ...defaultsOf(ADL_OPTIONS) };
