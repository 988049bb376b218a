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
}

export interface LossConfig {
  /** Weight of the cross-entropy on the full-image logits. */
  lambdaClsFull: number;
  /** Weight of the attention-based fusion loss. */
  lambdaFuse: number;
  /** 'three-pass': full-image maps pulled to the union; 'two-pass': each branch map pulled to the union. */
  fusion: 'three-pass' | 'two-pass';
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

export const DEFAULT_ATTENTION: AttentionConfig = { caamReduction: 16, ssamQueryReduction: 8 };

export const DEFAULT_LOSS: LossConfig = { lambdaClsFull: 1, lambdaFuse: 1, fusion: 'three-pass' };

export const DEFAULT_BACKBONE: Omit<BackboneConfig, 'name'> = { tinyWidth: 16, headWidth: 64 };
