/**
 * The `webgpu` engine: tfjs-backend-webgpu 4.22 on Dawn (Node) or the browser's WebGPU.
 *
 * `initWebgpu({ allowSoftware })` asks for a high-performance adapter. A CPU/software adapter
 * (lavapipe, SwiftShader: `info.isFallbackAdapter` or architecture "software") is refused unless
 * `allowSoftware` (WSOL_BACKEND=webgpu, tests): it is correct but far slower than the CPU engines.
 * The automatic choice first looks at the adapter from a child process (adapter-probe.ts).
 * The device is created here rather than by tfjs's own factory so the adapter can be inspected
 * first; the request mirrors tfjs's (timestamp queries when offered, the adapter's limits).
 * Then this project's WGSL kernels replace stock ones (kernels/register.ts).
 */
/// <reference types="@webgpu/types" />
import * as tf from '@tensorflow/tfjs-core';
import { keepAlive } from './dawn-events';
import { probeAdapter } from './adapter-probe';
import { dawnOptions, hostProvidesWebgpu, loadDawn, releaseDawn, vulkanIcdChoice } from './dawn';
import { patchSyncRead } from './sync-read';
import { VULKAN_LOADER_HINT, findLibrary } from './vulkan-icd';
import { registerWebgpuKernels, WEBGPU_KERNELS } from './kernels/register';

export interface WebgpuAdapter {
  /** The GPU and driver as Dawn reports them, e.g. "llvmpipe-..., llvmpipe: Mesa 25.0.7 ... (mesa, software)". */
  name: string;
  vendor: string;
  architecture: string;
  description: string;
  software: boolean;
  /** How the Vulkan driver was chosen (vulkan-icd.ts). */
  icd: string;
}

export interface WebgpuResult {
  ok: boolean;
  reason: string;
  adapter: WebgpuAdapter | null;
}

let adapterInUse: WebgpuAdapter | null = null;

export function isSoftwareAdapter(info: { vendor?: string; architecture?: string; device?: string; description?: string; isFallbackAdapter?: boolean }): boolean {
  if (info.isFallbackAdapter) return true;
  const text = `${info.architecture ?? ''} ${info.device ?? ''} ${info.description ?? ''}`.toLowerCase();
  return /software|llvmpipe|lavapipe|swiftshader/.test(text);
}

type AdapterInfoLike = { vendor: string; architecture: string; device: string; description: string; isFallbackAdapter?: boolean };

function describeAdapter(info: AdapterInfoLike, icd: string): WebgpuAdapter {
  // Dawn puts the GPU's name in `device` and the driver in `description` ("NVIDIA: 580.159.04 ...").
  const label = [info.device, info.description].filter(Boolean).join(', ') || info.vendor || 'unknown adapter';
  return {
    name: `${label} (${[info.vendor, info.architecture].filter(Boolean).join(', ') || 'no vendor info'})`,
    vendor: info.vendor,
    architecture: info.architecture,
    description: info.description,
    software: isSoftwareAdapter(info),
    icd,
  };
}

async function requestDevice(adapter: GPUAdapter): Promise<GPUDevice> {
  const requiredFeatures: GPUFeatureName[] = [];
  if (adapter.features.has('timestamp-query')) requiredFeatures.push('timestamp-query');
  const l = adapter.limits;
  return keepAlive(
    adapter.requestDevice({
      requiredFeatures,
      requiredLimits: {
        maxComputeWorkgroupStorageSize: l.maxComputeWorkgroupStorageSize,
        maxComputeWorkgroupsPerDimension: l.maxComputeWorkgroupsPerDimension,
        maxStorageBufferBindingSize: l.maxStorageBufferBindingSize,
        maxBufferSize: l.maxBufferSize,
        maxComputeWorkgroupSizeX: l.maxComputeWorkgroupSizeX,
        maxComputeInvocationsPerWorkgroup: l.maxComputeInvocationsPerWorkgroup,
      },
    }),
  );
}

