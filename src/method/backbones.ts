/**
 * Backbones that turn an image [n, S, S, 3] into features [n, h, w, C].
 * - vgg16: VGG16 as WSOL papers use it: conv5 without its last pooling, so 224 px -> 14x14x512.
 *   Layers are named as in Keras (block1_conv1 ... block5_conv3) so ImageNet weights load by name.
 * - tiny: a small VGG-style CNN for CPU tutorials: 2 pooled blocks and a last block without
 *   pooling, so 64 px -> 16x16 (stride 4), widths w, 2w, 4w. Each conv is followed by batch
 *   normalisation (our choice): without it, training from scratch at tutorial budgets collapsed the
 *   activations within 20 steps and CAM stayed near chance for epochs.
 */
import * as tfl from '@tensorflow/tfjs-layers';
import type { BackboneConfig } from './method-config';
import { fusedBatchNormalization } from '../backend/fused-batch-normalization';

/** Optional layer inserted after a block (ADL uses this); `block` counts from 1. */
export type BlockHook = (block: number, channels: number) => tfl.layers.Layer | null;

const VGG16_BLOCKS: [number, number][] = [
  [64, 2],
  [128, 2],
  [256, 3],
  [512, 3],
  [512, 3],
];

function tinyBlocks(width: number): [number, number][] {
  return [
    [width, 1],
    [2 * width, 1],
    [4 * width, 2],
  ];
}

/** Moving-average momentum of the batch statistics: runs of a few hundred steps need a short memory. */
const BN_MOMENTUM = 0.9;

export function backboneStride(name: BackboneConfig['name']): number {
  return name === 'vgg16' ? 16 : 4;
}

export function backboneChannels(config: BackboneConfig): number {
  return config.name === 'vgg16' ? 512 : 4 * config.tinyWidth;
}

export function buildBackbone(config: BackboneConfig, inputSize: number, hook?: BlockHook): tfl.Sequential {
  const blocks = config.name === 'vgg16' ? VGG16_BLOCKS : tinyBlocks(config.tinyWidth);
  if (inputSize % backboneStride(config.name) !== 0) {
    throw new Error(`inputSize ${inputSize} must be a multiple of ${backboneStride(config.name)} for the ${config.name} backbone`);
  }
  const model = tfl.sequential({ name: 'backbone' });
  const normalize = config.name === 'tiny';
  blocks.forEach(([channels, convs], b) => {
    for (let i = 0; i < convs; i++) {
      const name = `block${b + 1}_conv${i + 1}`;
      model.add(
        tfl.layers.conv2d({
          name,
          filters: channels,
          kernelSize: 3,
          padding: 'same',
          activation: normalize ? 'linear' : 'relu',
          useBias: !normalize,
          kernelInitializer: 'heUniform',
          ...(model.layers.length === 0 ? { inputShape: [inputSize, inputSize, 3] } : {}),
        }),
      );
      if (normalize) {
        model.add(fusedBatchNormalization({ name: `${name}_bn`, momentum: BN_MOMENTUM, epsilon: 1e-3 }));
        model.add(tfl.layers.activation({ name: `${name}_relu`, activation: 'relu' }));
      }
    }
    // The last block keeps its resolution: CAMs need spatial detail.
    if (b < blocks.length - 1) model.add(tfl.layers.maxPooling2d({ name: `block${b + 1}_pool`, poolSize: 2, strides: 2 }));
    const extra = hook?.(b + 1, channels);
    if (extra) model.add(extra);
  });
  return model;
}

/** A classifier head: 3x3 conv + ReLU, then a 1x1 conv to K class activation maps. */
export function buildClassifierHead(name: string, inChannels: number, mapSize: number, headWidth: number, numClasses: number): tfl.Sequential {
  return tfl.sequential({
    name,
    layers: [
      tfl.layers.conv2d({ name: `${name}_conv`, inputShape: [mapSize, mapSize, inChannels], filters: headWidth, kernelSize: 3, padding: 'same', activation: 'relu', kernelInitializer: 'heUniform' }),
      tfl.layers.conv2d({ name: `${name}_cam`, filters: numClasses, kernelSize: 1, padding: 'same' }),
    ],
  });
}
