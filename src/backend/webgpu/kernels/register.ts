/**
 * This project's kernels for tfjs-backend-webgpu 4.22, chosen by profiling a vgg-64 training step
 * (data-scripts/gpu-bench.sh prints the per-kernel profile):
 *
 * - Conv2DBackpropFilter: an implicit-GEMM WGSL kernel with workgroup tiles and split-K
 *   (conv2d-backprop-filter.ts); the stock one is one thread per weight, looping over the batch.
 * - Conv2DBackpropInput: tfjs's own tiled matrix-multiply program (Conv2DDerInputMMProgram),
 *   switched on through the WEBGPU_USE_NAIVE_CONV2D_TRANSPOSE flag; the default is a naive loop.
 *
 * Parity with the cpu backend: test/backend/webgpu-kernels.test.ts.
 */
import * as tf from '@tensorflow/tfjs-core';
import { conv2dBackpropFilterWebgpu } from './conv2d-backprop-filter';

/** Names of the kernels this project replaces on webgpu (for `wsol info`). */
export const WEBGPU_KERNELS = ['Conv2DBackpropFilter', 'Conv2DBackpropInput (tiled MM program)'];

let registered = false;

export function registerWebgpuKernels(): void {
  if (registered) return;
  if (tf.getKernel('Conv2DBackpropFilter', 'webgpu')) tf.unregisterKernel('Conv2DBackpropFilter', 'webgpu');
  tf.registerKernel({ kernelName: 'Conv2DBackpropFilter', backendName: 'webgpu', kernelFunc: conv2dBackpropFilterWebgpu as unknown as tf.KernelFunc });
  tf.env().set('WEBGPU_USE_NAIVE_CONV2D_TRANSPOSE', false);
  registered = true;
}
