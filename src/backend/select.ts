/**
 * The one place that chooses the tfjs backend.
 *
 * Order: `gpu` (tfjs-node-gpu with a visible NVIDIA GPU) -> `webgpu` (a hardware WebGPU adapter
 * through Dawn, src/backend/webgpu/) -> `tensorflow` (tfjs-node) -> `wasm` (with this project's
 * training kernels) -> `cpu` (pure JS).
 * `WSOL_BACKEND=gpu|webgpu|tensorflow|wasm|cpu` forces one and fails loudly if it cannot load
 * (forced `webgpu` also accepts a software adapter such as lavapipe).
 */
import * as fs from 'fs';
import * as tf from '@tensorflow/tfjs-core';
import { MathBackendCPU } from '@tensorflow/tfjs-backend-cpu';
import './register-gradients';
import { registerWasmTrainingKernels, WASM_TRAINING_KERNELS } from './wasm-training-kernels';
import { initWebgpu, webgpuAdapter, WEBGPU_KERNELS } from './webgpu/webgpu-backend';
import { nativeStatus, registerNativeKernels, type NativeStatus } from './native/register';

/**
 * tfjs's cpu backend prints a banner asking to install tfjs-node on its first tensor; this project
 * chooses its engine itself (and `wsol info` says which), so the cpu backend is registered again,
 * quiet, at the priority tfjs gives it. Its kernels are registered by name and stay as they are.
 */
tf.removeBackend('cpu');
tf.registerBackend(
  'cpu',
  () => {
    const backend = new MathBackendCPU();
    (backend as unknown as { firstUse: boolean }).firstUse = false;
    return backend;
  },
  1,
);

export const BACKEND_CHOICES = ['gpu', 'webgpu', 'tensorflow', 'wasm', 'cpu'] as const;
export type BackendChoice = (typeof BACKEND_CHOICES)[number];

export interface BackendAttempt {
  choice: BackendChoice;
  ok: boolean;
  reason: string;
}

export interface BackendInfo {
  /** The project's name for the chosen engine. */
  choice: BackendChoice;
  /** tfjs's own backend name (`tensorflow`, `wasm`, `cpu`). */
  tfBackend: string;
  forced: boolean;
  versions: Record<string, string>;
  wasmSimd: boolean | null;
  wasmThreads: boolean | null;
  trainingKernels: string[];
  /** The WebGPU adapter (e.g. "NVIDIA H200 (nvidia, ...)") when the choice is `webgpu`, else null. */
  webgpuAdapter: string | null;
  /** The native oneDNN kernels under wasm (src/backend/native): whether they run, and why not. */
  native: NativeStatus | null;
  /** Why each faster engine was not taken (or that it was). */
  attempts: BackendAttempt[];
}

const INSTALL_HINTS: Record<BackendChoice, string> = {
  gpu:
    'install it with `npm install @tensorflow/tfjs-node-gpu@4.22.0` (needs network access to download ' +
    'libtensorflow, an NVIDIA GPU, CUDA 11.2 and cuDNN 8.1)',
  tensorflow:
    'install it with `npm install @tensorflow/tfjs-node@4.22.0` (its install script downloads libtensorflow)',
  webgpu:
    'reinstall the project dependencies (`npm ci`: the `webgpu` package ships Dawn) and install the Vulkan loader ' +
    '(`sudo apt-get install libvulkan1`) and your GPU driver\'s Vulkan driver (NVIDIA: the driver\'s libnvidia-gl / ' +
    'nvidia-vulkan-icd package; AMD/Intel: mesa-vulkan-drivers)',
  wasm: 'reinstall the project dependencies (`npm ci`): @tensorflow/tfjs-backend-wasm is a regular dependency',
  cpu: 'reinstall the project dependencies (`npm ci`)',
};

let current: BackendInfo | null = null;
let pending: Promise<BackendInfo> | null = null;

function packageVersion(name: string): string | null {
  try {
    // eslint-disable-next-line @typescript-eslint/no-var-requires
    return require(`${name}/package.json`).version as string;
  } catch {
    return null;
  }
}

function gpuVisible(): boolean {
  if (process.env.CUDA_VISIBLE_DEVICES === '' || process.env.CUDA_VISIBLE_DEVICES === '-1') return false;
  try {
    return fs.readdirSync('/proc/driver/nvidia/gpus').length > 0;
  } catch {
    return false;
  }
}

async function tryNode(choice: 'gpu' | 'tensorflow'): Promise<BackendAttempt> {
  const pkg = choice === 'gpu' ? '@tensorflow/tfjs-node-gpu' : '@tensorflow/tfjs-node';
  if (packageVersion(pkg) === null) return { choice, ok: false, reason: `${pkg} is not installed` };
  if (choice === 'gpu' && !gpuVisible()) {
    return { choice, ok: false, reason: `${pkg} is installed but no NVIDIA GPU is visible` };
  }
  try {
    require(pkg);
    if (!(await tf.setBackend('tensorflow'))) throw new Error('tf.setBackend("tensorflow") returned false');
    return { choice, ok: true, reason: `${pkg} loaded` };
  } catch (err) {
    return { choice, ok: false, reason: `${pkg} failed to load: ${(err as Error).message.split('\n')[0]}` };
  }
}

