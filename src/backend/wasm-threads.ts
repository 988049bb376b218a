/**
 * Multi-threaded XNNPACK for tfjs-backend-wasm 4.22.0 under Node (upstream disables it there:
 * tensorflow/tfjs#3830). Call `prepareWasmThreads(n)` right before the FIRST
 * `tf.setBackend('wasm')` of the process, then call the function it returns once that resolves.
 *
 * Why each step is needed (all are undone by the returned function):
 * - the WASM_HAS_MULTITHREAD_SUPPORT flag is hard-wired to false under Node;
 * - tfjs hands Emscripten its pthread worker as a blob: URL, which Node's Worker rejects, so
 *   the worker script is written to a temporary file and that path is handed out instead;
 * - tfjs passes the main script to the workers as a Blob, which a Node worker cannot
 *   importScripts: a file holding the same factory is passed instead;
 * - tfjs uses (logical cores / 2) threads at most, assuming hyper-threading; on a 2-core machine
 *   that is 1, so os.cpus() reports twice the cores while the module initialises.
 *
 * - the pool's workers stay busy-waiting for work and are ref'd, which would keep Node alive
 *   forever: they are unref'd once the backend is up (they only ever run inside a kernel call,
 *   while the main thread waits for them).
 *
 * Experimental: the tfjs internals it relies on are pinned by the version check below.
 */
import * as fs from 'fs';
import * as os from 'os';
import * as path from 'path';
import * as tf from '@tensorflow/tfjs-core';

const SUPPORTED_VERSION = '4.22.0';

/** Returns the function to call once `tf.setBackend('wasm')` has resolved (also after a failure). */
export function prepareWasmThreads(threads: number): () => void {
  if (!(Number.isInteger(threads) && threads >= 1 && threads <= 8)) throw new Error(`wasm threads must be an integer in [1, 8], got ${threads}`);
  // eslint-disable-next-line @typescript-eslint/no-var-requires
  const version = require('@tensorflow/tfjs-backend-wasm/package.json').version as string;
  if (version !== SUPPORTED_VERSION) throw new Error(`wasm threads support expects @tensorflow/tfjs-backend-wasm ${SUPPORTED_VERSION}, found ${version}`);
  // eslint-disable-next-line @typescript-eslint/no-var-requires
  const wasmPkg = require('@tensorflow/tfjs-backend-wasm') as { setThreadsCount(n: number): void };
  wasmPkg.setThreadsCount(threads);
  if (threads === 1) return () => undefined;

  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'wsol-wasm-threads-'));
  // eslint-disable-next-line @typescript-eslint/no-var-requires
  const workerSource = (require('@tensorflow/tfjs-backend-wasm/wasm-out/tfjs-backend-wasm-threaded-simd.worker.js') as { wasmWorkerContents: string }).wasmWorkerContents;
  const workerPath = path.join(dir, 'worker.js');
  // Same escaping as tfjs: the template literal turned "\n" escapes inside string literals into newlines.
  fs.writeFileSync(workerPath, workerSource.replace(/\n/g, '\\n'));
  // eslint-disable-next-line @typescript-eslint/no-var-requires
  const factory = require('@tensorflow/tfjs-backend-wasm/wasm-out/tfjs-backend-wasm-threaded-simd.js') as () => unknown;
  const mainPath = path.join(dir, 'main.js');
  fs.writeFileSync(mainPath, `var WasmBackendModuleThreadedSimd = ${factory.toString()};\n`);

  const flags = tf.env();
  flags.set('WASM_HAS_MULTITHREAD_SUPPORT', true);
  const createObjectURL = URL.createObjectURL;
  URL.createObjectURL = ((blob: Blob) => (blob.type === 'application/javascript' ? workerPath : createObjectURL(blob))) as typeof URL.createObjectURL;
  Object.defineProperty(Object.prototype, 'mainScriptUrlOrBlob', {
    configurable: true,
    set(this: object) {
      Object.defineProperty(this, 'mainScriptUrlOrBlob', { value: mainPath, writable: true, enumerable: true, configurable: true });
    },
  });
  // The real module object (an `import * as` namespace is a copy under CommonJS interop).
  // eslint-disable-next-line @typescript-eslint/no-var-requires
  const osModule = require('os') as { cpus: typeof os.cpus };
  const cpus = osModule.cpus;
  osModule.cpus = () => [...cpus(), ...cpus()];
  return () => {
    const pthreads = (tf.findBackend('wasm') as unknown as { wasm?: { PThread?: { runningWorkers: Worker[]; unusedWorkers: Worker[] } } } | null)?.wasm?.PThread;
    for (const w of [...(pthreads?.runningWorkers ?? []), ...(pthreads?.unusedWorkers ?? [])]) (w as unknown as { unref(): void }).unref();
    URL.createObjectURL = createObjectURL;
    delete (Object.prototype as Record<string, unknown>).mainScriptUrlOrBlob;
    osModule.cpus = cpus;
  };
}

/** Threads XNNPACK runs on (1 when wasm is single-threaded), or null before wasm is initialised. */
export function wasmThreadCount(): number | null {
  if (tf.getBackend() !== 'wasm') return null;
  // eslint-disable-next-line @typescript-eslint/no-var-requires
  return (require('@tensorflow/tfjs-backend-wasm') as { getThreadsCount(): number }).getThreadsCount();
}
