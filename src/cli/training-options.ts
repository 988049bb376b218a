/** Options shared by `wsol train` and `wsol reproduce`, and their mapping to TrainConfig. */
import { setMethodOption, type MethodOptions } from '../method/method-options';
import { resolveMethodOptions } from '../method/model-config';
import { DEFAULT_TRAIN_CONFIG, MAX_SEED, TRAIN_LIMITS, type TrainConfig } from '../train/config';
import { UsageError, type OptionSpec, type ParsedOptions } from './args';

export const TRAINING_OPTIONS: Record<string, OptionSpec> = {
  backbone: { type: 'string', description: 'backbone', choices: ['tiny', 'vgg16'] },
  epochs: { type: 'int', description: 'training epochs', min: 1, max: TRAIN_LIMITS.epochs },
  'image-size': { type: 'int', description: 'input size in pixels', min: 16, max: TRAIN_LIMITS.imageSize },
  'batch-size': { type: 'int', description: 'images per step', min: 1, max: TRAIN_LIMITS.batchSize },
  seed: { type: 'int', description: 'seed for everything random', min: 0, max: MAX_SEED },
  lr: { type: 'number', description: 'base learning rate', min: 0 },
  optimizer: { type: 'string', description: 'optimizer', choices: ['adam', 'sgd'] },
  limit: { type: 'int', description: 'use at most N training images (0 = all)', min: 0, max: Number.MAX_SAFE_INTEGER },
  'eval-limit': { type: 'int', description: 'evaluate on at most N images (0 = all)', min: 0, max: Number.MAX_SAFE_INTEGER },
  set: { type: 'strings', description: 'a method option, e.g. loss.lambdaFuse=0.5 (wsol methods lists them)' },
  'pretrained-weights': { type: 'string', description: 'Keras VGG16 notop .h5 file for --backbone vgg16' },
  'backbone-init': { type: 'string', description: 'tiny backbone start: auto (the shipped pretrained weights where they fit, tinyWidth 16; the default), pretrained, scratch, or a wsol pretrain manifest (.json)' },
  'skip-bad': { type: 'boolean', description: 'skip missing or undecodable images with a warning instead of stopping' },
};

/** The method options given with --set, checked against the model config (errors name --set). */
export function methodOptionsFromSets(sets: string[], backbone: TrainConfig['backbone'] = DEFAULT_TRAIN_CONFIG.backbone): MethodOptions {
  let options: MethodOptions = {};
  try {
    for (const s of sets) options = setMethodOption(options, s, '--set');
    resolveMethodOptions(options, backbone);
  } catch (err) {
    const m = (err as Error).message;
    throw new UsageError(m.startsWith('--set') ? m : `--set: ${m}`);
  }
  return options;
}

/** Only the options the user gave: defaults stay in DEFAULT_TRAIN_CONFIG. */
export function trainConfigFromOptions(o: ParsedOptions): Partial<TrainConfig> {
  const c: Partial<TrainConfig> = {};
  if (o.backbone !== undefined) c.backbone = o.backbone as TrainConfig['backbone'];
  if (o.epochs !== undefined) c.epochs = o.epochs as number;
  if (o.imageSize !== undefined) c.imageSize = o.imageSize as number;
  if (o.batchSize !== undefined) c.batchSize = o.batchSize as number;
  if (o.seed !== undefined) c.seed = o.seed as number;
  if (o.limit !== undefined) c.limit = o.limit as number;
  if (o.evalLimit !== undefined) c.evalLimit = o.evalLimit as number;
  if (o.pretrainedWeights !== undefined) c.pretrainedWeights = o.pretrainedWeights as string;
  if (o.backboneInit !== undefined) c.backboneInit = o.backboneInit as string;
  if (o.set !== undefined) c.methodOptions = methodOptionsFromSets(o.set as string[], c.backbone);
  if (o.lr !== undefined || o.optimizer !== undefined) {
    c.optimizer = {
      ...DEFAULT_TRAIN_CONFIG.optimizer,
      ...(o.lr !== undefined ? { learningRate: o.lr as number } : {}),
      ...(o.optimizer !== undefined ? { name: o.optimizer as 'adam' | 'sgd' } : {}),
    };
  }
  return c;
}
