/**
 * Dawn's Node binding (npm `webgpu`) completes asynchronous work (buffer mapping, device
 * requests) only when its event pump runs: a native callback it hands to the global
 * `setImmediate`, which calls `wgpuInstanceProcessEvents` and schedules itself again while work is
 * in flight. This module wraps `setImmediate` to know that callback, which gives two things tfjs
 * needs in Node:
 *
 * - `waitSync(done)`: runs the pump in a loop on the calling thread until `done()` holds. A mapped
 *   buffer's state changes inside the pump, so `dataSync()` can read GPU memory without the
 *   browser's OffscreenCanvas trick (tfjs-backend-webgpu's readSync needs it; Node has none).
 * - A process that has finished its work can exit: the pump's immediates are unref'd, and an
 *   asynchronous Dawn promise keeps the process alive only while it is pending (`keepAlive`).
 *   Without this, a long-lived device keeps the pump (and the process) running for ever.
 */

type Pending = { fn: (...args: unknown[]) => void; handle: NodeJS.Immediate };

let pending: Pending | null = null;
let installed = false;

/**
 * Dawn's pump: a native, anonymous function of no parameters. Other native callbacks must not match:
 * a Promise's `resolve` (length 1, as in `new Promise((r) => setImmediate(r))`) or a bound function
 * (named "bound ..."); taking one for the pump would unref it and let the process exit mid-work.
 */
export function isDawnPump(fn: unknown): boolean {
  return typeof fn === 'function' && fn.length === 0 && fn.name === '' && /\{\s*\[native code\]\s*\}\s*$/.test(Function.prototype.toString.call(fn));
}

/** Wraps the global setImmediate once (before Dawn is loaded). Idempotent. */
export function installDawnEventHook(): void {
  if (installed) return;
  installed = true;
  const original = globalThis.setImmediate;
  const wrapped = function (this: unknown, fn: (...args: unknown[]) => void, ...args: unknown[]): NodeJS.Immediate {
    const handle = original(fn, ...args);
    if (isDawnPump(fn)) {
      handle.unref();
      pending = { fn: () => fn(...args), handle };
    }
    return handle;
  } as typeof setImmediate;
  Object.assign(wrapped, original);
  globalThis.setImmediate = wrapped;
}

/**
 * Runs Dawn's event pump until `done()` is true. Throws after `timeoutMs` (a lost device or a
 * hung driver would otherwise spin for ever).
 */
export function waitSync(done: () => boolean, what: string, timeoutMs = 120_000): void {
  if (!installed) throw new Error('dawn-events: installDawnEventHook() must run before Dawn is loaded');
  const start = Date.now();
  while (!done()) {
    const p = pending;
    if (p === null) throw new Error(`dawn-events: waiting for ${what}, but Dawn scheduled no event processing`);
    pending = null;
    clearImmediate(p.handle);
    p.fn(); // processes events, then schedules itself again through the wrapper
    if (Date.now() - start > timeoutMs) throw new Error(`dawn-events: ${what} did not complete within ${timeoutMs} ms`);
  }
}

/** Keeps the process alive until `promise` settles (Dawn's own pump does not, see above). */
export function keepAlive<T>(promise: Promise<T>): Promise<T> {
  const timer = setInterval(() => {}, 1 << 30);
  return promise.finally(() => clearInterval(timer));
}

/**
 * Makes every `GPUBuffer.mapAsync` keep the process alive while pending (tfjs's profiling reads
 * timestamps that way). `bufferClass` is the `GPUBuffer` from the `webgpu` package's globals.
 */
export function keepAliveWhileMapping(bufferClass: { prototype: { mapAsync: (...a: unknown[]) => Promise<void> } }): void {
  const proto = bufferClass.prototype as { mapAsync: (...a: unknown[]) => Promise<void>; __wsolKeepAlive?: boolean };
  if (proto.__wsolKeepAlive) return;
  const original = proto.mapAsync;
  proto.mapAsync = function (this: unknown, ...args: unknown[]) {
    return keepAlive(original.apply(this, args));
  };
  proto.__wsolKeepAlive = true;
}
