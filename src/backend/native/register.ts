/**
 * Puts the native kernels (kernels.ts) in front of the wasm backend's kernels. Each registered
 * kernel runs the native body while native kernels are enabled and the body covers the case, and
 * otherwise the kernel that was registered before it (stock wasm or this project's wasm training
 * kernel). A native error (e.g. a shape oneDNN rejects) falls back too, and is remembered for
 * `wsol info`. `setNativeKernelsEnabled(false)` switches to the wasm path at run time (tests,
 * `wsol bench` timing both engines in one process); `WSOL_NATIVE=0` keeps the addon unloaded.
 */
import * as tf from '@tensorflow/tfjs-core';
import type { KernelArgs } from '../kernels/wasm-compose';
import { loadNativeAddon, type NativeAddon } from './addon';
import { nativeFusedKernels } from './fused-kernels';
import { NATIVE_KERNELS } from './kernels';
import { ThreadGovernor } from './thread-policy';

export interface NativeStatus {
  /** True when the addon is loaded, its kernels are registered and enabled. */
  active: boolean;
  /** Why native kernels run or do not (for `wsol info`). */
  reason: string;
  kernels: string[];
  /** OpenMP's maximum threads (null without the addon). */
  threads: number | null;
  /** Threads big operations use now (thread-policy.ts; null without the addon). */
  threadsInUse: number | null;
  /** Per kernel: calls run natively and calls that fell back to wasm. */
  calls: Record<string, { native: number; fallback: number }>;
  /** The last native error, per kernel, if any. */
  errors: Record<string, string>;
}

let registered = false;
let fused: Record<string, tf.KernelFunc> = {};
let governor: ThreadGovernor | null = null;
let enabled = true;
const calls: Record<string, { native: number; fallback: number }> = {};
const errors: Record<string, string> = {};

function wrap(name: string, addon: NativeAddon, fallback: tf.KernelFunc): tf.KernelFunc {
  const count = (calls[name] = { native: 0, fallback: 0 });
  const body = NATIVE_KERNELS[name];
  return ((args: KernelArgs) => {
    if (enabled) {
      governor?.tick();
      try {
        const out = body(addon, args, name);
        if (out) {
          count.native++;
          return out;
        }
      } catch (err) {
        errors[name] = (err as Error).message.split('\n')[0];
      }
    }
    count.fallback++;
    return fallback(args as Parameters<tf.KernelFunc>[0]);
  }) as unknown as tf.KernelFunc;
}

/**
 * Registers (once per process) the native kernels on the wasm backend, wrapping the kernels
 * registered so far; call it after registerWasmTrainingKernels(). Returns the status.
 */
export function registerNativeKernels(): NativeStatus {
  if (registered) return nativeStatus();
  const { addon } = loadNativeAddon();
  if (!addon) return nativeStatus();
  governor = new ThreadGovernor(addon.info().threads, (n) => addon.setThreads(n));
  for (const name of Object.keys(NATIVE_KERNELS)) {
    const previous = tf.getKernel(name, 'wasm');
    if (!previous) throw new Error(`registerNativeKernels: the wasm backend has no ${name} kernel to wrap; load @tensorflow/tfjs-backend-wasm first`);
    tf.unregisterKernel(name, 'wasm');
    tf.registerKernel({ kernelName: name, backendName: 'wasm', kernelFunc: wrap(name, addon, previous.kernelFunc) });
  }
  fused = nativeFusedKernels(addon);
  registerFused(true);
  registered = true;
  return nativeStatus();
}

/**
 * The fused training ops (fused-ops.ts) have no wasm kernel underneath: while native kernels are
 * off they are unregistered, so fused-ops.ts runs its reference ops.
 */
function registerFused(on: boolean): void {
  for (const [kernelName, kernelFunc] of Object.entries(fused)) {
    const present = tf.getKernel(kernelName, 'wasm') !== undefined;
    if (on && !present) tf.registerKernel({ kernelName, backendName: 'wasm', kernelFunc });
    if (!on && present) tf.unregisterKernel(kernelName, 'wasm');
  }
}

/** Turns the native kernels on or off (they stay registered; off runs the wasm kernels). */
export function setNativeKernelsEnabled(on: boolean): void {
  enabled = on;
  registerFused(on);
}

export function nativeKernelsEnabled(): boolean {
  return registered && enabled;
}

export function nativeStatus(): NativeStatus {
  const load = loadNativeAddon();
  let reason = load.reason;
  if (load.addon && !registered) reason = `loaded but not registered (the wasm backend is not in use): ${load.reason}`;
  else if (registered && !enabled) reason = `switched off at run time (setNativeKernelsEnabled(false)): ${load.reason}`;
  return {
    active: registered && enabled,
    reason,
    kernels: registered ? [...Object.keys(NATIVE_KERNELS), ...Object.keys(fused)] : [],
    threads: load.addon ? load.addon.info().threads : null,
    threadsInUse: load.addon ? load.addon.info().bigWorkThreads : null,
    calls: JSON.parse(JSON.stringify(calls)),
    errors: { ...errors },
  };
}