function refuseSoftware(a: WebgpuAdapter): WebgpuResult {
  return { ok: false, reason: `only a software WebGPU adapter (${a.name}); set WSOL_BACKEND=webgpu to use it anyway`, adapter: a };
}

function noAdapter(icdNote: string): WebgpuResult {
  const loader = typeof process !== 'undefined' && !findLibrary('libvulkan.so.1') ? `; ${VULKAN_LOADER_HINT}` : '';
  return { ok: false, reason: `no WebGPU adapter found (${icdNote})${loader}`, adapter: null };
}

/** The adapter the webgpu engine runs on, or null before it was chosen. */
export function webgpuAdapter(): WebgpuAdapter | null {
  return adapterInUse;
}

/**
 * Makes `webgpu` the tfjs backend. Never throws: the result says why not. A refused software
 * adapter leaves no device behind (the process can still exit).
 */
export async function initWebgpu(opts: { allowSoftware: boolean }): Promise<WebgpuResult> {
  if (adapterInUse && tf.findBackend('webgpu')) {
    if (!(await tf.setBackend('webgpu'))) return { ok: false, reason: 'tf.setBackend("webgpu") returned false', adapter: adapterInUse };
    return { ok: true, reason: `webgpu on ${adapterInUse.name}`, adapter: adapterInUse };
  }
  if (!opts.allowSoftware && !hostProvidesWebgpu()) {
    // Automatic choice: look from a child process first (a crashing driver must not take wsol down).
    const icd = vulkanIcdChoice();
    if (icd.problem) return { ok: false, reason: icd.problem, adapter: null };
    const probe = probeAdapter({ ...process.env, ...icd.env }, dawnOptions());
    if (!probe.ok) return { ok: false, reason: probe.reason, adapter: null };
    if (!probe.adapter) return noAdapter(icd.note);
    const probed = describeAdapter(probe.adapter, icd.note);
    if (probed.software) return refuseSoftware(probed);
  }
  let gpu: GPU;
  let icdNote: string;
  try {
    const dawn = loadDawn();
    gpu = dawn.gpu;
    icdNote = dawn.icd.note;
    if (dawn.icd.problem) {
      releaseDawn();
      return { ok: false, reason: dawn.icd.problem, adapter: null };
    }
  } catch (err) {
    return { ok: false, reason: `the webgpu package (Dawn) failed to load: ${(err as Error).message.split('\n')[0]}`, adapter: null };
  }
  const adapter = await keepAlive(gpu.requestAdapter({ powerPreference: 'high-performance' }));
  if (!adapter) {
    releaseDawn();
    return noAdapter(icdNote);
  }
  const described = describeAdapter((adapter as GPUAdapter & { info: AdapterInfoLike }).info, icdNote);
  if (described.software && !opts.allowSoftware) {
    releaseDawn();
    return refuseSoftware(described);
  }
  try {
    const device = await requestDevice(adapter);
    // eslint-disable-next-line @typescript-eslint/no-var-requires
    const webgpu = require('@tensorflow/tfjs-backend-webgpu') as { WebGPUBackend: new (d: GPUDevice, info: GPUAdapterInfo) => tf.KernelBackend };
    patchSyncRead(webgpu.WebGPUBackend.prototype);
    if (tf.findBackendFactory('webgpu')) tf.removeBackend('webgpu');
    tf.registerBackend('webgpu', () => new webgpu.WebGPUBackend(device, (adapter as GPUAdapter & { info: GPUAdapterInfo }).info), 0);
    registerWebgpuKernels();
    if (!(await tf.setBackend('webgpu'))) throw new Error('tf.setBackend("webgpu") returned false');
    adapterInUse = described;
    return { ok: true, reason: `webgpu on ${described.name}`, adapter: described };
  } catch (err) {
    return { ok: false, reason: `webgpu failed on ${described.name}: ${(err as Error).message.split('\n')[0]}`, adapter: described };
  }
}

export { WEBGPU_KERNELS };
