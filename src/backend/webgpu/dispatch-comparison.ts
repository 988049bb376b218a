/**
 * Dispatches of one training step with this project's webgpu kernels and with tfjs-webgpu's stock
 * ones, counted in the same process by the same hook (dispatch-count.ts), with the losses of both
 * paths from the same weights and batch: equal losses show that a lower count skipped no work.
 *
 * Each path builds the net afresh, the second with the first one's initial weights, runs one step
 * (pipelines compiled, optimizer slots made) and counts the second: the steady state of training.
 */
import * as tf from '@tensorflow/tfjs-core';
import { countDispatches } from './dispatch-count';
import { activeWebgpuKernels, useWebgpuKernels } from './kernels/register';

/** A training step the comparison can build twice: the benchmark's nets (src/bench). */
export interface CountableStep {
  /** The trained weights (the second path starts from the first one's). */
  vars: tf.Variable[];
  /** One training step; returns the loss (read back, so the GPU work was recorded). */
  step(lr: number): number;
  dispose(): void;
}

export interface DispatchComparison {
  /** Dispatches of a steady-state training step with this project's kernels. */
  dispatchesPerStep: number;
  /** The same step with tfjs-webgpu's stock kernels. */
  stockDispatchesPerStep: number;
  /** The counted step's loss with this project's kernels and with the stock ones. */
  loss: number;
  stockLoss: number;
  /** The largest |loss difference| of the two steps run on each path. */
  lossDifference: number;
}

/** Losses of two paths may differ by float rounding (other summation orders), no more. */
export const LOSS_TOLERANCE = 1e-4;

function countPath(build: () => CountableStep, lr: number, weights: Float32Array[] | null): { losses: number[]; dispatches: number; initial: Float32Array[] } {
  const net = build();
  try {
    if (weights) {
      if (weights.length !== net.vars.length) throw new Error(`dispatch comparison: the net was built with ${net.vars.length} weights, then ${weights.length}`);
      net.vars.forEach((v, i) => tf.tidy(() => v.assign(tf.tensor(weights[i], v.shape, 'float32'))));
    }
    const initial = weights ?? net.vars.map((v) => v.dataSync().slice() as Float32Array);
    const first = net.step(lr);
    const counted = countDispatches(() => net.step(lr));
    return { losses: [first, counted.value], dispatches: counted.dispatches, initial };
  } finally {
    net.dispose();
  }
}

/** Counts both paths (webgpu must be the active backend); leaves the kernel set as it found it. */
export function compareDispatches(build: () => CountableStep, lr = 1e-3): DispatchComparison {
  const previous = activeWebgpuKernels();
  try {
    useWebgpuKernels('auto');
    const project = countPath(build, lr, null);
    useWebgpuKernels('stock');
    const stock = countPath(build, lr, project.initial);
    return {
      dispatchesPerStep: project.dispatches,
      stockDispatchesPerStep: stock.dispatches,
      loss: project.losses[1],
      stockLoss: stock.losses[1],
      lossDifference: Math.max(...project.losses.map((l, i) => Math.abs(l - stock.losses[i]))),
    };
  } finally {
    useWebgpuKernels(previous);
  }
}
