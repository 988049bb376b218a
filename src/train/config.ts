/** The training run's configuration: plain data, defaults in one place, validated once. */
import type { MethodOptions } from '../method/method-options';
import { checkMethodOptions } from '../method/registry';
import { DEFAULT_CAM_THRESHOLD } from '../localize/score-map';
import type { EvaluateOptions } from '../evaluate/evaluate';
import { DEFAULT_OPTIMIZER, type OptimizerConfig } from './optimizer';
import { DEFAULT_SCHEDULE, type ScheduleConfig } from './schedule';

export interface TrainConfig {
  /** Dataset spec understood by `openDataset` (parts, fashion-clutter, cub, folder:...). */
  dataset: string;
  /** Method id from the method registry. */
  method: string;
  backbone: 'tiny' | 'vgg16';
  epochs: number;
  imageSize: number;
  batchSize: number;
  seed: number;
  optimizer: OptimizerConfig;
  schedule: ScheduleConfig;
  /** Use at most this many training images (0 = all). */
  limit: number;
  /** Use at most this many validation/test images for evaluation (0 = all). */
  evalLimit: number;
  /** Method-specific options passed to the model factory (see `wsol methods`). */
  methodOptions: MethodOptions;
  /** Number of fixed validation images whose maps are recorded for teaching. */
  probes: number;
  /** Record a snapshot every this many steps (0 = only at epoch ends). */
  snapshotEvery: number;
  /** Threshold on normalised maps for the coverage statistics. */
  coverageThreshold: number;
  /** Fixed CAM threshold for the classic GT-known / Top-1 Loc numbers (the best one is also reported). */
  locThreshold: number;
  /** Optional Keras VGG16 "notop" HDF5 weights for the vgg16 backbone. */
  pretrainedWeights: string | null;
  /**
   * How the tiny backbone starts: 'auto' (default: the weights shipped with the package where they fit,
   * i.e. tiny with tinyWidth 16, else seeded random weights; the run's log says which), 'pretrained' (the
   * shipped weights, made by `wsol pretrain` on Fashion-MNIST train items; an error where they do not fit),
   * 'scratch' (seeded random weights), or a path to a `wsol pretrain` manifest.
   */
  backboneInit: string;
}

export const DEFAULT_TRAIN_CONFIG: TrainConfig = {
  dataset: 'parts',
  method: 'ours',
  backbone: 'tiny',
  epochs: 4,
  imageSize: 64,
  batchSize: 16,
  seed: 1,
  optimizer: DEFAULT_OPTIMIZER,
  schedule: DEFAULT_SCHEDULE,
  limit: 0,
  evalLimit: 0,
  methodOptions: {},
  probes: 4,
  snapshotEvery: 0,
  coverageThreshold: 0.5,
  locThreshold: DEFAULT_CAM_THRESHOLD,
  pretrainedWeights: null,
  backboneInit: 'auto',
};

/** Upper bounds that turn a typo (`--epochs 1e20`) into an error instead of a run that never ends. */
export const TRAIN_LIMITS = { epochs: 100_000, imageSize: 4096, batchSize: 65_536 };
/** Seeds are 32-bit: every generator takes `seed >>> 0`, so larger ones would wrap silently. */
export const MAX_SEED = 2 ** 32 - 1;

/** What callers give: any part of a config, at any depth (arrays are given whole). */
export type DeepPartial<T> = T extends readonly unknown[] ? T : T extends object ? { [K in keyof T]?: DeepPartial<T[K]> } : T;

/** Configs this module filled and checked; frozen, so they stay as checked. */
const resolvedConfigs = new WeakSet<TrainConfig>();

function deepFreeze<T>(v: T): T {
  if (typeof v === 'object' && v !== null && !Object.isFrozen(v)) {
    Object.freeze(v);
    for (const x of Object.values(v)) deepFreeze(x);
  }
  return v;
}

/**
 * Fills defaults and checks every field, the method and its options included; errors name the field.
 * The result is frozen, and handing it back returns it as is: a config is resolved once, however
 * many layers (notebook, trainer, session) it passes through.
 */
export function resolveTrainConfig(partial: DeepPartial<TrainConfig> = {}): TrainConfig {
  if (resolvedConfigs.has(partial as TrainConfig)) return partial as TrainConfig;
  // A deep copy: freezing it must not freeze objects the caller still holds.
  const c: TrainConfig = structuredClone({
    ...DEFAULT_TRAIN_CONFIG,
    ...(partial as Partial<TrainConfig>),
    optimizer: { ...DEFAULT_TRAIN_CONFIG.optimizer, ...(partial.optimizer ?? {}) } as OptimizerConfig,
    schedule: { ...DEFAULT_TRAIN_CONFIG.schedule, ...(partial.schedule ?? {}) } as ScheduleConfig,
    methodOptions: { ...(partial.methodOptions ?? {}) },
  });
  const boundedInt = (field: keyof typeof TRAIN_LIMITS) => {
    const v = c[field] as number;
    if (!Number.isInteger(v) || v < 1 || v > TRAIN_LIMITS[field]) throw new Error(`train config: ${field} must be a positive integer <= ${TRAIN_LIMITS[field]}, got ${v}`);
  };
  boundedInt('epochs');
  boundedInt('imageSize');
  boundedInt('batchSize');
  if (!Number.isInteger(c.seed) || c.seed < 0 || c.seed > MAX_SEED) throw new Error(`train config: seed must be an integer in 0..${MAX_SEED}, got ${c.seed}`);
  for (const f of ['limit', 'evalLimit', 'probes', 'snapshotEvery'] as const) {
    if (!Number.isSafeInteger(c[f]) || c[f] < 0) throw new Error(`train config: ${f} must be an integer >= 0, got ${c[f]}`);
  }
  for (const f of ['coverageThreshold', 'locThreshold'] as const) {
    if (!(c[f] >= 0 && c[f] < 1)) throw new Error(`train config: ${f} must be in [0, 1), got ${c[f]}`);
  }
  if (typeof c.backboneInit !== 'string' || c.backboneInit === '') throw new Error(`train config: backboneInit must be auto, pretrained, scratch or a weights manifest path, got ${String(c.backboneInit)}`);
  if (c.backbone !== 'tiny' && c.backbone !== 'vgg16') {
    throw new Error(`train config: backbone must be tiny or vgg16, got ${String(c.backbone)}`);
  }
  checkMethodOptions(c.method, c.methodOptions, { backbone: c.backbone, inputSize: c.imageSize });
  resolvedConfigs.add(deepFreeze(c));
  return c;
}

/** How a run's model is evaluated: the run's own image size, batch size, image budget and fixed threshold. */
export function evaluationOptions(config: TrainConfig): Pick<EvaluateOptions, 'imageSize' | 'batchSize' | 'limit' | 'locThreshold'> {
  return { imageSize: config.imageSize, batchSize: config.batchSize, limit: config.evalLimit, locThreshold: config.locThreshold };
}
