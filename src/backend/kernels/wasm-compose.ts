/**
 * Helpers for writing wasm kernels out of other wasm kernels: run a registered kernel on
 * TensorInfos, free every intermediate, read and write tensors in the wasm heap, and make
 * "alias" tensors that view part of another tensor's memory without copying it.
 *
 * These reach into tfjs-backend-wasm 4.22.0 internals (dataIdMap, makeOutput, wasm.tfjs);
 * the kernel parity tests in test/backend are what keeps them honest on an upgrade.
 */
import * as tf from '@tensorflow/tfjs-core';

export type Info = tf.TensorInfo;

/** The parts of tfjs-backend-wasm's BackendWasm that the kernels use. */
export interface WasmBackend {
  disposeData(dataId: object): boolean;
  makeOutput(shape: number[], dtype: tf.DataType, memoryOffset?: number): Info;
  dataIdMap: {
    get(dataId: object): { id: number; memoryOffset: number };
    delete(dataId: object): void;
  };
  wasm: { HEAPU8: Uint8Array; tfjs: { disposeData(id: number): void } };
}

/** The arguments every kernelFunc receives. */
export interface KernelArgs {
  inputs: tf.NamedTensorInfoMap;
  backend: unknown;
  attrs?: tf.NamedAttrMap;
}

/** A kernel body's scratch list: everything made through it is freed when the body returns. */
export interface Ctx {
  backend: WasmBackend;
  temps: Info[];
  aliases: Info[];
}

export function run(ctx: Ctx, name: string, inputs: Record<string, Info>, attrs: Record<string, unknown> = {}): Info {
  const kernel = tf.getKernel(name, 'wasm');
  if (!kernel) throw new Error(`wasm kernel ${name} is not registered`);
  const out = kernel.kernelFunc({ inputs, backend: ctx.backend as unknown as tf.KernelBackend, attrs: attrs as tf.NamedAttrMap }) as Info;
  ctx.temps.push(out);
  return out;
}

/** A fresh float32 tensor in the wasm heap (contents undefined until written). */
export function alloc(ctx: Ctx, shape: number[]): Info {
  const out = ctx.backend.makeOutput(shape, 'float32');
  ctx.temps.push(out);
  return out;
}

/**
 * A tensor of `shape` whose data starts `elemOffset` float32 elements into `base`'s memory.
 * No copy: it lets a kernel hand a contiguous window of a bigger tensor to another kernel.
 * Released (never freed: the memory belongs to `base`) when the body returns.
 */
export function alias(ctx: Ctx, base: Info, elemOffset: number, shape: number[]): Info {
  const size = shape.reduce((a, b) => a * b, 1);
  const baseSize = base.shape.reduce((a, b) => a * b, 1);
  if (elemOffset < 0 || elemOffset + size > baseSize) {
    throw new Error(`alias [${shape}] at ${elemOffset} does not fit in a tensor of ${baseSize} elements`);
  }
  const out = ctx.backend.makeOutput(shape, 'float32', offsetOf(ctx.backend, base) + 4 * elemOffset);
  ctx.aliases.push(out);
  return out;
}

function releaseAlias(backend: WasmBackend, t: Info): void {
  // Unregister the id (this also drops any XNNPACK operator cached for it) without free().
  backend.wasm.tfjs.disposeData(backend.dataIdMap.get(t.dataId).id);
  backend.dataIdMap.delete(t.dataId);
}

/** Runs `body`, then frees every intermediate and alias except the returned tensor. */
export function compose(backend: unknown, body: (ctx: Ctx) => Info): Info {
  const ctx: Ctx = { backend: backend as WasmBackend, temps: [], aliases: [] };
  let result: Info | undefined;
  try {
    result = body(ctx);
    if (ctx.aliases.includes(result)) throw new Error('a composed wasm kernel must not return an alias');
    return result;
  } finally {
    for (const t of ctx.aliases) releaseAlias(ctx.backend, t);
    for (const t of ctx.temps) if (t !== result) ctx.backend.disposeData(t.dataId);
  }
}

export function offsetOf(backend: WasmBackend, t: Info): number {
  return backend.dataIdMap.get(t.dataId).memoryOffset;
}

/**
 * A Float32Array view of a tensor's heap memory. Take a new view after any allocation:
 * growing the wasm memory detaches older views.
 */
export function f32(backend: WasmBackend, t: Info): Float32Array {
  const size = t.shape.reduce((a, b) => a * b, 1);
  return new Float32Array(backend.wasm.HEAPU8.buffer, offsetOf(backend, t), size);
}

export function i32(backend: WasmBackend, t: Info): Int32Array {
  const size = t.shape.reduce((a, b) => a * b, 1);
  return new Int32Array(backend.wasm.HEAPU8.buffer, offsetOf(backend, t), size);
}

/** Copies `count` float32 elements between wasm tensors (memmove inside the heap). */
export function copyElems(backend: WasmBackend, from: Info, fromElem: number, to: Info, toElem: number, count: number): void {
  const src = offsetOf(backend, from) + 4 * fromElem;
  const dst = offsetOf(backend, to) + 4 * toElem;
  backend.wasm.HEAPU8.copyWithin(dst, src, src + 4 * count);
}

export const transpose = (c: Ctx, x: Info, perm: number[]) => run(c, 'Transpose', { x }, { perm });
export const reshape = (c: Ctx, x: Info, shape: number[]) => run(c, 'Reshape', { x }, { shape });
export const slice = (c: Ctx, x: Info, begin: number[], size: number[]) => run(c, 'Slice', { x }, { begin, size });
export const pad = (c: Ctx, x: Info, paddings: [number, number][]) => run(c, 'PadV2', { x }, { paddings, constantValue: 0 });

/** Pads (positive) or crops (negative) each spatial side of an NHWC tensor. */
export function padOrCrop(c: Ctx, x: Info, top: number, bottom: number, left: number, right: number): Info {
  let y = x;
  const [n, h, w, ch] = y.shape;
  const cropTop = Math.max(0, -top);
  const cropLeft = Math.max(0, -left);
  const keepH = h - cropTop - Math.max(0, -bottom);
  const keepW = w - cropLeft - Math.max(0, -right);
  if (cropTop || cropLeft || keepH !== h || keepW !== w) y = slice(c, y, [0, cropTop, cropLeft, 0], [n, keepH, keepW, ch]);
  if (top > 0 || bottom > 0 || left > 0 || right > 0) {
    y = pad(c, y, [[0, 0], [Math.max(0, top), Math.max(0, bottom)], [Math.max(0, left), Math.max(0, right)], [0, 0]]);
  }
  return y;
}

/** Kernel attrs as the typed attrs interface of that kernel. */
export function attrsOf<T>(args: KernelArgs): T {
  return (args.attrs ?? {}) as unknown as T;
}
