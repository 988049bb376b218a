/**
 * The fused training ops (src/backend/fused-ops.ts) as native kernels of the wasm backend: each one
 * allocates its outputs with the wasm backend and has the addon read and write the wasm heap in
 * place, like kernels.ts. Unlike those, there is no stock kernel to fall back to: fused-ops.ts
 * runs its reference ops when these are not registered (native switched off or not built).
 */
import * as tf from '@tensorflow/tfjs-core';
import { FUSED_KERNELS } from '../fused-ops';
import type { Info, KernelArgs, WasmBackend } from '../kernels/wasm-compose';
import type { NativeAddon } from './addon';

type Heap = { wasm: { HEAPU8: Uint8Array } };

const size = (shape: number[]) => shape.reduce((a, b) => a * b, 1);

function requireFloat32(kernel: string, inputs: Record<string, Info>): void {
  for (const [name, t] of Object.entries(inputs)) {
    if (t.dtype !== 'float32') throw new Error(`${kernel}: input ${name} must be float32, got ${t.dtype}`);
  }
}

/** Allocates the outputs, then calls the addon with the heap taken after every allocation. */
function withOutputs(backend: WasmBackend, shapes: number[][], call: (heap: Uint8Array, outs: number[]) => void): Info[] {
  const outs = shapes.map((s) => backend.makeOutput(s, 'float32'));
  try {
    call((backend as unknown as Heap).wasm.HEAPU8, outs.map((o) => backend.dataIdMap.get(o.dataId).memoryOffset));
    return outs;
  } catch (err) {
    for (const o of outs) backend.disposeData(o.dataId);
    throw err;
  }
}

function adamWKernel(addon: NativeAddon) {
  return (args: KernelArgs): Info[] => {
    const inputs = args.inputs as Record<string, Info>;
    const a = args.attrs as { count: number; step: number; rates: number[]; decays: number[]; decoupled: boolean; beta1: number; beta2: number; epsilon: number };
    requireFloat32(FUSED_KERNELS.adamW, inputs);
    const backend = args.backend as WasmBackend;
    const at = (t: Info) => backend.dataIdMap.get(t.dataId).memoryOffset;
    const shapes: number[][] = [];
    for (let i = 0; i < a.count; i++) {
      const w = inputs[`weight${i}`];
      for (const part of ['grad', 'm', 's']) {
        const t = inputs[`${part}${i}`];
        if (!t || !tf.util.arraysEqual(t.shape, w.shape)) throw new Error(`${FUSED_KERNELS.adamW}: ${part}${i} must have the shape of weight${i} [${w.shape}]`);
      }
      shapes.push(w.shape, w.shape, w.shape);
    }
    return withOutputs(backend, shapes, (heap, outs) => {
      const params = [a.count, a.step, a.decoupled ? 1 : 0, a.beta1, a.beta2, a.epsilon];
      for (let i = 0; i < a.count; i++) {
        const w = inputs[`weight${i}`];
        params.push(size(w.shape), a.rates[i], a.decays[i], at(w), at(inputs[`grad${i}`]), at(inputs[`m${i}`]), at(inputs[`s${i}`]), outs[3 * i], outs[3 * i + 1], outs[3 * i + 2]);
      }
      addon.adamW(heap, Float64Array.from(params));
    });
  };
}

/** Checks per-channel inputs (one value per channel of `x`'s last axis). */
function channels(kernel: string, x: Info, perChannel: Record<string, Info>): number {
  if (x.shape.length === 0) throw new Error(`${kernel}: x must have a channel axis`);
  const c = x.shape[x.shape.length - 1];
  for (const [name, t] of Object.entries(perChannel)) {
    if (size(t.shape) !== c) throw new Error(`${kernel}: ${name} must hold one value per channel (${c}), got shape [${t.shape}]`);
  }
  return c;
}

function batchNormTrainKernel(addon: NativeAddon) {
  return (args: KernelArgs): Info[] => {
    const { x, gamma, beta } = args.inputs as { x: Info; gamma: Info; beta: Info };
    const { epsilon } = args.attrs as { epsilon: number };
    requireFloat32(FUSED_KERNELS.batchNormTrain, { x, gamma, beta });
    const c = channels(FUSED_KERNELS.batchNormTrain, x, { gamma, beta });
    const backend = args.backend as WasmBackend;
    const at = (t: Info) => backend.dataIdMap.get(t.dataId).memoryOffset;
    return withOutputs(backend, [x.shape, [c], [c]], (heap, [y, mean, variance]) =>
      addon.batchNormTrain(heap, Float64Array.from([size(x.shape), c, epsilon, at(x), at(gamma), at(beta), y, mean, variance])),
    );
  };
}

function batchNormTrainGradKernel(addon: NativeAddon) {
  return (args: KernelArgs): Info[] => {
    const inputs = args.inputs as { dy: Info; x: Info; gamma: Info; mean: Info; variance: Info; dMean: Info; dVariance: Info };
    const { epsilon } = args.attrs as { epsilon: number };
    requireFloat32(FUSED_KERNELS.batchNormTrainGrad, inputs);
    const { dy, x, gamma, mean, variance, dMean, dVariance } = inputs;
    if (!tf.util.arraysEqual(dy.shape, x.shape)) throw new Error(`${FUSED_KERNELS.batchNormTrainGrad}: dy [${dy.shape}] must have the shape of x [${x.shape}]`);
    const c = channels(FUSED_KERNELS.batchNormTrainGrad, x, { gamma, mean, variance, dMean, dVariance });
    const backend = args.backend as WasmBackend;
    const at = (t: Info) => backend.dataIdMap.get(t.dataId).memoryOffset;
    return withOutputs(backend, [x.shape, [c], [c]], (heap, [dx, dGamma, dBeta]) =>
      addon.batchNormTrainGrad(
        heap,
        Float64Array.from([size(x.shape), c, epsilon, at(dy), at(x), at(gamma), at(mean), at(variance), at(dMean), at(dVariance), dx, dGamma, dBeta]),
      ),
    );
  };
}

