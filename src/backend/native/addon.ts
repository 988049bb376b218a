/**
 * Loads the optional native addon (build/Release/wsol_native.node, built from wsol_native.cc by
 * `npm run build:native`) and says why it is not used when it is not: disabled by `WSOL_NATIVE=0`,
 * never built (no compiler or no libdnnl-dev), or failing to load (another platform, a missing
 * libdnnl.so). Nothing here throws: a missing addon means the wasm kernels run.
 */
import * as fs from 'fs';
import * as path from 'path';

/** The functions wsol_native.cc exports (see there for the parameter layouts). */
export interface NativeAddon {
  conv2d(heap: Uint8Array, params: Float64Array): void;
  conv2dBackpropInput(heap: Uint8Array, params: Float64Array): void;
  conv2dBackpropFilter(heap: Uint8Array, params: Float64Array): void;
  maxPool(heap: Uint8Array, params: Float64Array): void;
  maxPoolGrad(heap: Uint8Array, params: Float64Array): void;
  batchMatMul(heap: Uint8Array, params: Float64Array): void;
  tile(heap: Uint8Array, params: Float64Array): void;
  binary(heap: Uint8Array, params: Float64Array): void;
  reduce(heap: Uint8Array, params: Float64Array): void;
  batchNorm(heap: Uint8Array, params: Float64Array): void;
  adamW(heap: Uint8Array, params: Float64Array): void;
  batchNormTrain(heap: Uint8Array, params: Float64Array): void;
  batchNormTrainGrad(heap: Uint8Array, params: Float64Array): void;
  scaleAdd(heap: Uint8Array, params: Float64Array): void;
  localAttention(heap: Uint8Array, params: Float64Array): void;
  localAttentionGrad(heap: Uint8Array, params: Float64Array): void;
  info(): { onednn: string; cpuRuntime: string; threads: number; bigWorkThreads: number; isa: number; cachedPrimitives: number };
  clearCache(): void;
  /** Threads for big operations (1..info().threads); returns the number set. */
  setThreads(n: number): number;
}

export interface NativeLoad {
  addon: NativeAddon | null;
  /** Where the addon was found, or where it was looked for. */
  path: string;
  /** Why it is (or is not) used, in words for `wsol info`. */
  reason: string;
}

const ADDON_FILE = path.join('build', 'Release', 'wsol_native.node');

/** This folder in the source tree (also when running from dist/, which has no build/ of its own). */
export function nativeSourceDir(): string {
  const fromDist = path.resolve(__dirname, '..', '..', '..', 'src', 'backend', 'native');
  return fs.existsSync(path.join(__dirname, 'binding.gyp')) ? __dirname : fromDist;
}

/** True unless `WSOL_NATIVE` is 0/false/off/no. */
export function nativeAllowedByEnv(env: NodeJS.ProcessEnv = process.env): boolean {
  const raw = (env.WSOL_NATIVE ?? '').trim().toLowerCase();
  return !['0', 'false', 'off', 'no'].includes(raw);
}

let loaded: NativeLoad | null = null;

export function loadNativeAddon(): NativeLoad {
  if (loaded) return loaded;
  const file = path.join(nativeSourceDir(), ADDON_FILE);
  if (!nativeAllowedByEnv()) {
    loaded = { addon: null, path: file, reason: 'disabled by WSOL_NATIVE=0' };
  } else if (!fs.existsSync(file)) {
    loaded = {
      addon: null,
      path: file,
      reason: `not built (${file} is missing): run \`bash data-scripts/setup-system.sh && npm run build:native\` (needs g++, make and libdnnl-dev)`,
    };
  } else {
    try {
      // OpenMP threads sleep as soon as a parallel region ends instead of spinning for a while:
      // on a machine shared with other work, spinning threads take the cores the others need.
      // libgomp reads this once, when the addon loads it; a value set by the user wins.
      if (process.env.OMP_WAIT_POLICY === undefined) process.env.OMP_WAIT_POLICY = 'PASSIVE';
      // eslint-disable-next-line @typescript-eslint/no-var-requires
      const addon = require(file) as NativeAddon;
      const i = addon.info();
      loaded = { addon, path: file, reason: `oneDNN ${i.onednn} (${i.cpuRuntime}, ${i.threads} threads)` };
    } catch (err) {
      loaded = { addon: null, path: file, reason: `failed to load ${file}: ${(err as Error).message.split('\n')[0]}` };
    }
  }
  return loaded;
}
