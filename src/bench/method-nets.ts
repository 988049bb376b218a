/**
 * The benchmark's method nets: one real training step (src/train/train-step.ts, the trainer's
 * optimiser) of a method built through the registry (src/method/registry.ts) at the tutorial size
 * (tiny backbone, 64 px, batch 16, the `parts` dataset's 8 classes). Built through the registry,
 * they follow any change to the method's layers (e.g. normalisation in the tiny backbone).
 */
import * as tf from '@tensorflow/tfjs-core';
import { Rng } from '../common/rng';
import { ComplementaryModel } from '../method/complementary-network';
import { createModel } from '../method/registry';
import { DEFAULT_TRAIN_CONFIG } from '../train/config';
import { WsolOptimizer } from '../train/optimizer';
import { trainStep } from '../train/train-step';
import type { BuiltNet } from './reference-nets';
import { complementaryTwinOf, torchTwinOf, type ComplementaryTwin, type TorchTwin } from './torch-twin';

export interface MethodNet {
  name: string;
  method: string;
  inputSize: number;
  batch: number;
  classes: number;
}

const TUTORIAL = { inputSize: DEFAULT_TRAIN_CONFIG.imageSize, batch: DEFAULT_TRAIN_CONFIG.batchSize, classes: 8 };

export const METHOD_NETS: MethodNet[] = [
  { name: 'cam', method: 'cam', ...TUTORIAL },
  { name: 'ours', method: 'ours', ...TUTORIAL },
];

export interface BuiltMethodNet extends BuiltNet {
  /** The PyTorch twin of the net's layers, or why there is none. */
  twin: TorchTwin | ComplementaryTwin | string;
}

/** Builds the method's model with a fixed random batch on the current backend. */
export function buildMethodNet(net: MethodNet, seed = 1): BuiltMethodNet {
  const before = new Set(Object.keys(tf.engine().registeredVariables));
  const model = createModel({ method: net.method, backbone: 'tiny', numClasses: net.classes, inputSize: net.inputSize });
  const optimizer = new WsolOptimizer(DEFAULT_TRAIN_CONFIG.optimizer);
  const rng = new Rng(seed);
  const size = net.batch * net.inputSize * net.inputSize * 3;
  const images = tf.tensor4d(Float32Array.from({ length: size }, () => rng.normal()), [net.batch, net.inputSize, net.inputSize, 3]);
  const labels = Int32Array.from({ length: net.batch }, (_, i) => i % net.classes);
  let step = 0;
  return {
    vars: model.net.trainableWeights.map((w) => w.read() as tf.Variable),
    twin: model instanceof ComplementaryModel ? complementaryTwinOf(model) : torchTwinOf(model.net, net.method),
    step(lr: number): number {
      return trainStep(model, optimizer, images, labels, { step: step++, seed }, lr).loss;
    },
    forward(): void {
      const p = model.predict(images);
      p.logits.dataSync();
      tf.dispose([p.logits, p.cams]);
    },
    dispose(): void {
      optimizer.dispose();
      model.net.dispose();
      images.dispose();
      // `net.dispose()` leaves the weights of layers the model applies more than once (ours: the
      // backbone and SSAM, 24 variables); the bench builds many nets in one process, so free them.
      for (const [name, v] of Object.entries(tf.engine().registeredVariables)) if (!before.has(name)) v.dispose();
    },
  };
}
