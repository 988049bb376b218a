/** The model a training starts from: restored from a checkpoint, or fresh, seeded, optionally pretrained. */
import * as path from 'path';
import * as tfl from '@tensorflow/tfjs-layers';
import { DEFAULT_TINY_WIDTH } from '../method/method-config';
import { loadKerasH5Weights } from '../weights/keras-weights';
import { loadBackboneWeights, SHIPPED_BACKBONE, SHIPPED_BACKBONE_WIDTH } from '../weights/pretrained-backbone';
import { createModel, restoreModel, type ModelConfig } from '../method/registry';
import type { WsolModel } from '../method/wsol-model';
import { checkProgressFits, loadCheckpointNet, loadCheckpointState, type TrainingProgress } from './checkpoint';
import type { TrainConfig } from './config';
import type { WsolOptimizer } from './optimizer';
import { seedInitialWeights } from './seeded-init';

/**
 * The pretrained weights a tiny backbone starts from, or null for seeded random weights. 'auto' takes the
 * shipped weights when the backbone has their width, so a run with another width starts from scratch.
 */
export function tinyBackboneManifest(config: TrainConfig, tinyWidth = DEFAULT_TINY_WIDTH): string | null {
  if (config.backbone !== 'tiny' || config.backboneInit === 'scratch') return null;
  if (config.backboneInit === 'auto') return tinyWidth === SHIPPED_BACKBONE_WIDTH ? SHIPPED_BACKBONE : null;
  return config.backboneInit === 'pretrained' ? SHIPPED_BACKBONE : path.resolve(config.backboneInit);
}

/**
 * With a checkpoint: its weights, optimizer slots (into `optimizer`) and progress, checked against a
 * run of `stepsPerEpoch` steps per epoch. Without: a new model drawn from the run seed.
 */
export async function startModel(
  config: TrainConfig,
  modelConfig: ModelConfig,
  checkpoint: string | null,
  optimizer: WsolOptimizer,
  stepsPerEpoch: number,
  log: (line: string) => void,
): Promise<{ model: WsolModel; progress: TrainingProgress }> {
  const model = checkpoint ? restoreModel(modelConfig, await loadCheckpointNet(checkpoint)) : createModel(modelConfig);
  try {
    if (checkpoint) {
      const progress = loadCheckpointState(checkpoint, optimizer);
      checkProgressFits(progress, stepsPerEpoch, config.epochs, checkpoint);
      log(`resumed from ${checkpoint} (epoch ${progress.epochsDone}, step ${progress.step})`);
      return { model, progress };
    }
    seedInitialWeights(model.net, config.seed);
    if (config.pretrainedWeights) {
      if (config.backbone !== 'vgg16') throw new Error('--pretrained-weights needs --backbone vgg16 (Keras VGG16 notop weights)');
      const backbone = model.net.getLayer('backbone');
      if (!(backbone instanceof tfl.LayersModel)) throw new Error(`${config.method}: the backbone is not a nested model; cannot load Keras weights into it`);
      const loaded = await loadKerasH5Weights(config.pretrainedWeights, backbone);
      log(`loaded ${loaded.length} pretrained layers from ${config.pretrainedWeights}`);
    }
    const width = (modelConfig as { tinyWidth?: number }).tinyWidth ?? DEFAULT_TINY_WIDTH;
    const manifest = tinyBackboneManifest(config, width);
    if (config.backbone === 'tiny' && !manifest) log(`backbone: seeded random weights (${config.backboneInit === 'auto' ? `no shipped weights for tinyWidth ${width}` : '--backbone-init scratch'})`);
    if (manifest) {
      const backbone = model.net.getLayer('backbone');
      if (!(backbone instanceof tfl.LayersModel)) throw new Error(`${config.method}: the backbone is not a nested model; cannot load pretrained weights into it`);
      const count = loadBackboneWeights(backbone, manifest, width);
      log(`backbone: ${count} pretrained tensors from ${path.relative(process.cwd(), manifest) || manifest}`);
    }
    return { model, progress: { epochsDone: 0, step: 0, rng: { seed: config.seed, nextEpoch: 0, nextStep: 0 }, history: [] } };
  } catch (err) {
    model.net.dispose();
    throw err;
  }
}
