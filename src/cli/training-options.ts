/** Options shared by `wsol train` and `wsol reproduce`, and their mapping to TrainConfig. */
import { DEFAULT_TRAIN_CONFIG, type TrainConfig } from '../train/config';
import type { OptionSpec, ParsedOptions } from './args';

export const TRAINING_OPTIONS: Record<string, OptionSpec> = {
  backbone: { type: 'string', description: 'backbone', choices: ['tiny', 'vgg16'] },
  epochs: { type: 'int', description: 'training epochs', min: 1 },
  'image-size': { type: 'int', description: 'input size in pixels', min: 16 },
  'batch-size': { type: 'int', description: 'images per step', min: 1 },
  seed: { type: 'int', description: 'seed for everything random' },
  lr: { type: 'number', description: 'base learning rate', min: 0 },
  optimizer: { type: 'string', description: 'optimizer', choices: ['adam', 'sgd'] },
  limit: { type: 'int', description: 'use at most N training images (0 = all)', min: 0 },
  'eval-limit': { type: 'int', description: 'evaluate on at most N images (0 = all)', min: 0 },
  'pretrained-weights': { type: 'string', description: 'Keras VGG16 notop .h5 file for --backbone vgg16' },
  'skip-bad': { type: 'boolean', description: 'skip undecodable images with a warning instead of stopping' },
};

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
  if (o.lr !== undefined || o.optimizer !== undefined) {
    c.optimizer = {
      ...DEFAULT_TRAIN_CONFIG.optimizer,
      ...(o.lr !== undefined ? { learningRate: o.lr as number } : {}),
      ...(o.optimizer !== undefined ? { name: o.optimizer as 'adam' | 'sgd' } : {}),
    };
  }
  return c;
}
