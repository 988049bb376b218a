/**
 * The PyTorch twin of a method net, read off the tfjs-layers model itself (so it follows any
 * change to the layers): the leaf layers in order (convolutions, batch normalisation, activations,
 * max pooling), the loss (CE on the spatial mean of the last layer: CAM's logits) and the trainer's
 * optimiser (Adam with decoupled weight decay = PyTorch's AdamW). src/bench/torch_step.py builds it.
 *
 * CAM's step is "CE(GAP(net(x)))". The complementary methods (ours and its ablations) get a twin of
 * their whole step (complementaryTwinOf): complementary dropout, the shared backbone, CAAM, SSAM
 * (local for a window > 0), the two heads and the loss of their resolved config (branch and
 * full-image cross-entropy, the gated fusion loss). `complementaryTwinWeights` hands the twin the
 * tfjs weights, so both compute the same loss on the same inputs (test/bench/torch-twin.test.ts).
 */
import type * as tf from '@tensorflow/tfjs-core';
import type * as tfl from '@tensorflow/tfjs-layers';
import type { ComplementaryModel } from '../method/complementary-network';
import type { DropoutConfig, LossConfig } from '../method/method-config';
import { DEFAULT_TRAIN_CONFIG } from '../train/config';

export type TorchLayer =
  | { kind: 'conv'; cin: number; cout: number; k: number; stride: number; padding: 'same' | 'valid'; bias: boolean; act: string }
  | { kind: 'bn'; c: number; eps: number; momentum: number }
  | { kind: 'act'; act: string }
  | { kind: 'pool'; size: number; stride: number; padding: 'same' | 'valid' };

export type TorchOptimizer = { name: 'adamw'; lr: number; weightDecay: number; betas: [number, number]; eps: number };

export interface TorchTwin {
  layers: TorchLayer[];
  /** 'gap': the logits are the spatial mean of the last layer (CAM). */
  head: 'gap';
  optimizer: TorchOptimizer;
}

/** The twin of a complementary method's step (torch_step.py's `complementary` kind). */
export interface ComplementaryTwin {
  kind: 'complementary';
  /** The backbone's leaf layers (no head). */
  layers: TorchLayer[];
  channels: number;
  /** Feature-map stride of the backbone (pixels per feature cell). */
  stride: number;
  caam: { reduction: number } | null;
  ssam: { queryReduction: number; window: number } | null;
  headWidth: number;
  dropout: DropoutConfig;
  loss: LossConfig;
  optimizer: TorchOptimizer;
}

const TWIN_METHODS = ['cam'];

type Leaf = { getClassName(): string; getConfig(): Record<string, unknown>; getWeights(): { shape: number[] }[]; name: string };

function leaves(layer: unknown): Leaf[] {
  const nested = (layer as { layers?: unknown[] }).layers;
  if (Array.isArray(nested)) return nested.flatMap(leaves);
  return [layer as Leaf];
}

const pair = (v: unknown): number[] => (Array.isArray(v) ? (v as number[]) : [v as number, v as number]);

function square(v: unknown, what: string): number {
  const [a, b] = pair(v);
  if (a !== b) throw new Error(`${what} ${a}x${b} is not square`);
  return a;
}

/** The leaf layers of `net` in order (throws for a layer without a PyTorch counterpart). */
function leafLayers(net: unknown): TorchLayer[] {
  const layers: TorchLayer[] = [];
  for (const l of leaves(net)) {
    const c = l.getConfig();
    switch (l.getClassName()) {
      case 'InputLayer':
        break;
      case 'Conv2D': {
        const kernel = l.getWeights()[0].shape;
        if (square(c.dilationRate ?? 1, `${l.name} dilation`) !== 1) throw new Error(`${l.name}: dilated convolution`);
        layers.push({
          kind: 'conv', cin: kernel[2], cout: kernel[3], k: square(c.kernelSize, `${l.name} kernel`), stride: square(c.strides ?? 1, `${l.name} strides`),
          padding: c.padding as 'same' | 'valid', bias: c.useBias !== false, act: String(c.activation ?? 'linear'),
        });
        break;
      }
      case 'BatchNormalization':
        layers.push({ kind: 'bn', c: l.getWeights()[0].shape[0], eps: c.epsilon as number, momentum: c.momentum as number });
        break;
      case 'Activation':
        layers.push({ kind: 'act', act: String(c.activation) });
        break;
      case 'MaxPooling2D':
        layers.push({ kind: 'pool', size: square(c.poolSize, `${l.name} pool`), stride: square(c.strides ?? c.poolSize, `${l.name} strides`), padding: c.padding as 'same' | 'valid' });
        break;
      default:
        throw new Error(`layer ${l.name} (${l.getClassName()}) has no PyTorch counterpart here`);
    }
  }
  return layers;
}

