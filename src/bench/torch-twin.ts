/**
 * The PyTorch twin of a method net, read off the tfjs-layers model itself (so it follows any
 * change to the layers): the leaf layers in order (convolutions, batch normalisation, activations,
 * max pooling), the loss (CE on the spatial mean of the last layer: CAM's logits) and the trainer's
 * optimiser (Adam with decoupled weight decay = PyTorch's AdamW). src/bench/torch_step.py builds it.
 *
 * Only methods whose training step is exactly "CE(GAP(net(x)))" get a twin (CAM); the others mix
 * in dropout passes, attention modules and fusion losses that have no PyTorch counterpart here.
 */
import type * as tfl from '@tensorflow/tfjs-layers';
import { DEFAULT_TRAIN_CONFIG } from '../train/config';

export type TorchLayer =
  | { kind: 'conv'; cin: number; cout: number; k: number; stride: number; padding: 'same' | 'valid'; bias: boolean; act: string }
  | { kind: 'bn'; c: number; eps: number; momentum: number }
  | { kind: 'act'; act: string }
  | { kind: 'pool'; size: number; stride: number; padding: 'same' | 'valid' };

export interface TorchTwin {
  layers: TorchLayer[];
  /** 'gap': the logits are the spatial mean of the last layer (CAM). */
  head: 'gap';
  optimizer: { name: 'adamw'; lr: number; weightDecay: number; betas: [number, number]; eps: number };
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

/** The twin of `net` for `method`, or the reason there is none. */
export function torchTwinOf(net: tfl.LayersModel, method: string): TorchTwin | string {
  if (!TWIN_METHODS.includes(method)) return `no PyTorch twin: the ${method} step is not a plain CE(GAP(net(x))) step`;
  const layers: TorchLayer[] = [];
  try {
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
  } catch (err) {
    return `no PyTorch twin: ${(err as Error).message}`;
  }
  const o = DEFAULT_TRAIN_CONFIG.optimizer;
  if (o.name !== 'adam' || o.weightDecayMode !== 'decoupled') return `no PyTorch twin: the trainer's optimiser (${o.name}, ${o.weightDecayMode}) is not AdamW`;
  return { layers, head: 'gap', optimizer: { name: 'adamw', lr: o.learningRate, weightDecay: o.weightDecay, betas: [o.beta1, o.beta2], eps: o.epsilon } };
}
