/**
 * CAAM, channel-wise assisted attention (our reconstruction of the paper's module):
 *   z = [GAP(F_A); GAP(F_B)] (2C),  u = ReLU(W1 z + b1) (2C/r),
 *   a_A = sigmoid(W_A u + b_A),  a_B = sigmoid(W_B u + b_B)  (C each),
 *   F'_A = a_A * F_A,  F'_B = a_B * F_B.
 * Each branch's channel weights see the other branch's evidence. Input/output: [F_A, F_B], NHWC.
 */
import * as tf from '@tensorflow/tfjs-core';
import * as tfl from '@tensorflow/tfjs-layers';

export interface ChannelAssistedAttentionArgs {
  reduction: number;
  name?: string;
}

type Shape = (number | null)[];

export class ChannelAssistedAttention extends tfl.layers.Layer {
  static className = 'ChannelAssistedAttention';
  readonly reduction: number;
  private w1!: tfl.LayerVariable;
  private b1!: tfl.LayerVariable;
  private wa!: tfl.LayerVariable;
  private ba!: tfl.LayerVariable;
  private wb!: tfl.LayerVariable;
  private bb!: tfl.LayerVariable;

  constructor(args: ChannelAssistedAttentionArgs) {
    super({ name: args.name });
    if (!(args.reduction >= 1)) throw new Error(`caamReduction must be >= 1, got ${args.reduction}`);
    this.reduction = args.reduction;
  }

  override build(inputShape: Shape | Shape[]): void {
    const c = (inputShape as Shape[])[0][3] as number;
    const hidden = Math.max(1, Math.floor((2 * c) / this.reduction));
    const glorot = tfl.initializers.glorotUniform({});
    const zeros = tfl.initializers.zeros();
    this.w1 = this.addWeight('w1', [2 * c, hidden], 'float32', glorot);
    this.b1 = this.addWeight('b1', [hidden], 'float32', zeros);
    this.wa = this.addWeight('wa', [hidden, c], 'float32', glorot);
    this.ba = this.addWeight('ba', [c], 'float32', zeros);
    this.wb = this.addWeight('wb', [hidden, c], 'float32', glorot);
    this.bb = this.addWeight('bb', [c], 'float32', zeros);
    this.built = true;
  }

  override computeOutputShape(inputShape: Shape | Shape[]): Shape[] {
    const shapes = inputShape as Shape[];
    return [shapes[0], shapes[1]];
  }

  /** Channel weights [a_A, a_B], each [n, C] in (0, 1). */
  channelWeights(fa: tf.Tensor4D, fb: tf.Tensor4D): [tf.Tensor2D, tf.Tensor2D] {
    return tf.tidy(() => {
      const z = tf.concat([tf.mean(fa, [1, 2]), tf.mean(fb, [1, 2])], 1);
      const u = tf.relu(tf.add(tf.matMul(z as tf.Tensor2D, this.w1.read() as tf.Tensor2D), this.b1.read()));
      const a = tf.sigmoid(tf.add(tf.matMul(u as tf.Tensor2D, this.wa.read() as tf.Tensor2D), this.ba.read())) as tf.Tensor2D;
      const b = tf.sigmoid(tf.add(tf.matMul(u as tf.Tensor2D, this.wb.read() as tf.Tensor2D), this.bb.read())) as tf.Tensor2D;
      return [a, b];
    });
  }

  override call(inputs: tf.Tensor | tf.Tensor[]): tf.Tensor[] {
    return tf.tidy(() => {
      const [fa, fb] = inputs as tf.Tensor4D[];
      const [a, b] = this.channelWeights(fa, fb);
      const c = fa.shape[3];
      return [tf.mul(fa, tf.reshape(a, [-1, 1, 1, c])), tf.mul(fb, tf.reshape(b, [-1, 1, 1, c]))];
    });
  }

  override getConfig(): tf.serialization.ConfigDict {
    return { ...super.getConfig(), reduction: this.reduction };
  }
}
tf.serialization.registerClass(ChannelAssistedAttention);
