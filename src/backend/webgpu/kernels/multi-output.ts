/**
 * Runs one WGSL compute shader that writes several new tensors in a single dispatch, inside
 * tfjs-backend-webgpu's own command stream. tfjs's programs have exactly one output (`result`),
 * so a fused op with three results (an Adam step's weight and two moments, batch norm's y, mean and
 * variance) would cost three dispatches; this binds them all at once.
 *
 * The shader is complete (its own bindings): binding 0 is a uniform block (`uniforms`, raw bytes
 * the caller packs), bindings 1..n the inputs (`var<storage, read>`), then the outputs
 * (`var<storage, read_write>`), each `array<f32>`. The dispatch goes into the backend's current
 * compute pass, in order with its other work, and follows its rules for buffer lifetimes, deferred
 * submission and profiling timers (backend_webgpu.js recordAndSubmit in tfjs-backend-webgpu 4.22).
 */
/// <reference types="@webgpu/types" />
import * as tf from '@tensorflow/tfjs-core';
import type { WebgpuKernelBackend } from './program';

/** The WebGPUBackend internals this runner touches (not in tfjs's public types). */
interface BackendInternals extends WebgpuKernelBackend {
  device: GPUDevice;
  queue: GPUQueue;
  tensorMap: { get(id: object): { resource: GPUBuffer | null } };
  bufferManager: { acquireBuffer(size: number, usage: number): GPUBuffer };
  uniformPendingDisposal: GPUBuffer[];
  commandQueueOwnedIds: WeakSet<object>;
  commandEncoder: GPUCommandEncoder;
  computePassEncoder: GPUComputePassEncoder | null;
  dispatchCountInPass: number;
  activeTimers: Array<{ name: string; query: Promise<number> }> | null;
  supportTimestampQuery: boolean;
  querySet: GPUQuerySet | null;
  querySetCount: number;
  makeTensorInfo(shape: number[], dtype: tf.DataType): tf.TensorInfo;
  uploadToGPU(dataId: object): void;
  ensureCommandEncoderReady(): void;
  endComputePassEncoder(): void;
  submitQueue(): void;
  getQueryTime(): Promise<number>;
}

export interface MultiOutputShader {
  /** Names the pipeline in the cache (and in profiles). */
  key: string;
  /** The whole shader; entry point `main`. */
  source: string;
  /** Bytes of the uniform block (a multiple of 16). */
  uniforms: ArrayBuffer;
  dispatch: [number, number, number];
}

const pipelines = new WeakMap<GPUDevice, Map<string, GPUComputePipeline>>();

function pipelineFor(device: GPUDevice, shader: MultiOutputShader): GPUComputePipeline {
  let cache = pipelines.get(device);
  if (!cache) pipelines.set(device, (cache = new Map()));
  let p = cache.get(shader.key);
  if (!p) {
    p = device.createComputePipeline({ layout: 'auto', compute: { module: device.createShaderModule({ code: shader.source, label: shader.key }), entryPoint: 'main' } });
    cache.set(shader.key, p);
  }
  return p;
}

/** WGSL declarations of the bindings in this runner's order. */
export function multiOutputBindings(uniformStruct: string, inputs: string[], outputs: string[]): string {
  const lines = [`struct Uniforms { ${uniformStruct} };`, '@group(0) @binding(0) var<uniform> uniforms : Uniforms;'];
  inputs.forEach((name, i) => lines.push(`@group(0) @binding(${i + 1}) var<storage, read> ${name} : array<f32>;`));
  outputs.forEach((name, i) => lines.push(`@group(0) @binding(${inputs.length + i + 1}) var<storage, read_write> ${name} : array<f32>;`));
  return lines.join('\n');
}

/** Dispatches `shader` over `inputs` and returns new float32 tensors of `outputShapes`. */
export function runMultiOutput(backend: WebgpuKernelBackend, shader: MultiOutputShader, inputs: tf.TensorInfo[], outputShapes: number[][]): tf.TensorInfo[] {
  const b = backend as BackendInternals;
  for (const x of inputs) if (x.dtype !== 'float32') throw new Error(`${shader.key}: inputs must be float32, got ${x.dtype}`);
  const outputs = outputShapes.map((shape) => b.makeTensorInfo(shape, 'float32'));
  for (const t of [...inputs, ...outputs]) b.uploadToGPU(t.dataId);
  const pipeline = pipelineFor(b.device, shader);
  const uniform = b.bufferManager.acquireBuffer(shader.uniforms.byteLength, GPUBufferUsage.COPY_DST | GPUBufferUsage.UNIFORM);
  b.queue.writeBuffer(uniform, 0, shader.uniforms, 0, shader.uniforms.byteLength);
  b.uniformPendingDisposal.push(uniform);
  const buffers = [...inputs, ...outputs].map((t) => {
    const resource = b.tensorMap.get(t.dataId).resource;
    if (!resource) throw new Error(`${shader.key}: a tensor has no GPU buffer`);
    return resource;
  });
  const bindGroup = b.device.createBindGroup({
    layout: pipeline.getBindGroupLayout(0),
    entries: [{ binding: 0, resource: { buffer: uniform } }, ...buffers.map((buffer, i) => ({ binding: i + 1, resource: { buffer } }))],
  });
  for (const t of [...inputs, ...outputs]) b.commandQueueOwnedIds.add(t.dataId);
  const timed = b.activeTimers != null;
  b.ensureCommandEncoderReady();
  if (timed && b.supportTimestampQuery) {
    b.endComputePassEncoder();
    if (b.querySet == null) b.querySet = b.device.createQuerySet({ type: 'timestamp', count: b.querySetCount });
    b.computePassEncoder = b.commandEncoder.beginComputePass({ timestampWrites: { querySet: b.querySet, beginningOfPassWriteIndex: 0, endOfPassWriteIndex: 1 } });
  } else if (!b.computePassEncoder) {
    b.computePassEncoder = b.commandEncoder.beginComputePass({});
  }
  b.computePassEncoder.setPipeline(pipeline);
  b.computePassEncoder.setBindGroup(0, bindGroup);
  b.computePassEncoder.dispatchWorkgroups(...shader.dispatch);
  b.dispatchCountInPass++;
  if (timed || (tf.env().get('WEBGPU_DEFERRED_SUBMIT_BATCH_SIZE') as number) <= b.dispatchCountInPass) {
    b.endComputePassEncoder();
    if (timed) b.activeTimers!.push({ name: shader.key, query: b.getQueryTime() });
    else b.submitQueue();
  }
  return outputs;
}

/** Packs f32 and i32 fields (each 4 bytes, in order) into a uniform block padded to 16 bytes. */
export function packUniforms(fields: Array<{ f32: number } | { i32: number }>): ArrayBuffer {
  const bytes = new ArrayBuffer(Math.max(16, Math.ceil((fields.length * 4) / 16) * 16));
  const view = new DataView(bytes);
  fields.forEach((f, i) => ('f32' in f ? view.setFloat32(i * 4, f.f32, true) : view.setInt32(i * 4, f.i32, true)));
  return bytes;
}
