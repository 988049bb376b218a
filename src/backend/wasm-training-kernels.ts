/**
 * Registers this project's training kernels on the wasm backend (tfjs-backend-wasm 4.22.0).
 * Each kernel lives in src/backend/kernels/ with the reason it exists:
 *
 * - Conv2DBackpropFilter: missing from stock wasm. A K-blocked GEMM for stride 1, a forward
 *   convolution otherwise (conv2d-backprop-filter.ts).
 * - Conv2DBackpropInput: stock is a naive loop; here a forward XNNPACK convolution.
 * - BatchMatMul: stock is slow for batched or transposed products.
 * - MaxPoolGrad: stock drops the gradient of windows whose maximum is negative, and is slow.
 * - Sum: stock transposes before reducing leading axes (every bias gradient).
 * - UnsortedSegmentSum: missing from stock wasm (tf.gather's gradient).
 *
 * Found by running training steps of the project's nets and ops on wasm against cpu
 * (test/backend/wasm-training-step.test.ts); every other op they use has a correct stock kernel.
 */
import * as tf from '@tensorflow/tfjs-core';
import { makeFastBatchMatMul } from './kernels/batch-mat-mul';
import { conv2dBackpropFilterWasm } from './kernels/conv2d-backprop-filter';
import { conv2dBackpropInputWasm } from './kernels/conv2d-backprop-input';
import { maxPoolGradWasm } from './kernels/max-pool-grad';
import { makeSumLeadingAxes } from './kernels/sum-leading-axes';
import { unsortedSegmentSumWasm } from './kernels/unsorted-segment-sum';

/** Names of the kernels this module provides (for `wsol info`). */
export const WASM_TRAINING_KERNELS = ['Conv2DBackpropFilter', 'Conv2DBackpropInput', 'BatchMatMul', 'MaxPoolGrad', 'Sum', 'UnsortedSegmentSum'];

let registered = false;

function replace(kernelName: string, kernelFunc: tf.KernelFunc): void {
  if (tf.getKernel(kernelName, 'wasm')) tf.unregisterKernel(kernelName, 'wasm');
  tf.registerKernel({ kernelName, backendName: 'wasm', kernelFunc });
}

/** The stock kernel, which the faster one wraps and falls back to. */
function stock(kernelName: string): tf.KernelFunc {
  const k = tf.getKernel(kernelName, 'wasm');
  if (!k) throw new Error(`tfjs-backend-wasm has no ${kernelName} kernel: is @tensorflow/tfjs-backend-wasm 4.22.0 loaded?`);
  return k.kernelFunc;
}

/**
 * Registers (once per process) the wasm training kernels. Safe to call repeatedly. Needs
 * '@tensorflow/tfjs-backend-wasm' to be imported first (it registers the stock kernels).
 */
export function registerWasmTrainingKernels(): void {
  if (registered) return;
  const batchMatMul = makeFastBatchMatMul(stock('BatchMatMul'));
  const sum = makeSumLeadingAxes(stock('Sum'));
  replace('Conv2DBackpropFilter', conv2dBackpropFilterWasm as unknown as tf.KernelFunc);
  replace('Conv2DBackpropInput', conv2dBackpropInputWasm as unknown as tf.KernelFunc);
  replace('BatchMatMul', batchMatMul);
  replace('MaxPoolGrad', maxPoolGradWasm as unknown as tf.KernelFunc);
  replace('Sum', sum);
  replace('UnsortedSegmentSum', unsortedSegmentSumWasm as unknown as tf.KernelFunc);
  registered = true;
}
