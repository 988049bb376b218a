/** The configuration that builds any method's model (JSON-serialisable, saved with each run). */
import {
  DEFAULT_ATTENTION,
  DEFAULT_BACKBONE,
  DEFAULT_DROPOUT,
  DEFAULT_LOSS,
  type AttentionConfig,
  type BackboneConfig,
  type DropoutConfig,
  type LossConfig,
} from './method-config';

export interface ModelConfig {
  method: string;
  backbone: 'tiny' | 'vgg16';
  numClasses: number;
  inputSize: number;
  tinyWidth?: number;
  headWidth?: number;
  dropout?: Partial<DropoutConfig>;
  attention?: Partial<AttentionConfig>;
  loss?: Partial<LossConfig>;
  /** ACoL: erase features where A's normalised map >= this. */
  acolThreshold?: number;
  /** ADL: probability of using the drop mask (else the importance map). */
  adlDropRate?: number;
  /** ADL: drop positions whose channel-mean attention >= this fraction of the maximum. */
  adlThreshold?: number;
}

export interface ResolvedModelConfig {
  method: string;
  numClasses: number;
  inputSize: number;
  backbone: BackboneConfig;
  dropout: DropoutConfig;
  attention: AttentionConfig;
  loss: LossConfig;
  acolThreshold: number;
  adlDropRate: number;
  adlThreshold: number;
}

export function resolveModelConfig(c: ModelConfig): ResolvedModelConfig {
  if (!Number.isInteger(c.numClasses) || c.numClasses < 2) throw new Error(`model config: numClasses must be an integer >= 2, got ${c.numClasses}`);
  if (!Number.isInteger(c.inputSize) || c.inputSize < 8) throw new Error(`model config: inputSize must be an integer >= 8, got ${c.inputSize}`);
  const r: ResolvedModelConfig = {
    method: c.method,
    numClasses: c.numClasses,
    inputSize: c.inputSize,
    backbone: { name: c.backbone, tinyWidth: c.tinyWidth ?? DEFAULT_BACKBONE.tinyWidth, headWidth: c.headWidth ?? DEFAULT_BACKBONE.headWidth },
    dropout: { ...DEFAULT_DROPOUT, ...(c.dropout ?? {}) },
    attention: { ...DEFAULT_ATTENTION, ...(c.attention ?? {}) },
    loss: { ...DEFAULT_LOSS, ...(c.loss ?? {}) },
    acolThreshold: c.acolThreshold ?? 0.7,
    adlDropRate: c.adlDropRate ?? 0.75,
    adlThreshold: c.adlThreshold ?? 0.8,
  };
  if (r.acolThreshold <= 0 || r.acolThreshold >= 1) throw new Error(`model config: acolThreshold must be in (0, 1), got ${r.acolThreshold}`);
  if (r.adlDropRate < 0 || r.adlDropRate > 1) throw new Error(`model config: adlDropRate must be in [0, 1], got ${r.adlDropRate}`);
  if (r.loss.lambdaFuse < 0 || r.loss.lambdaClsFull < 0) throw new Error('model config: loss weights must be >= 0');
  return r;
}
