/** The configuration that builds any method's model (JSON-serialisable, saved with each run). */
import {
  DEFAULT_ATTENTION,
  DEFAULT_BASELINES,
  DEFAULT_DROPOUT,
  DEFAULT_LOSS,
  DEFAULT_TINY_WIDTH,
  defaultHeadWidth,
  type AttentionConfig,
  type BackboneConfig,
  type DropoutConfig,
  type LossConfig,
} from './method-config';
import { validateDropout } from './complementary-dropout';

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

/** Everything of a ModelConfig except what the training run itself decides. */
export type MethodOptions = Omit<ModelConfig, 'method' | 'backbone' | 'numClasses' | 'inputSize'>;

/** Every method option filled in and checked: what a model is built from, besides its class count and size. */
export interface ResolvedMethodOptions {
  backbone: BackboneConfig;
  dropout: DropoutConfig;
  attention: AttentionConfig;
  loss: LossConfig;
  acolThreshold: number;
  adlDropRate: number;
  adlThreshold: number;
}

export interface ResolvedModelConfig extends ResolvedMethodOptions {
  method: string;
  numClasses: number;
  inputSize: number;
}

const MODEL_CONFIG_KEYS = new Set([
  'method', 'backbone', 'numClasses', 'inputSize', 'tinyWidth', 'headWidth', 'dropout', 'attention', 'loss',
  'acolThreshold', 'adlDropRate', 'adlThreshold',
]);

function checkKeys(what: string, given: object | undefined, known: object): void {
  for (const k of Object.keys(given ?? {})) {
    if (!(k in known)) throw new Error(`model config: unknown option ${what}${k}; known: ${Object.keys(known).join(', ')}`);
  }
}

function positiveInteger(field: string, v: number): number {
  if (!Number.isInteger(v) || v < 1) throw new Error(`model config: ${field} must be a positive integer, got ${v}`);
  return v;
}

/** Fills the defaults and checks every field; errors name the offending field. */
export function resolveModelConfig(c: ModelConfig): ResolvedModelConfig {
  for (const k of Object.keys(c)) {
    if (!MODEL_CONFIG_KEYS.has(k)) throw new Error(`model config: unknown option "${k}"; known: ${[...MODEL_CONFIG_KEYS].join(', ')}`);
  }
  if (!Number.isInteger(c.numClasses) || c.numClasses < 2) throw new Error(`model config: numClasses must be an integer >= 2, got ${c.numClasses}`);
  if (!Number.isInteger(c.inputSize) || c.inputSize < 8) throw new Error(`model config: inputSize must be an integer >= 8, got ${c.inputSize}`);
  const { method, backbone, numClasses, inputSize, ...options } = c;
  return { method, numClasses, inputSize, ...resolveMethodOptions(options, backbone, inputSize) };
}

/**
 * Fills the defaults of the method options and checks them; errors name the offending field. Without
 * `inputSize` (the CLI, before a training size is known) the checks that depend on it are left to the build.
 */
export function resolveMethodOptions(c: MethodOptions, backboneName: BackboneConfig['name'], inputSize?: number): ResolvedMethodOptions {
  for (const k of Object.keys(c)) {
    if (!MODEL_CONFIG_KEYS.has(k) || k === 'method' || k === 'numClasses' || k === 'inputSize' || k === 'backbone') {
      throw new Error(`model config: unknown option "${k}"; known: ${[...MODEL_CONFIG_KEYS].join(', ')}`);
    }
  }
  if (backboneName !== 'tiny' && backboneName !== 'vgg16') throw new Error(`model config: backbone must be 'tiny' or 'vgg16', got ${String(backboneName)}`);
  checkKeys('dropout.', c.dropout, DEFAULT_DROPOUT);
  checkKeys('attention.', c.attention, DEFAULT_ATTENTION);
  checkKeys('loss.', c.loss, DEFAULT_LOSS);
  const tinyWidth = positiveInteger('tinyWidth', c.tinyWidth ?? DEFAULT_TINY_WIDTH);
  const r: ResolvedMethodOptions = {
    backbone: { name: backboneName, tinyWidth, headWidth: positiveInteger('headWidth', c.headWidth ?? defaultHeadWidth(backboneName, tinyWidth)) },
    dropout: { ...DEFAULT_DROPOUT, ...(c.dropout ?? {}) },
    attention: { ...DEFAULT_ATTENTION, ...(c.attention ?? {}) },
    loss: { ...DEFAULT_LOSS, ...(c.loss ?? {}) },
    acolThreshold: c.acolThreshold ?? DEFAULT_BASELINES.acolThreshold,
    adlDropRate: c.adlDropRate ?? DEFAULT_BASELINES.adlDropRate,
    adlThreshold: c.adlThreshold ?? DEFAULT_BASELINES.adlThreshold,
  };
  if (inputSize !== undefined) validateDropout(r.dropout, inputSize);
  if (!(r.acolThreshold > 0 && r.acolThreshold < 1)) throw new Error(`model config: acolThreshold must be in (0, 1), got ${r.acolThreshold}`);
  if (!(r.adlDropRate >= 0 && r.adlDropRate <= 1)) throw new Error(`model config: adlDropRate must be in [0, 1], got ${r.adlDropRate}`);
  if (!(r.adlThreshold > 0 && r.adlThreshold < 1)) throw new Error(`model config: adlThreshold must be in (0, 1), got ${r.adlThreshold}`);
  if (!(r.loss.lambdaFuse >= 0)) throw new Error(`model config: loss.lambdaFuse must be >= 0, got ${r.loss.lambdaFuse}`);
  if (!(r.loss.lambdaClsFull >= 0)) throw new Error(`model config: loss.lambdaClsFull must be >= 0, got ${r.loss.lambdaClsFull}`);
  if (r.loss.fusion !== 'three-pass' && r.loss.fusion !== 'two-pass') throw new Error(`model config: loss.fusion must be 'three-pass' or 'two-pass', got ${String(r.loss.fusion)}`);
  if (r.attention.inferenceMap !== 'max' && r.attention.inferenceMap !== 'mean') throw new Error(`model config: attention.inferenceMap must be 'max' or 'mean', got ${String(r.attention.inferenceMap)}`);
  if (r.loss.fuseTarget !== 'mosaic' && r.loss.fuseTarget !== 'union') throw new Error(`model config: loss.fuseTarget must be 'mosaic' or 'union', got ${String(r.loss.fuseTarget)}`);
  if (r.loss.fuseNormalization !== 'bounded' && r.loss.fuseNormalization !== 'minmax') throw new Error(`model config: loss.fuseNormalization must be 'bounded' or 'minmax', got ${String(r.loss.fuseNormalization)}`);
  if (!(r.loss.fuseConfidence >= 0 && r.loss.fuseConfidence < 1)) throw new Error(`model config: loss.fuseConfidence must be in [0, 1), got ${r.loss.fuseConfidence}`);
  if (!(Number.isInteger(r.loss.fuseWarmupSteps) && r.loss.fuseWarmupSteps >= 0)) throw new Error(`model config: loss.fuseWarmupSteps must be an integer >= 0, got ${r.loss.fuseWarmupSteps}`);
  if (!(r.loss.fuseTargetThreshold >= 0 && r.loss.fuseTargetThreshold < 1)) throw new Error(`model config: loss.fuseTargetThreshold must be in [0, 1), got ${r.loss.fuseTargetThreshold}`);
  if (typeof r.loss.fullPassTrainsBackbone !== 'boolean') throw new Error(`model config: loss.fullPassTrainsBackbone must be true or false, got ${String(r.loss.fullPassTrainsBackbone)}`);
  return r;
}
