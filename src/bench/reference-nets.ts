/**
 * The benchmark's fixed reference networks (the same layers in src/bench/torch_step.py):
 * - cnn3-112: conv3x3(3->32) ReLU, maxpool2, conv3x3(32->64) ReLU, maxpool2, conv3x3(64->128) ReLU,
 *   global average pool, dense(128->10); input 112x112x3, batch 16.
 * - vgg-64: [conv3x3 32, conv3x3 32, maxpool2, conv3x3 64, conv3x3 64, maxpool2, conv3x3 128,
 *   conv3x3 128], global average pool, dense(128->10); input 64x64x3, batch 16.
 * All convolutions use 'same' padding, stride 1, bias and ReLU fused into the convolution (as
 * tfjs-layers does for conv2d layers with an activation); max pooling is 2x2, stride 2; the dense
 * layer has no bias. One step = forward, softmax cross-entropy, backward, plain SGD update.
 */
import * as tf from '@tensorflow/tfjs-core';
import { Rng } from '../common/rng';

export type Layer = { kind: 'conv'; cin: number; cout: number } | { kind: 'pool' };

export interface ReferenceNet {
  name: string;
  inputSize: number;
  batch: number;
  classes: number;
  layers: Layer[];
}

export const REFERENCE_NETS: ReferenceNet[] = [
  {
    name: 'cnn3-112',
    inputSize: 112,
    batch: 16,
    classes: 10,
    layers: [{ kind: 'conv', cin: 3, cout: 32 }, { kind: 'pool' }, { kind: 'conv', cin: 32, cout: 64 }, { kind: 'pool' }, { kind: 'conv', cin: 64, cout: 128 }],
  },
  {
    name: 'vgg-64',
    inputSize: 64,
    batch: 16,
    classes: 10,
    layers: [
      { kind: 'conv', cin: 3, cout: 32 }, { kind: 'conv', cin: 32, cout: 32 }, { kind: 'pool' },
      { kind: 'conv', cin: 32, cout: 64 }, { kind: 'conv', cin: 64, cout: 64 }, { kind: 'pool' },
      { kind: 'conv', cin: 64, cout: 128 }, { kind: 'conv', cin: 128, cout: 128 },
    ],
  },
];

/** Multiply-adds of one forward pass over the batch (convs and the dense layer). */
export function forwardMacs(net: ReferenceNet): number {
  let size = net.inputSize;
  let macs = 0;
  let channels = 3;
  for (const l of net.layers) {
    if (l.kind === 'pool') size /= 2;
    else {
      macs += size * size * 9 * l.cin * l.cout;
      channels = l.cout;
    }
  }
  return (macs + channels * net.classes) * net.batch;
}

export interface BuiltNet {
  vars: tf.Variable[];
  step(lr: number): number;
  forward(): void;
  dispose(): void;
}

/** Builds the net with seeded weights and a fixed random batch on the current backend. */
export function buildReferenceNet(net: ReferenceNet, seed = 1): BuiltNet {
  const rng = new Rng(seed);
  const rand = (shape: number[], scale: number) => tf.tensor(Float32Array.from({ length: shape.reduce((a, b) => a * b, 1) }, () => (rng.next() * 2 - 1) * scale), shape);
  const vars: tf.Variable[] = [];
  let last = 3;
  tf.tidy(() => {
    for (const l of net.layers) {
      if (l.kind !== 'conv') continue;
      vars.push(tf.variable(rand([3, 3, l.cin, l.cout], Math.sqrt(6 / (9 * l.cin)))));
      vars.push(tf.variable(tf.zeros([l.cout])));
      last = l.cout;
    }
    vars.push(tf.variable(rand([last, net.classes], Math.sqrt(6 / last))));
  });
  const x = tf.tidy(() => rand([net.batch, net.inputSize, net.inputSize, 3], 1)) as tf.Tensor4D;
  const y = tf.tidy(() => tf.oneHot(tf.tensor1d(Array.from({ length: net.batch }, (_, i) => i % net.classes), 'int32'), net.classes));
  const logits = () => {
    let h: tf.Tensor4D = x;
    let v = 0;
    for (const l of net.layers) {
      if (l.kind === 'pool') h = tf.maxPool(h, 2, 2, 'same');
      else {
        h = tf.fused.conv2d({ x: h, filter: vars[v] as tf.Tensor4D, bias: vars[v + 1], strides: 1, pad: 'same', activation: 'relu' });
        v += 2;
      }
    }
    return tf.matMul(tf.mean(h, [1, 2]) as tf.Tensor2D, vars[v] as tf.Tensor2D);
  };
  return {
    vars,
    step(lr: number): number {
      return tf.tidy(() => {
        const { value, grads } = tf.variableGrads(() => tf.losses.softmaxCrossEntropy(y, logits()) as tf.Scalar, vars);
        for (const v of vars) v.assign(tf.sub(v, tf.mul(grads[v.name], lr)));
        return value.dataSync()[0];
      });
    },
    forward(): void {
      tf.tidy(() => logits().dataSync());
    },
    dispose(): void {
      tf.dispose([x, y, ...vars]);
    },
  };
}
