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
 * - The forward and input-gradient GEMMs are used only for large convolutions (GEMM_MIN_MACS).
 * - Sum / Mean over axes before the last: one dispatch instead of a transpose and a reduce
 *   (reduce-leading-axes.ts).
 * - The fused training ops of src/backend/fused-ops.ts: a one-dispatch-per-weight AdamW
 *   (adamw-update.ts), batch norm's training forward and backward in two dispatches each
 *   (batch-norm-train.ts), windowed attention in one dispatch forward and two backward
 *   (local-attention.ts), a * scale + b in one (scale-add.ts). Multi-output shaders run through
 *   multi-output.ts.
 * On a small net a step is bound by the number of dispatches (dispatch-count.ts counts them).
 *
 * The convolutions share one tiled-GEMM generator (tiled-gemm.ts). Parity with the cpu backend:
 * test/backend/webgpu-kernels.test.ts and test/backend/webgpu-fused-ops.test.ts.
 */
import * as tf from '@tensorflow/tfjs-core';
import { conv2dBackpropFilterWebgpu } from './conv2d-backprop-filter';
import { makeConv2dBackpropInputWebgpu } from './conv2d-backprop-input';
import { makeConv2dWebgpu } from './conv2d';
import { FUSED_KERNELS } from '../../fused-ops';
import { adamWUpdateWebgpu } from './adamw-update';
import { batchNormTrainGradWebgpu, batchNormTrainWebgpu } from './batch-norm-train';
import { localAttentionGradWebgpu, localAttentionWebgpu } from './local-attention';
import { makeReduceLeadingAxes } from './reduce-leading-axes';
import { scaleAddWebgpu } from './scale-add';

/** The fused training ops (src/backend/fused-ops.ts) this engine implements. */
const FUSED: Record<string, tf.KernelFunc> = {
  [FUSED_KERNELS.adamW]: adamWUpdateWebgpu as unknown as tf.KernelFunc,
  [FUSED_KERNELS.batchNormTrain]: batchNormTrainWebgpu as unknown as tf.KernelFunc,
  [FUSED_KERNELS.batchNormTrainGrad]: batchNormTrainGradWebgpu as unknown as tf.KernelFunc,
  [FUSED_KERNELS.localAttention]: localAttentionWebgpu as unknown as tf.KernelFunc,
  [FUSED_KERNELS.localAttentionGrad]: localAttentionGradWebgpu as unknown as tf.KernelFunc,
  [FUSED_KERNELS.scaleAdd]: scaleAddWebgpu as unknown as tf.KernelFunc,
};

/** Names of the kernels this project replaces or adds on webgpu (for `wsol info`). */
export const WEBGPU_KERNELS = ['Conv2D', 'FusedConv2D', 'Conv2DBackpropInput', 'Conv2DBackpropFilter', 'Sum', 'Mean', ...Object.keys(FUSED)];

/**
 * Which kernels run:
 * - `auto` (the default): this project's Conv2DBackpropFilter always; its forward and input-gradient
 *   GEMMs for products of at least GEMM_MIN_MACS multiply-adds, tfjs's tiled programs below that.
 * - `project`: this project's three kernels at every size.
 * - `filter`: only this project's Conv2DBackpropFilter (tfjs's tiled programs for the rest).
 * - `stock`: tfjs's defaults (the naive input gradient and filter gradient), and no fused training
 *   ops: those then run as their plain-tfjs references (src/backend/fused-ops.ts).
 * Every set but `stock` has the fused training ops.
 * The GPU benchmark times them in one run.
 */
export type WebgpuKernelSet = 'auto' | 'project' | 'filter' | 'stock';

/**
 * Below this many multiply-adds per convolution, tfjs's own tiled Conv2D and input-gradient
 * programs ran faster on an H200 than this project's GEMM (vgg-64 and cnn3-112, whose layers have
 * 0.17 to 0.93 G); above it, this project's (VGG16-224 at batch 32, 2.8 to 59 G per layer):
 * measured with data-scripts/gpu-bench.sh.
 */
export const GEMM_MIN_MACS = 1.5e9;

let stock: Record<string, tf.KernelFunc> | null = null;
let active: WebgpuKernelSet = 'stock';

function put(kernelName: string, kernelFunc: tf.KernelFunc): void {
  if (tf.getKernel(kernelName, 'webgpu')) tf.unregisterKernel(kernelName, 'webgpu');
  tf.registerKernel({ kernelName, backendName: 'webgpu', kernelFunc });
}

/** Switches the convolution kernels. Needs @tensorflow/tfjs-backend-webgpu loaded. */
export function useWebgpuKernels(set: WebgpuKernelSet): void {
  if (set === active) return;
  if (stock === null) {
    stock = {};
    for (const name of WEBGPU_KERNELS.filter((n) => !(n in FUSED))) {
      const k = tf.getKernel(name, 'webgpu');
      if (!k) throw new Error(`tfjs-backend-webgpu has no ${name} kernel: is @tensorflow/tfjs-backend-webgpu 4.22.0 loaded?`);
      stock[name] = k.kernelFunc;
    }
  }
  const s = stock;
  const minMacs = set === 'project' ? 0 : set === 'auto' ? GEMM_MIN_MACS : Infinity;
  const gemm = minMacs < Infinity;
  put('Conv2D', gemm ? makeConv2dWebgpu(s.Conv2D, false, minMacs) : s.Conv2D);
  put('FusedConv2D', gemm ? makeConv2dWebgpu(s.FusedConv2D, true, minMacs) : s.FusedConv2D);
  put('Conv2DBackpropInput', gemm ? makeConv2dBackpropInputWebgpu(s.Conv2DBackpropInput, minMacs) : s.Conv2DBackpropInput);
  put('Conv2DBackpropFilter', set === 'stock' ? s.Conv2DBackpropFilter : (conv2dBackpropFilterWebgpu as unknown as tf.KernelFunc));
  put('Sum', set === 'stock' ? s.Sum : makeReduceLeadingAxes(s.Sum, false));
  put('Mean', set === 'stock' ? s.Mean : makeReduceLeadingAxes(s.Mean, true));
  for (const [name, kernelFunc] of Object.entries(FUSED)) {
    if (set !== 'stock') put(name, kernelFunc);
    else if (tf.getKernel(name, 'webgpu')) tf.unregisterKernel(name, 'webgpu');
  }
  tf.env().set('WEBGPU_USE_NAIVE_CONV2D_TRANSPOSE', set === 'stock');
  active = set;
}

/** The kernel set in use (useWebgpuKernels). */
export function activeWebgpuKernels(): WebgpuKernelSet {
  return active;
}

export function registerWebgpuKernels(): void {
  useWebgpuKernels('auto');
}