/** The trainer's optimiser as PyTorch's AdamW, or why it has no counterpart. */
function torchOptimizer(): TorchOptimizer | string {
  const o = DEFAULT_TRAIN_CONFIG.optimizer;
  if (o.name !== 'adam' || o.weightDecayMode !== 'decoupled') return `no PyTorch twin: the trainer's optimiser (${o.name}, ${o.weightDecayMode}) is not AdamW`;
  return { name: 'adamw', lr: o.learningRate, weightDecay: o.weightDecay, betas: [o.beta1, o.beta2], eps: o.epsilon };
}

/** The twin of `net` for `method`, or the reason there is none. */
export function torchTwinOf(net: tfl.LayersModel, method: string): TorchTwin | string {
  if (!TWIN_METHODS.includes(method)) return `no PyTorch twin: the ${method} step is not a plain CE(GAP(net(x))) step`;
  let layers: TorchLayer[];
  try {
    layers = leafLayers(net);
  } catch (err) {
    return `no PyTorch twin: ${(err as Error).message}`;
  }
  const optimizer = torchOptimizer();
  if (typeof optimizer === 'string') return optimizer;
  return { layers, head: 'gap', optimizer };
}

/** The twin of a complementary method's whole training step, or the reason there is none. */
export function complementaryTwinOf(model: ComplementaryModel): ComplementaryTwin | string {
  const r = model.resolved;
  let layers: TorchLayer[];
  try {
    layers = leafLayers(model.backbone);
  } catch (err) {
    return `no PyTorch twin: ${(err as Error).message}`;
  }
  const optimizer = torchOptimizer();
  if (typeof optimizer === 'string') return optimizer;
  const channels = (model.backbone.outputs[0].shape[3] as number);
  const mapSize = model.backbone.outputs[0].shape[1] as number;
  return {
    kind: 'complementary',
    layers,
    channels,
    stride: r.inputSize / mapSize,
    caam: model.caam ? { reduction: model.caam.reduction } : null,
    ssam: model.ssam ? { queryReduction: model.ssam.queryReduction, window: model.ssam.window } : null,
    headWidth: r.backbone.headWidth,
    dropout: r.dropout,
    loss: r.loss,
    optimizer,
  };
}

/** A weight as torch_step.py reads it: shape and values, in tfjs's layout. */
export type TwinWeight = { shape: number[]; values: number[] };

/**
 * Every weight the twin needs, by role, in tfjs's layouts (torch_step.py transposes): the backbone's
 * weights in layer order (conv kernels; batch-norm gamma, beta, moving mean, moving variance), CAAM's
 * and SSAM's matrices, and each head's two kernels and biases.
 */
export function complementaryTwinWeights(model: ComplementaryModel): Record<string, TwinWeight[]> {
  const read = (ws: tf.Tensor[]) => ws.map((t) => ({ shape: t.shape, values: Array.from(t.dataSync()) }));
  return {
    // Layer by layer: a model's getWeights() puts every trainable weight before the moving statistics.
    backbone: read(leaves(model.backbone).flatMap((l) => (l as unknown as tfl.layers.Layer).getWeights())),
    caam: model.caam ? read(model.caam.getWeights()) : [],
    ssam: model.ssam ? read(model.ssam.getWeights()) : [],
    headA: read(model.headA.getWeights()),
    headB: read(model.headB.getWeights()),
  };
}
