/**
 * ADL (Choe & Shim 2019), attention-based dropout: from the channel-mean attention of a
 * feature map, either a drop mask (0 where attention >= threshold * max, hiding the most
 * discriminative part) or an importance map (sigmoid of the attention) scales the features.
 * Per image the drop mask is chosen with probability dropRate. Training only: identity at inference.
 * Draws are seeded: the owning model sets (seed, step) before each training pass.
 */
import * as tf from '@tensorflow/tfjs-core';
import * as tfl from '@tensorflow/tfjs-layers';
import { Rng } from '../../common/rng';

export interface AttentionDropoutArgs {
  dropRate: number;
  threshold: number;
  name?: string;
}

export class AttentionDropout extends tfl.layers.Layer {
  static className = 'AttentionDropout';
  readonly dropRate: number;
  readonly threshold: number;
  seed = 0;
  step = 0;

  constructor(args: AttentionDropoutArgs) {
    super({ name: args.name });
    this.dropRate = args.dropRate;
    this.threshold = args.threshold;
  }

  override computeOutputShape(inputShape: (number | null)[] | (number | null)[][]): (number | null)[] {
    return inputShape as (number | null)[];
  }

  /** The two candidate maps [n, h, w, 1]: the drop mask and the importance map. */
  maps(f: tf.Tensor4D): { dropMask: tf.Tensor4D; importance: tf.Tensor4D } {
    return tf.tidy(() => {
      const attention = tf.mean(f, 3, true);
      const peak = tf.max(attention, [1, 2], true);
      // step(threshold * max - a): 0 where a >= threshold * max (step(0) = 0), else 1.
      // Step has a (zero) gradient; Less has none in tfjs.
      const dropMask = tf.step(tf.sub(tf.mul(peak, this.threshold), attention)) as tf.Tensor4D;
      return { dropMask, importance: tf.sigmoid(attention) as tf.Tensor4D };
    });
  }

  /** Which images use the drop mask at this (seed, step): 1 = drop mask. */
  choices(n: number): Float32Array {
    const rng = Rng.derive(this.seed, this.step, 0xad1);
    return Float32Array.from({ length: n }, () => (rng.next() < this.dropRate ? 1 : 0));
  }

  override call(inputs: tf.Tensor | tf.Tensor[], kwargs: { training?: boolean }): tf.Tensor {
    const f = (Array.isArray(inputs) ? inputs[0] : inputs) as tf.Tensor4D;
    if (!kwargs.training) return tf.clone(f);
    return tf.tidy(() => {
      const { dropMask, importance } = this.maps(f);
      const pick = tf.tensor4d(this.choices(f.shape[0]), [f.shape[0], 1, 1, 1]);
      const selected = tf.add(tf.mul(pick, dropMask), tf.mul(tf.sub(1, pick), importance));
      return tf.mul(f, selected);
    });
  }

  override getConfig(): tf.serialization.ConfigDict {
    return { ...super.getConfig(), dropRate: this.dropRate, threshold: this.threshold };
  }
}
tf.serialization.registerClass(AttentionDropout);
