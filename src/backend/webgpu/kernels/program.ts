/**
 * The shape of a tfjs-backend-webgpu program and of the backend methods this project's kernels
 * call (tfjs-backend-webgpu 4.22 exports neither in its public types). The backend prepends the
 * bindings to `getUserCode()`: the output `result`, one `array<f32>` per `variableNames` entry,
 * a `uniforms` struct, and the private `localId` / `workgroupId` / `globalId` the entry point sets.
 */
import type * as tf from '@tensorflow/tfjs-core';

export interface WebgpuProgram {
  variableNames: string[];
  outputShape: number[];
  shaderKey: string;
  dispatchLayout: { x: number[]; y?: number[]; z?: number[] };
  dispatch: [number, number, number];
  workgroupSize: [number, number, number];
  /** Adds `size : i32` (the output's element count) to the uniforms. */
  size?: boolean;
  getUserCode(): string;
}

export interface WebgpuKernelBackend extends tf.KernelBackend {
  runWebGPUProgram(
    program: WebgpuProgram,
    inputs: tf.TensorInfo[],
    outputDtype: tf.DataType,
    programDefinedUniform?: Array<{ type: string; data: number[] }>,
  ): tf.TensorInfo;
  disposeData(dataId: object, force?: boolean): boolean;
}
