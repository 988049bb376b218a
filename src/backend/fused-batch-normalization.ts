/**
 * tfjs-layers' BatchNormalization whose training pass runs the fused batch-norm op (fused-ops.ts):
 * one kernel forward and one backward where the engine has them, instead of tf.moments, batchNorm
 * and their ~20-op gradient. Inference, the moving averages and the saved config are the stock
 * layer's, and it registers under the stock class name, so saved models keep loading everywhere
 * (a plain tfjs page reads them as the stock layer) and models loaded here train fused.
 */
import * as tf from '@tensorflow/tfjs-core';
import * as tfl from '@tensorflow/tfjs-layers';
import { batchNormTrain } from './fused-ops';

type BatchNormArgs = Parameters<typeof tfl.layers.batchNormalization>[0];
type Kwargs = Record<string, unknown>;

/** The parts of the stock layer's state that the fused training pass reads (private in its typings). */
interface StockState {
  axis: number;
  momentum: number;
  epsilon: number;
  center: boolean;
  scale: boolean;
  gamma: tfl.LayerVariable;
  beta: tfl.LayerVariable;
  movingMean: tfl.LayerVariable;
  movingVariance: tfl.LayerVariable;
}

// tfjs-layers exports the layer's factory, not its class.
const StockBatchNormalization = tfl.layers.batchNormalization({}).constructor as new (args?: BatchNormArgs) => tfl.layers.Layer;

export class FusedBatchNormalization extends StockBatchNormalization {
  static className = 'BatchNormalization';

  override call(inputs: tf.Tensor | tf.Tensor[], kwargs: Kwargs): tf.Tensor | tf.Tensor[] {
    const s = this as unknown as StockState;
    const x = Array.isArray(inputs) ? inputs[0] : inputs;
    const channelsLast = s.axis === -1 || s.axis === x.rank - 1;
    if (!kwargs.training || !channelsLast || !s.center || !s.scale) return super.call(inputs, kwargs);
    return tf.tidy(() => {
      const { y, mean, variance } = batchNormTrain(x, s.gamma.read() as tf.Tensor1D, s.beta.read() as tf.Tensor1D, s.epsilon);
      // The stock layer's moving-average update, op for op: moving -= (moving - batch) * (1 - momentum).
      for (const [moving, batch] of [[s.movingMean, mean], [s.movingVariance, variance]] as const) {
        tf.tidy(() => {
          const old = moving.read();
          moving.write(tf.sub(old, tf.mul(tf.sub(old, batch), 1 - s.momentum)));
        });
      }
      return y;
    });
  }
}
// Replaces the stock class for deserialisation (same class name, same config).
tf.serialization.registerClass(FusedBatchNormalization as unknown as tf.serialization.SerializableConstructor<tf.serialization.Serializable>);

/** A BatchNormalization layer with the fused training pass (the arguments of tfl.layers.batchNormalization). */
export function fusedBatchNormalization(args: BatchNormArgs): tfl.layers.Layer {
  return new FusedBatchNormalization(args);
}
