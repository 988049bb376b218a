/**
 * Runs many training steps of one net and checks that memory does not grow: the number of
 * tensors, the backend's buffers (wasm heap allocations) and the process RSS, after a warm-up
 * that fills the caches (oneDNN primitives, XNNPACK operators, the wasm heap's high-water mark).
 * Each RSS sample follows a full garbage collection.
 */
import * as v8 from 'v8';
import * as vm from 'vm';
import * as tf from '@tensorflow/tfjs-core';
import type { BuiltNet } from './reference-nets';

export interface MemorySample {
  step: number;
  numTensors: number;
  rssMB: number;
}

export interface MemoryReport {
  net: string;
  engine: string;
  steps: number;
  warmUpSteps: number;
  /** Allowed RSS growth between the end of the warm-up and the last step. */
  rssLimitMB: number;
  rssGrowthMB: number;
  tensorGrowth: number;
  bufferGrowth: number;
  samples: MemorySample[];
  ok: boolean;
}

export interface MemoryOptions {
  steps: number;
  warmUpSteps: number;
  rssLimitMB: number;
  /** Samples taken (evenly spaced). */
  samples: number;
}

export const DEFAULT_MEMORY_CHECK: MemoryOptions = { steps: 1000, warmUpSteps: 50, rssLimitMB: 32, samples: 10 };

/**
 * V8's full garbage collection. Without it the JS heap of a training loop swings by 100 MB and
 * more between collections (measured), which hides any real growth of the RSS.
 */
function collector(): () => void {
  const exposed = (globalThis as { gc?: () => void }).gc;
  if (exposed) return exposed;
  v8.setFlagsFromString('--expose-gc');
  return vm.runInNewContext('gc') as () => void;
}

function rssMB(gc: () => void): number {
  gc();
  return process.memoryUsage().rss / 2 ** 20;
}

/** Steps `built` (already built on the backend to check) and reports growth after the warm-up. */
export function checkMemory(net: string, engine: string, built: BuiltNet, options: Partial<MemoryOptions> = {}): MemoryReport {
  const o = { ...DEFAULT_MEMORY_CHECK, ...options };
  const gc = collector();
  for (let i = 0; i < o.warmUpSteps; i++) built.step(1e-4);
  const tensors0 = tf.memory().numTensors;
  const buffers0 = tf.engine().backend.numDataIds();
  const rss0 = rssMB(gc);
  const every = Math.max(1, Math.floor(o.steps / o.samples));
  const samples: MemorySample[] = [{ step: 0, numTensors: tensors0, rssMB: rss0 }];
  for (let i = 1; i <= o.steps; i++) {
    built.step(1e-4);
    if (i % every === 0 || i === o.steps) samples.push({ step: i, numTensors: tf.memory().numTensors, rssMB: rssMB(gc) });
  }
  const last = samples[samples.length - 1];
  const tensorGrowth = last.numTensors - tensors0;
  const bufferGrowth = tf.engine().backend.numDataIds() - buffers0;
  const rssGrowthMB = last.rssMB - rss0;
  return {
    net, engine, steps: o.steps, warmUpSteps: o.warmUpSteps, rssLimitMB: o.rssLimitMB, rssGrowthMB, tensorGrowth, bufferGrowth, samples,
    ok: tensorGrowth === 0 && bufferGrowth === 0 && rssGrowthMB <= o.rssLimitMB,
  };
}
