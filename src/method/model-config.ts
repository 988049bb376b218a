/** The configuration that builds any method's model (JSON-serialisable, saved with each run). */
import { validateDropout } from './complementary-dropout';
import {
  ACOL_OPTIONS,
  ADL_OPTIONS,
  ATTENTION_OPTIONS,
  BACKBONE_OPTIONS,
  DROPOUT_OPTIONS,
  LOSS_OPTIONS,
  OPTION_GROUPS,
  defaultHeadWidth,
  type AcolOptions,
  type AdlOptions,
  type AttentionConfig,
  type BackboneConfig,
  type BackboneOptions,
  type DropoutConfig,
  type LossConfig,
} from './method-config';
import { resolveOptions } from './option-spec';

/** Every method option a run may set; the tables of method-config.ts define, describe and check each. */
export interface MethodOptions extends Partial<BackboneOptions>, Partial<AcolOptions>, Partial<AdlOptions> {
  dropout?: Partial<DropoutConfig>;
  attention?: Partial<AttentionConfig>;
  loss?: Partial<LossConfig>;
}

export interface ModelConfig extends MethodOptions {
  method: string;
  backbone: 'tiny' | 'vgg16';
  numClasses: number;
  inputSize: number;
}

/** Every method option filled in and checked: what a model is built from, besides its class count and size. */
export interface ResolvedMethodOptions extends AcolOptions, AdlOptions {
  backbone: BackboneConfig;
  dropout: DropoutConfig;
  attention: AttentionConfig;
  loss: LossConfig;
}

export interface ResolvedModelConfig extends ResolvedMethodOptions {
  method: string;
  numClasses: number;
  inputSize: number;
}

/** What a training run decides, beside the method options. */
const RUN_KEYS = ['method', 'backbone', 'numClasses', 'inputSize'];

/** The option keys at the top of a ModelConfig: the groups with a prefix, and the options of those without. */
const TOP_LEVEL_KEYS: string[] = Object.values(OPTION_GROUPS).flatMap((g) => (g.prefix ? [g.prefix] : Object.keys(g.options)));

function unknownKey(k: string): Error {
  return new Error(`model config: unknown option "${k}"; known: ${[...RUN_KEYS, ...TOP_LEVEL_KEYS].join(', ')}`);
}

/** Fills the defaults and checks every field; errors name the offending field. */
export function resolveModelConfig(c: ModelConfig): ResolvedModelConfig {
  const { method, backbone, numClasses, inputSize, ...options } = c;
  if (!Number.isInteger(numClasses) || numClasses < 2) throw new Error(`model config: numClasses must be an integer >= 2, got ${numClasses}`);
  if (!Number.isInteger(inputSize) || inputSize < 8) throw new Error(`model config: inputSize must be an integer >= 8, got ${inputSize}`);
  return { method, numClasses, inputSize, ...resolveMethodOptions(options, backbone, inputSize) };
}

/**
 * Fills the defaults of the method options and checks them; errors name the offending field. Without
 * `inputSize` (the CLI, before a training size is known) the checks that depend on it wait for the build.
 */
export function resolveMethodOptions(c: MethodOptions, backboneName: BackboneConfig['name'], inputSize?: number): ResolvedMethodOptions {
  for (const k of Object.keys(c)) if (!TOP_LEVEL_KEYS.includes(k)) throw unknownKey(k);
  if (backboneName !== 'tiny' && backboneName !== 'vgg16') throw new Error(`model config: backbone must be 'tiny' or 'vgg16', got ${String(backboneName)}`);
  const pick = <K extends keyof MethodOptions>(keys: readonly K[]) => Object.fromEntries(keys.filter((k) => c[k] !== undefined).map((k) => [k, c[k]]));
  const tinyWidth = c.tinyWidth ?? BACKBONE_OPTIONS.tinyWidth.default;
  const sizes = resolveOptions('', BACKBONE_OPTIONS, { tinyWidth, headWidth: c.headWidth ?? defaultHeadWidth(backboneName, tinyWidth) });
  const r: ResolvedMethodOptions = {
    backbone: { name: backboneName, ...sizes },
    dropout: resolveOptions('dropout', DROPOUT_OPTIONS, c.dropout),
    attention: resolveOptions('attention', ATTENTION_OPTIONS, c.attention),
    loss: resolveOptions('loss', LOSS_OPTIONS, c.loss),
    ...resolveOptions('', ACOL_OPTIONS, pick(['acolThreshold'])),
    ...resolveOptions('', ADL_OPTIONS, pick(['adlDropRate', 'adlThreshold'])),
  };
  if (inputSize !== undefined) validateDropout(r.dropout, inputSize);
  return r;
}
