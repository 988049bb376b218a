/**
 * Pretraining of the tiny backbone, the project's stand-in for ImageNet weights: a CAM classifier is
 * trained on image-level labels of Fashion-MNIST train items 0..49,999 on generated canvases (no boxes,
 * no masks, no other image source), then its backbone is written as a weights manifest. The run folder
 * is an ordinary training run, so pretraining is seeded, shows progress and resumes after a stop.
 */
import * as path from 'path';
import { fashionPretrainDataset } from '../data/fashion-clutter';
import { saveBackboneWeights, type BackboneWeightsManifest } from '../weights/pretrained-backbone';
import * as tfl from '@tensorflow/tfjs-layers';
import { DEFAULT_TRAIN_CONFIG, type TrainConfig } from './config';
import { train, type TrainCallbacks } from './trainer';

export interface PretrainOptions {
  seed: number;
  /** Training canvases (each a different item of the pool). */
  images: number;
  /** Held-out canvases from the same pool, for the accuracy the manifest records. */
  valImages: number;
  epochs: number;
  tinyWidth: number;
  imageSize: number;
  batchSize: number;
  learningRate: number;
  /** Folder of the pretraining run (resumable). */
  runDir: string;
  /** The manifest to write, without extension: `<base>.json` + `<base>.bin`. */
  outBase: string;
  callbacks?: TrainCallbacks;
  shouldStop?: () => boolean;
  /** The command line, recorded in the manifest. */
  command?: string;
}

/** The budget the shipped weights were made with (docs/method.md: "Pretrained backbone"). */
export const DEFAULT_PRETRAIN = { seed: 1, images: 40_000, valImages: 1_000, epochs: 5, tinyWidth: 16, imageSize: 64, batchSize: 32, learningRate: 2e-3 };

export async function pretrainBackbone(opts: PretrainOptions): Promise<{ manifest: BackboneWeightsManifest | null; stopped: boolean }> {
  const dataset = fashionPretrainDataset({ seed: opts.seed, count: opts.images, valCount: opts.valImages, imageSize: opts.imageSize });
  const config: Partial<TrainConfig> = {
    dataset: 'fashion-pretrain',
    method: 'cam',
    backbone: 'tiny',
    backboneInit: 'scratch',
    seed: opts.seed,
    epochs: opts.epochs,
    imageSize: opts.imageSize,
    batchSize: opts.batchSize,
    optimizer: { ...DEFAULT_TRAIN_CONFIG.optimizer, learningRate: opts.learningRate },
    evalLimit: opts.valImages,
    probes: 0,
    methodOptions: { tinyWidth: opts.tinyWidth },
  };
  const result = await train(config, { outDir: opts.runDir, resume: 'if-present', dataset, callbacks: opts.callbacks, shouldStop: opts.shouldStop });
  try {
    if (result.stopped) return { manifest: null, stopped: true };
    const backbone = result.model.net.getLayer('backbone');
    if (!(backbone instanceof tfl.LayersModel)) throw new Error('pretrain: the CAM model has no nested backbone');
    const manifest = saveBackboneWeights(backbone, opts.outBase, opts.tinyWidth, {
      command: opts.command ?? null,
      data: 'Fashion-MNIST train items 0..49,999 on generated canvases (fashion-clutter rendering, clutter from the same pool); image labels only',
      seed: opts.seed,
      images: opts.images,
      epochs: opts.epochs,
      imageSize: opts.imageSize,
      batchSize: opts.batchSize,
      learningRate: opts.learningRate,
      heldOutTop1Cls: result.metrics?.top1Cls ?? null,
      trainSeconds: Math.round(result.trainSeconds),
      run: path.basename(opts.runDir),
    });
    return { manifest, stopped: false };
  } finally {
    result.model.net.dispose();
  }
}
