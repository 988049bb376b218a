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

let stockBackpropFilter: tf.KernelFunc | null = null;
let active = false;

/**
 * Switches between this project's kernels (`true`, what `initWebgpu` does) and tfjs's stock ones
 * (`false`: only the GPU benchmark uses it, to print both in one run). Needs
 * @tensorflow/tfjs-backend-webgpu loaded (it registers the stock kernels and the flag).
 */
export function useProjectWebgpuKernels(on: boolean): void {
  if (on === active) return;
  if (stockBackpropFilter === null) {
    const stock = tf.getKernel('Conv2DBackpropFilter', 'webgpu');
    if (!stock) throw new Error('tfjs-backend-webgpu has no Conv2DBackpropFilter kernel: is @tensorflow/tfjs-backend-webgpu 4.22.0 loaded?');
    stockBackpropFilter = stock.kernelFunc;
  }
  tf.unregisterKernel('Conv2DBackpropFilter', 'webgpu');
  const kernelFunc = on ? (conv2dBackpropFilterWebgpu as unknown as tf.KernelFunc) : stockBackpropFilter;
  tf.registerKernel({ kernelName: 'Conv2DBackpropFilter', backendName: 'webgpu', kernelFunc });
  tf.env().set('WEBGPU_USE_NAIVE_CONV2D_TRANSPOSE', !on);
  active = on;
}

export function registerWebgpuKernels(): void {
  useProjectWebgpuKernels(true);
}
