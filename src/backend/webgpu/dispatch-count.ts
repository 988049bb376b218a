/**
 * Counts GPU compute dispatches: every `dispatchWorkgroups` (and `dispatchWorkgroupsIndirect`)
 * call on any compute pass, by one hook on `GPUComputePassEncoder.prototype`. The hook sits below
 * tfjs, so this project's kernels and tfjs-webgpu's stock ones are counted the same way.
 *
 * On a small net a training step is bound by dispatches (each costs tens of microseconds of
 * driver and bind-group work whatever its size), so the count per step is the figure that says
 * how much the fused kernels save, on any adapter, software ones included.
 */
/// <reference types="@webgpu/types" />

let dispatches = 0;
let installed = false;

type Dispatcher = { dispatchWorkgroups(...args: number[]): void; dispatchWorkgroupsIndirect(...args: unknown[]): void };

/** Installs the hook once (needs WebGPU's globals: after Dawn was loaded, or in a browser). */
export function installDispatchCounter(): void {
  if (installed) return;
  const encoder = (globalThis as { GPUComputePassEncoder?: { prototype: Dispatcher } }).GPUComputePassEncoder;
  if (!encoder) throw new Error('counting GPU dispatches needs WebGPU: GPUComputePassEncoder is not defined (initialise the webgpu engine first)');
  const proto = encoder.prototype;
  const direct = proto.dispatchWorkgroups;
  const indirect = proto.dispatchWorkgroupsIndirect;
  proto.dispatchWorkgroups = function (this: Dispatcher, ...args: number[]) {
    dispatches++;
    return direct.apply(this, args);
  };
  if (indirect) {
    proto.dispatchWorkgroupsIndirect = function (this: Dispatcher, ...args: unknown[]) {
      dispatches++;
      return indirect.apply(this, args);
    };
  }
  installed = true;
}

/** Runs `fn` and returns its value with the number of GPU dispatches it recorded. */
export function countDispatches<T>(fn: () => T): { value: T; dispatches: number } {
  installDispatchCounter();
  const before = dispatches;
  const value = fn();
  return { value, dispatches: dispatches - before };
}
