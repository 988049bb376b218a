/**
 * Loads Dawn (npm `webgpu`, a prebuilt dawn.node) once per process and exposes WebGPU the way a
 * browser does: the GPU* globals and `navigator.gpu`. The Vulkan ICD is chosen first
 * (vulkan-icd.ts), because the Vulkan loader reads its environment when Dawn creates its instance.
 * In a browser none of this runs: `navigator.gpu` is already there.
 */
import { chooseVulkanIcd, type IcdChoice } from './vulkan-icd';
import { installDawnEventHook, keepAliveWhileMapping } from './dawn-events';

export interface DawnGpu {
  gpu: GPU;
  icd: IcdChoice;
}

let loaded: DawnGpu | null = null;
let icdChoice: IcdChoice | null = null;
/** globalThis.navigator as it was before Dawn replaced it (restored by releaseDawn). */
let previousNavigator: PropertyDescriptor | undefined;

function setNavigatorGpu(gpu: GPU): void {
  previousNavigator = Object.getOwnPropertyDescriptor(globalThis, 'navigator');
  const nav = (globalThis as { navigator?: object }).navigator;
  if (nav && (nav as { gpu?: unknown }).gpu === gpu) return;
  // Node 21+ defines a read-only `navigator` without `gpu`: replace it by an object that adds it.
  const next = Object.create(nav ?? null, { gpu: { value: gpu, configurable: true, enumerable: true } });
  Object.defineProperty(globalThis, 'navigator', { value: next, configurable: true, writable: true });
}

/**
 * Dawn options from `WSOL_DAWN_OPTIONS`, `;`-separated, e.g.
 * `disable-dawn-features=timestamp_quantization` (exact kernel times in profiles) or
 * `enable-dawn-features=allow_unsafe_apis,skip_validation,disable_robustness` (the GPU benchmark
 * measures what those cost). Empty by default: Dawn's safe settings.
 */
export function dawnOptions(env: NodeJS.ProcessEnv = process.env): string[] {
  return (env.WSOL_DAWN_OPTIONS ?? '').split(';').map((s) => s.trim()).filter(Boolean);
}

/** The Vulkan ICD choice for this process (made once: it may write a temp ICD json). */
export function vulkanIcdChoice(): IcdChoice {
  if (!icdChoice) icdChoice = chooseVulkanIcd();
  return icdChoice;
}

/** Whether WebGPU comes from the host (a browser, or a caller that set navigator.gpu). */
export function hostProvidesWebgpu(): boolean {
  return !loaded && !!(globalThis as { navigator?: { gpu?: GPU } }).navigator?.gpu;
}

/** The process's Dawn GPU object (loading dawn.node on the first call). */
export function loadDawn(): DawnGpu {
  if (loaded) return loaded;
  const existing = (globalThis as { navigator?: { gpu?: GPU } }).navigator?.gpu;
  if (existing) {
    loaded = { gpu: existing, icd: { env: {}, note: 'navigator.gpu provided by the host' } };
    return loaded;
  }
  const icd = vulkanIcdChoice();
  for (const [k, v] of Object.entries(icd.env)) process.env[k] = v;
  installDawnEventHook();
  // The `webgpu` package is an ES module; Node >= 20.19 loads it through require().
  // eslint-disable-next-line @typescript-eslint/no-var-requires
  const { create, globals } = require('webgpu') as { create(opts: string[]): GPU; globals: Record<string, unknown> };
  for (const [k, v] of Object.entries(globals)) {
    if (!(k in globalThis)) (globalThis as Record<string, unknown>)[k] = v;
  }
  keepAliveWhileMapping(globals.GPUBuffer as never);
  const gpu = create(dawnOptions());
  setNavigatorGpu(gpu);
  loaded = { gpu, icd };
  return loaded;
}

/**
 * Drops this process's Dawn GPU object and restores `navigator` when the webgpu engine is not
 * used (automatic choice refused the adapter), so nothing else sees a half-set-up WebGPU.
 */
export function releaseDawn(): void {
  if (!loaded || loaded.icd.note === 'navigator.gpu provided by the host') return;
  if (previousNavigator) Object.defineProperty(globalThis, 'navigator', previousNavigator);
  else delete (globalThis as { navigator?: unknown }).navigator;
  loaded = null;
}