async function tryWasm(): Promise<BackendAttempt> {
  try {
    require('@tensorflow/tfjs-backend-wasm');
    if (!(await tf.setBackend('wasm'))) throw new Error('tf.setBackend("wasm") returned false');
    registerWasmTrainingKernels();
    const native = registerNativeKernels();
    const engine = native.active ? `native oneDNN kernels (${native.reason})` : `no native kernels: ${native.reason}`;
    return { choice: 'wasm', ok: true, reason: `wasm loaded with training kernels; ${engine}` };
  } catch (err) {
    return { choice: 'wasm', ok: false, reason: `wasm failed: ${(err as Error).message.split('\n')[0]}` };
  }
}

async function tryWebgpu(forced: boolean): Promise<BackendAttempt> {
  const r = await initWebgpu({ allowSoftware: forced });
  return { choice: 'webgpu', ok: r.ok, reason: r.reason };
}

async function tryCpu(): Promise<BackendAttempt> {
  const ok = await tf.setBackend('cpu');
  return { choice: 'cpu', ok, reason: ok ? 'pure-JS cpu backend' : 'cpu backend failed' };
}

function attempt(choice: BackendChoice, forced: boolean): Promise<BackendAttempt> {
  switch (choice) {
    case 'gpu':
    case 'tensorflow':
      return tryNode(choice);
    case 'webgpu':
      return tryWebgpu(forced);
    case 'wasm':
      return tryWasm();
    case 'cpu':
      return tryCpu();
  }
}

/** Reads and validates `WSOL_BACKEND`; undefined means "automatic". */
export function forcedBackendFromEnv(env: NodeJS.ProcessEnv = process.env): BackendChoice | undefined {
  const raw = env.WSOL_BACKEND?.trim();
  if (!raw) return undefined;
  if (!(BACKEND_CHOICES as readonly string[]).includes(raw)) {
    throw new Error(`WSOL_BACKEND="${raw}" is not one of ${BACKEND_CHOICES.join(', ')}`);
  }
  return raw as BackendChoice;
}

async function choose(forced: BackendChoice | undefined): Promise<BackendInfo> {
  const attempts: BackendAttempt[] = [];
  const order = forced ? [forced] : [...BACKEND_CHOICES];
  for (const choice of order) {
    const result = await attempt(choice, !!forced);
    attempts.push(result);
    if (result.ok) {
      current = describe(choice, !!forced, attempts);
      return current;
    }
    if (forced) {
      throw new Error(`WSOL_BACKEND=${forced} is unavailable (${result.reason}); ${INSTALL_HINTS[forced]}`);
    }
  }
  throw new Error(`no tfjs backend could be initialised: ${attempts.map((a) => a.reason).join('; ')}`);
}

function describe(choice: BackendChoice, forced: boolean, attempts: BackendAttempt[]): BackendInfo {
  const versions: Record<string, string> = {};
  for (const pkg of [
    '@tensorflow/tfjs-core',
    '@tensorflow/tfjs-layers',
    '@tensorflow/tfjs-backend-wasm',
    '@tensorflow/tfjs-backend-cpu',
    '@tensorflow/tfjs-backend-webgpu',
    'webgpu',
    '@tensorflow/tfjs-node',
    '@tensorflow/tfjs-node-gpu',
  ]) {
    const v = packageVersion(pkg);
    if (v) versions[pkg] = v;
  }
  versions.node = process.version;
  const isWasm = tf.getBackend() === 'wasm';
  return {
    choice,
    tfBackend: tf.getBackend(),
    forced,
    versions,
    wasmSimd: isWasm ? tf.env().getBool('WASM_HAS_SIMD_SUPPORT') : null,
    wasmThreads: isWasm ? tf.env().getBool('WASM_HAS_MULTITHREAD_SUPPORT') : null,
    trainingKernels: isWasm ? registeredTrainingKernelNames() : tf.getBackend() === 'webgpu' ? WEBGPU_KERNELS : [],
    webgpuAdapter: tf.getBackend() === 'webgpu' ? (webgpuAdapter()?.name ?? null) : null,
    native: isWasm ? nativeStatus() : null,
    attempts,
  };
}

function registeredTrainingKernelNames(): string[] {
  return WASM_TRAINING_KERNELS.filter((k) => tf.getKernel(k, 'wasm') !== undefined);
}

/**
 * Chooses and initialises the backend once per process (later calls return the same info).
 * `choice` overrides `WSOL_BACKEND` (used by tests and the benchmark to pin an engine).
 */
export function initBackend(choice?: BackendChoice): Promise<BackendInfo> {
  if (choice !== undefined) {
    pending = choose(choice);
    return pending;
  }
  if (current) return Promise.resolve(current);
  if (!pending) pending = choose(forcedBackendFromEnv());
  return pending;
}

/** The info of the backend chosen so far, or null before `initBackend`. */
export function backendInfo(): BackendInfo | null {
  return current;
}
