/**
 * Re-draws a network's initial weights from the run seed. tfjs-layers initialisers draw from
 * an unseeded generator, so without this two runs with the same seed would start apart and
 * a resumed run could not be compared with an uninterrupted one.
 */
import * as tf from '@tensorflow/tfjs-core';
import type * as tfl from '@tensorflow/tfjs-layers';
import { Rng } from '../common/rng';

/**
 * Constant weights (biases, SSAM's gamma = 0) keep their value. Conv kernels (rank 4, followed by
 * ReLU) get a He-uniform draw, limit sqrt(6 / fanIn), which keeps activations from shrinking layer
 * after layer; other matrices (attention projections) get Glorot-uniform, sqrt(6 / (fanIn + fanOut)).
 */
export function seedInitialWeights(net: tfl.LayersModel, seed: number): void {
  const rng = Rng.derive(seed, 0x1a17);
  tf.tidy(() => {
    for (const w of net.weights) {
      const value = w.read();
      const flat = value.dataSync();
      if (flat.every((x) => x === flat[0])) continue;
      const shape = value.shape;
      const receptive = shape.slice(0, -2).reduce((a, b) => a * b, 1);
      const fanIn = shape.length >= 2 ? shape[shape.length - 2] * receptive : shape[0];
      const fanOut = shape.length >= 2 ? shape[shape.length - 1] * receptive : shape[0];
      const limit = shape.length === 4 ? Math.sqrt(6 / fanIn) : Math.sqrt(6 / (fanIn + fanOut));
      const fresh = new Float32Array(flat.length);
      for (let i = 0; i < fresh.length; i++) fresh[i] = (2 * rng.next() - 1) * limit;
      w.write(tf.tensor(fresh, shape));
    }
  });
}
