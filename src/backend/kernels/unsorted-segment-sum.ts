/**
 * UnsortedSegmentSum for wasm (missing from stock 4.22.0; tf.gather's gradient needs it).
 * out[id, ...] += x[i, ...] for every leading index i of segmentIds; ids outside
 * [0, numSegments) are dropped, as TensorFlow does.
 */
import * as tf from '@tensorflow/tfjs-core';
import { compose, f32, i32, type Info, type KernelArgs } from './wasm-compose';

export function unsortedSegmentSumWasm(args: KernelArgs): Info {
  const { x, segmentIds } = args.inputs as { x: Info; segmentIds: Info };
  const { numSegments } = (args.attrs ?? {}) as unknown as tf.UnsortedSegmentSumAttrs;
  const idRank = segmentIds.shape.length;
  if (segmentIds.shape.some((d, i) => d !== x.shape[i])) {
    throw new Error(`UnsortedSegmentSum (wasm): segmentIds shape [${segmentIds.shape}] must be a prefix of x shape [${x.shape}]`);
  }
  if (x.dtype !== 'float32' && x.dtype !== 'int32') throw new Error(`UnsortedSegmentSum (wasm): unsupported dtype ${x.dtype}`);
  if (segmentIds.dtype !== 'int32') throw new Error(`UnsortedSegmentSum (wasm): segmentIds must be int32, got ${segmentIds.dtype}`);
  const inner = x.shape.slice(idRank).reduce((p, q) => p * q, 1);
  return compose(args.backend, (c) => {
    const out = c.backend.makeOutput([numSegments, ...x.shape.slice(idRank)], x.dtype);
    c.temps.push(out);
    const view = (t: Info) => (t.dtype === 'int32' ? i32(c.backend, t) : f32(c.backend, t));
    const ids = i32(c.backend, segmentIds);
    const src = view(x);
    const dst = view(out);
    const acc = new Float64Array(numSegments * inner);
    for (let i = 0; i < ids.length; i++) {
      const id = ids[i];
      if (id < 0 || id >= numSegments) continue;
      const s = i * inner;
      const d = id * inner;
      for (let k = 0; k < inner; k++) acc[d + k] += src[s + k];
    }
    dst.set(acc);
    return out;
  });
}