/** The n, h, w, d, c of a local attention's inputs (checked), for the addon. */
function windowShape(kernel: string, q: Info, k: Info, v: Info, radius: number): number[] {
  if (q.shape.length !== 4 || !tf.util.arraysEqual(q.shape, k.shape) || !tf.util.arraysEqual(q.shape.slice(0, 3), v.shape.slice(0, 3))) {
    throw new Error(`${kernel}: q [${q.shape}], k [${k.shape}] and v [${v.shape}] must be [n, h, w, d], [n, h, w, d] and [n, h, w, c]`);
  }
  if (!(Number.isInteger(radius) && radius >= 1)) throw new Error(`${kernel}: radius must be an integer >= 1, got ${radius}`);
  return [...q.shape, v.shape[3]];
}

function localAttentionKernel(addon: NativeAddon) {
  return (args: KernelArgs): Info[] => {
    const { q, k, v } = args.inputs as { q: Info; k: Info; v: Info };
    const { radius, scale } = args.attrs as { radius: number; scale: number };
    requireFloat32(FUSED_KERNELS.localAttention, { q, k, v });
    const [n, h, w, d, c] = windowShape(FUSED_KERNELS.localAttention, q, k, v, radius);
    const backend = args.backend as WasmBackend;
    const at = (t: Info) => backend.dataIdMap.get(t.dataId).memoryOffset;
    return withOutputs(backend, [v.shape, [n, h, w, (2 * radius + 1) ** 2]], (heap, [context, weights]) =>
      addon.localAttention(heap, Float64Array.from([n, h, w, d, c, radius, scale, at(q), at(k), at(v), context, weights])),
    );
  };
}

function localAttentionGradKernel(addon: NativeAddon) {
  return (args: KernelArgs): Info[] => {
    const inputs = args.inputs as { dContext: Info; dWeights: Info; q: Info; k: Info; v: Info; weights: Info };
    const { radius, scale } = args.attrs as { radius: number; scale: number };
    requireFloat32(FUSED_KERNELS.localAttentionGrad, inputs);
    const { dContext, dWeights, q, k, v, weights } = inputs;
    const [n, h, w, d, c] = windowShape(FUSED_KERNELS.localAttentionGrad, q, k, v, radius);
    const cells = (2 * radius + 1) ** 2;
    for (const [name, t, shape] of [['dContext', dContext, v.shape], ['dWeights', dWeights, [n, h, w, cells]], ['weights', weights, [n, h, w, cells]]] as const) {
      if (!tf.util.arraysEqual(t.shape, shape as number[])) throw new Error(`${FUSED_KERNELS.localAttentionGrad}: ${name} must be [${shape}], got [${t.shape}]`);
    }
    const backend = args.backend as WasmBackend;
    const at = (t: Info) => backend.dataIdMap.get(t.dataId).memoryOffset;
    return withOutputs(backend, [q.shape, k.shape, v.shape], (heap, [dq, dk, dv]) =>
      addon.localAttentionGrad(heap, Float64Array.from([n, h, w, d, c, radius, scale, at(dContext), at(dWeights), at(q), at(k), at(v), at(weights), dq, dk, dv])),
    );
  };
}

function scaleAddKernel(addon: NativeAddon) {
  return (args: KernelArgs): Info => {
    const { a, scale, b } = args.inputs as { a: Info; scale: Info; b: Info };
    requireFloat32(FUSED_KERNELS.scaleAdd, { a, scale, b });
    const backend = args.backend as WasmBackend;
    const at = (t: Info) => backend.dataIdMap.get(t.dataId).memoryOffset;
    const [y] = withOutputs(backend, [a.shape], (heap, [out]) => {
      if (size(a.shape) > 0) addon.scaleAdd(heap, Float64Array.from([size(a.shape), at(a), at(scale), at(b), out]));
    });
    return y;
  };
}

/** Kernel name -> native kernel (all of FUSED_KERNELS). */
export function nativeFusedKernels(addon: NativeAddon): Record<string, tf.KernelFunc> {
  return {
    [FUSED_KERNELS.adamW]: adamWKernel(addon) as unknown as tf.KernelFunc,
    [FUSED_KERNELS.batchNormTrain]: batchNormTrainKernel(addon) as unknown as tf.KernelFunc,
    [FUSED_KERNELS.batchNormTrainGrad]: batchNormTrainGradKernel(addon) as unknown as tf.KernelFunc,
    [FUSED_KERNELS.localAttention]: localAttentionKernel(addon) as unknown as tf.KernelFunc,
    [FUSED_KERNELS.localAttentionGrad]: localAttentionGradKernel(addon) as unknown as tf.KernelFunc,
    [FUSED_KERNELS.scaleAdd]: scaleAddKernel(addon) as unknown as tf.KernelFunc,
  };
}
