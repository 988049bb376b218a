/**
 * `dataSync()` on tfjs-backend-webgpu in Node. The package's readSync draws through an
 * OffscreenCanvas, which Node lacks; this replaces it (and the async read, for the same path) by a
 * copy to a mappable buffer and a synchronous wait on Dawn's event pump (dawn-events.ts).
 */
/// <reference types="@webgpu/types" />
import * as tf from '@tensorflow/tfjs-core';
import { waitSync } from './dawn-events';

/** The parts of tfjs-backend-webgpu's WebGPUBackend this file uses (not in its public types). */
interface BackendInternals {
  tensorMap: { get(id: object): { values: tf.backend_util.BackendValues | null; dtype: tf.DataType; resource: GPUBuffer | null; complexTensorInfos?: { real: { dataId: object }; imag: { dataId: object } } } };
  bufferManager: { acquireBuffer(size: number, usage: number): GPUBuffer; releaseBuffer(b: GPUBuffer): void };
  commandEncoder: GPUCommandEncoder;
  ensureCommandEncoderReady(): void;
  endComputePassEncoder(): void;
  submitQueue(): void;
  convertAndCacheOnCPU(id: object, values: tf.backend_util.BackendValues): tf.backend_util.BackendValues;
}

/** Copies a GPU buffer back to the CPU, blocking until the copy is mapped. */
export function readBufferSync(backend: BackendInternals, buffer: GPUBuffer): ArrayBuffer {
  const size = buffer.size;
  const staging = backend.bufferManager.acquireBuffer(size, GPUBufferUsage.COPY_DST | GPUBufferUsage.MAP_READ);
  backend.ensureCommandEncoderReady();
  backend.endComputePassEncoder();
  backend.commandEncoder.copyBufferToBuffer(buffer, 0, staging, 0, size);
  backend.submitQueue();
  const mapping = staging.mapAsync(GPUMapMode.READ);
  mapping.catch(() => undefined); // a failure shows as mapState 'unmapped' below
  waitSync(() => staging.mapState !== 'pending', 'reading a GPU buffer');
  if (staging.mapState !== 'mapped') throw new Error('webgpu: mapping a staging buffer for readback failed (device lost?)');
  const values = staging.getMappedRange().slice(0);
  staging.unmap();
  backend.bufferManager.releaseBuffer(staging);
  return values;
}

function readSync(this: BackendInternals, dataId: object): tf.backend_util.BackendValues {
  const data = this.tensorMap.get(dataId);
  if (data.values != null || data.dtype === 'string') return data.values as tf.backend_util.BackendValues;
  let vals: tf.backend_util.BackendValues;
  if (data.dtype === 'complex64') {
    const re = readSync.call(this, data.complexTensorInfos!.real.dataId) as Float32Array;
    const im = readSync.call(this, data.complexTensorInfos!.imag.dataId) as Float32Array;
    vals = tf.backend_util.mergeRealAndImagArrays(re, im);
  } else {
    vals = tf.util.convertBackendValuesAndArrayBuffer(readBufferSync(this, data.resource as GPUBuffer), data.dtype);
  }
  return this.convertAndCacheOnCPU(dataId, vals);
}

/** Patches WebGPUBackend.prototype (idempotent). */
export function patchSyncRead(proto: object): void {
  const p = proto as { readSync: unknown; read: unknown; __wsolSyncRead?: boolean };
  if (p.__wsolSyncRead) return;
  p.readSync = readSync;
  p.read = function (this: BackendInternals, dataId: object) {
    return Promise.resolve(readSync.call(this, dataId));
  };
  p.__wsolSyncRead = true;
}
