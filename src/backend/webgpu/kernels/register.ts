/**
 * This project's kernels for tfjs-backend-webgpu 4.22. Profiling a training step showed the
 * convolutions' three kernels dominate (data-scripts/gpu-bench.sh prints the per-kernel profile):
 *
 * - Conv2DBackpropFilter: stock is one thread per weight looping over the batch; here an implicit
 *   GEMM with workgroup tiles and split-K (conv2d-backprop-filter.ts).
 * - Conv2DBackpropInput: stock is a naive loop by default; here an implicit GEMM for stride 1
 *   (conv2d-backprop-input.ts), and tfjs's own tiled program for strided convolutions (the
 *   WEBGPU_USE_NAIVE_CONV2D_TRANSPOSE flag off).
 * - Conv2D / FusedConv2D: the same implicit GEMM with bias and ReLU in its epilogue (conv2d.ts).
 *
 * All share one tiled-GEMM generator (tiled-gemm.ts). Parity with the cpu backend:
 * test/backend/webgpu-kernels.test.ts.
 */
import * as tf from '@tensorflow/tfjs-core';
import { conv2dBackpropFilterWebgpu } from './conv2d-backprop-filter';
import { makeConv2dBackpropInputWebgpu } from './conv2d-backprop-input';
import { makeConv2dWebgpu } from './conv2d';

/** Names of the kernels this project replaces on webgpu (for `wsol info`). */
export const WEBGPU_KERNELS = ['Conv2D', 'FusedConv2D', 'Conv2DBackpropInput', 'Conv2DBackpropFilter'];

/**
 * Which convolution kernels run: `project` (this project's, the default), `filter` (only this
 * project's Conv2DBackpropFilter, tfjs's tiled program for the input gradient, stock forward), or
 * `stock` (tfjs's defaults). The GPU benchmark times all three in one run.
 */
export type WebgpuKernelSet = 'project' | 'filter' | 'stock';

let stock: Record<string, tf.KernelFunc> | null = null;
let active: WebgpuKernelSet = 'stock';

function put(kernelName: string, kernelFunc: tf.KernelFunc): void {
  tf.unregisterKernel(kernelName, 'webgpu');
  tf.registerKernel({ kernelName, backendName: 'webgpu', kernelFunc });
}

/** Switches the convolution kernels. Needs @tensorflow/tfjs-backend-webgpu loaded. */
export function useWebgpuKernels(set: WebgpuKernelSet): void {
  if (set === active) return;
  if (stock === null) {
    stock = {};
    for (const name of WEBGPU_KERNELS) {
      const k = tf.getKernel(name, 'webgpu');
      if (!k) throw new Error(`tfjs-backend-webgpu has no ${name} kernel: is @tensorflow/tfjs-backend-webgpu 4.22.0 loaded?`);
      stock[name] = k.kernelFunc;
    }
  }
  const s = stock;
  const project = set === 'project';
  put('Conv2D', project ? makeConv2dWebgpu(s.Conv2D, false) : s.Conv2D);
  put('FusedConv2D', project ? makeConv2dWebgpu(s.FusedConv2D, true) : s.FusedConv2D);
  put('Conv2DBackpropInput', project ? makeConv2dBackpropInputWebgpu(s.Conv2DBackpropInput) : s.Conv2DBackpropInput);
  put('Conv2DBackpropFilter', set === 'stock' ? s.Conv2DBackpropFilter : (conv2dBackpropFilterWebgpu as unknown as tf.KernelFunc));
  tf.env().set('WEBGPU_USE_NAIVE_CONV2D_TRANSPOSE', set === 'stock');
  active = set;
}

export function registerWebgpuKernels(): void {
  useWebgpuKernels('project');
}
