/**
 * Conv2DBackpropInput for wasm (the stock kernel is a naive loop, ~10x a forward conv):
 * zero-insert dY by the stride, pad it by (k - 1 - pad), and run XNNPACK's forward
 * convolution with the spatially flipped filter whose in/out channels are swapped.
 * Zero-insertion is a reshape to [n, ho, 1, wo, 1, co], a pad to [n, ho, s, wo, s, co],
 * and a trim of the trailing s - 1 rows/cols.
 */
import type * as tf from '@tensorflow/tfjs-core';
import { conv2dInfo } from './conv2d-backprop-filter';
import { compose, padOrCrop, reshape, run, slice, transpose, type Info, type KernelArgs } from './wasm-compose';

export function conv2dBackpropInputWasm(args: KernelArgs): Info {
  const { dy, filter } = args.inputs as { dy: Info; filter: Info };
  const { inputShape } = (args.attrs ?? {}) as unknown as tf.Conv2DBackpropInputAttrs;
  const info = conv2dInfo(inputShape, filter.shape, args, 'Conv2DBackpropInput');
  if (info.strideHeight !== info.strideWidth) throw new Error('Conv2DBackpropInput (wasm): unequal strides are not supported');
  const [kh, kw] = filter.shape;
  const [n, H, W] = inputShape;
  const s = info.strideHeight;
  const { top, left } = info.padInfo;
  return compose(args.backend, (c) => {
    let d = dy;
    const [, ho, wo, co] = dy.shape;
    if (s > 1) {
      const r = reshape(c, d, [n, ho, 1, wo, 1, co]);
      const p = run(c, 'PadV2', { x: r }, { paddings: [[0, 0], [0, 0], [0, s - 1], [0, 0], [0, s - 1], [0, 0]], constantValue: 0 });
      const flat = reshape(c, p, [n, ho * s, wo * s, co]);
      d = slice(c, flat, [0, 0, 0, 0], [n, (ho - 1) * s + 1, (wo - 1) * s + 1, co]);
    }
    const dh = d.shape[1];
    const dw = d.shape[2];
    const padTop = kh - 1 - top;
    const padLeft = kw - 1 - left;
    const dp = padOrCrop(c, d, padTop, H + kh - 1 - dh - padTop, padLeft, W + kw - 1 - dw - padLeft);
    const flipped = run(c, 'Reverse', { x: filter }, { dims: [0, 1] });
    const swapped = transpose(c, flipped, [0, 1, 3, 2]); // [kh, kw, co, ci]
    return run(c, 'Conv2D', { x: dp, filter: swapped }, { strides: [1, 1], pad: 'valid', dataFormat: 'NHWC', dilations: [1, 1], dimRoundingMode: undefined });
  });
}
