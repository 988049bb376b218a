/**
 * `wsol bench`: in one run, a training step of the reference nets (reference-nets.ts) on the
 * pure-JS cpu backend, on wasm with this project's training kernels, wasm forward-only (a floor),
 * and PyTorch on the same nets (torch_step.py, run with a python that has torch).
 *
 * Each engine runs one warm-up step (kernel setup, XNNPACK operator caches), then `steps` timed
 * steps; the median is reported. The cpu backend is too slow for that (its Conv2DBackpropFilter
 * alone takes minutes per step at batch 16): it runs `cpuSteps` steps without warm-up at batch
 * `cpuBatch`, and the time is scaled linearly to the net's batch (`measuredBatch` says so). FLOPs count the convolutions and the dense layer: 2 per
 * multiply-add, a training step ~3x the forward pass (forward, input gradient, weight gradient).
 */
import { spawnSync } from 'child_process';
import * as path from 'path';
import * as tf from '@tensorflow/tfjs-core';
import { backendInfo, initBackend } from '../backend/select';
import { wasmThreadCount } from '../backend/wasm-threads';
import { buildReferenceNet, forwardMacs, REFERENCE_NETS, type ReferenceNet } from './reference-nets';

export type Engine = 'cpu' | 'wasm' | 'wasm-forward' | 'torch' | 'webgpu';

export interface BenchResult {
  net: string;
  engine: Engine;
  msPerStep: number;
  imagesPerSec: number;
  gflops: number;
  /** Present when the time was measured at this smaller batch and scaled to the net's batch. */
  measuredBatch?: number;
}

/** Ratios of step times; null when an engine was not run (or PyTorch is not available). */
export interface NetSummary {
  /** cpu ms / wasm ms. */
  speedupOverCpu: number | null;
  /** wasm ms / torch ms. */
  timeVsTorch: number | null;
  /** wasm training-step ms / wasm forward ms (3 would be a perfectly efficient backward). */
  stepOverForward: number | null;
  /** webgpu ms / torch ms (only with `--engines webgpu,torch`). */
  webgpuVsTorch?: number | null;
}

export interface KernelTime {
  kernel: string;
  ms: number;
  share: number;
}

export interface BenchReport {
  results: BenchResult[];
  perNet: Record<string, NetSummary>;
  torch: { available: boolean; python: string; threads: number; version: string | null };
  /** XNNPACK threads of the wasm engine (see src/backend/wasm-threads.ts). */
  wasm: { simd: boolean | null; threads: number | null };
  /** Per-kernel time of one wasm training step, per net (only with `profile`). */
  profile?: Record<string, KernelTime[]>;
}

export interface BenchOptions {
  /** Timed steps per engine (median reported). */
  steps: number;
  /** Timed steps on the slow cpu backend (no warm-up). */
  cpuSteps: number;
  /** Batch the cpu backend is timed at (scaled linearly to the net's batch). */
  cpuBatch: number;
  /** Reference nets to run; all when undefined. */
  nets?: string[];
  /** Engines to run; all when undefined. */
  engines?: Engine[];
  /** Overrides the reference nets' batch size (tests use tiny settings). */
  batch?: number;
  /** Overrides the reference nets' input size (a multiple of 4). */
  inputSize?: number;
  torchThreads: number;
  /** A python whose `import torch` works (Debian's python3-torch lives in /usr/bin/python3). */
  python: string;
  /** Also profile one wasm step per net, kernel by kernel. */
  profile: boolean;
  onProgress?: (line: string) => void;
}

export const DEFAULT_BENCH: BenchOptions = { steps: 5, cpuSteps: 1, cpuBatch: 2, torchThreads: 2, python: '/usr/bin/python3', profile: false };

export const ENGINES: Engine[] = ['cpu', 'wasm', 'wasm-forward', 'torch', 'webgpu'];
/** `webgpu` runs only when asked for: without a GPU it would time mesa's software adapter. */
const DEFAULT_ENGINES: Engine[] = ENGINES.filter((e) => e !== 'webgpu');

function median(xs: number[]): number {
  const s = [...xs].sort((a, b) => a - b);
  return s.length % 2 ? s[(s.length - 1) / 2] : (s[s.length / 2 - 1] + s[s.length / 2]) / 2;
}

async function timeTf(net: ReferenceNet, backend: 'cpu' | 'wasm' | 'webgpu', steps: number, forwardOnly: boolean, warmUp = true): Promise<number> {
  await initBackend(backend);
  const built = buildReferenceNet(net);
  try {
    const run = () => (forwardOnly ? built.forward() : built.step(1e-3));
    if (warmUp) run();
    const times: number[] = [];
    for (let i = 0; i < steps; i++) {
      const t0 = performance.now();
      run();
      times.push(performance.now() - t0);
    }
    return median(times);
  } finally {
    built.dispose();
  }
}

/** Kernel-by-kernel time of one wasm training step (after a warm-up step). */
export async function profileWasmStep(net: ReferenceNet): Promise<KernelTime[]> {
  await initBackend('wasm');
  const built = buildReferenceNet(net);
  try {
    built.step(1e-3);
    const info = await tf.profile(() => {
      built.step(1e-3);
    });
    const total: Record<string, number> = {};
    for (const k of info.kernels) total[k.name] = (total[k.name] ?? 0) + (k.kernelTimeMs as number);
    const sum = Object.values(total).reduce((a, b) => a + b, 0);
    return Object.entries(total)
      .map(([kernel, ms]) => ({ kernel, ms, share: ms / sum }))
      .sort((a, b) => b.ms - a.ms);
  } finally {
    built.dispose();
  }
}

export function torchVersion(python: string): string | null {
  const r = spawnSync(python, ['-c', 'import torch; print(torch.__version__)'], { encoding: 'utf8' });
  return r.status === 0 ? r.stdout.trim() : null;
}

function timeTorch(net: ReferenceNet, opts: BenchOptions): number {
  const script = path.join(__dirname, 'torch_step.py');
  const spec = JSON.stringify(net);
  const r = spawnSync(opts.python, [script, spec, String(opts.steps), String(opts.torchThreads)], { encoding: 'utf8' });
  if (r.status !== 0) throw new Error(`PyTorch benchmark (${script}) failed: ${r.stderr.trim().split('\n').pop()}`);
  const parsed = JSON.parse(r.stdout.trim().split('\n').pop() as string) as { msPerStep: number };
  if (!(parsed.msPerStep > 0)) throw new Error(`PyTorch benchmark returned no timing: ${r.stdout.trim()}`);
  return parsed.msPerStep;
}

function selectNets(opts: BenchOptions): ReferenceNet[] {
  const known = REFERENCE_NETS.map((n) => n.name);
  for (const name of opts.nets ?? []) {
    if (!known.includes(name)) throw new Error(`--nets: "${name}" is not one of ${known.join(', ')}`);
  }
  if (opts.inputSize !== undefined && (opts.inputSize < 4 || opts.inputSize % 4 !== 0)) {
    throw new Error(`inputSize must be a positive multiple of 4 (two 2x2 poolings), got ${opts.inputSize}`);
  }
  if (opts.batch !== undefined && !(opts.batch >= 1 && Number.isInteger(opts.batch))) throw new Error(`batch must be a positive integer, got ${opts.batch}`);
  return REFERENCE_NETS.filter((n) => !opts.nets || opts.nets.includes(n.name)).map((n) => ({
    ...n,
    batch: opts.batch ?? n.batch,
    inputSize: opts.inputSize ?? n.inputSize,
  }));
}

export async function runBenchmark(options: Partial<BenchOptions> = {}): Promise<BenchReport> {
  const opts: BenchOptions = { ...DEFAULT_BENCH, ...options };
  for (const key of ['steps', 'cpuSteps', 'cpuBatch', 'torchThreads'] as const) {
    if (!(Number.isInteger(opts[key]) && opts[key] >= 1)) throw new Error(`bench option ${key} must be an integer >= 1, got ${opts[key]}`);
  }
  for (const e of opts.engines ?? []) if (!ENGINES.includes(e)) throw new Error(`engine "${e}" is not one of ${ENGINES.join(', ')}`);
  const engines = opts.engines ?? DEFAULT_ENGINES;
  const nets = selectNets(opts);
  const version = engines.includes('torch') ? torchVersion(opts.python) : null;
  const hasTorch = version !== null;
  const results: BenchResult[] = [];
  const perNet: Record<string, NetSummary> = {};
  const profile: Record<string, KernelTime[]> = {};
  const previous = tf.getBackend();
  for (const net of nets) {
    const macs = forwardMacs(net);
    const add = (engine: Engine, ms: number, flopFactor: number, measuredBatch?: number) => {
      const r: BenchResult = { net: net.name, engine, msPerStep: ms, imagesPerSec: (net.batch * 1000) / ms, gflops: (2 * macs * flopFactor) / (ms * 1e6) };
      if (measuredBatch !== undefined) r.measuredBatch = measuredBatch;
      results.push(r);
      opts.onProgress?.(`${net.name} ${engine}: ${ms.toFixed(1)} ms/step` + (measuredBatch !== undefined ? ` (timed at batch ${measuredBatch}, scaled)` : ''));
    };
    if (engines.includes('cpu')) {
      const b = Math.min(opts.cpuBatch, net.batch);
      const ms = await timeTf({ ...net, batch: b }, 'cpu', opts.cpuSteps, false, false);
      add('cpu', (ms * net.batch) / b, 3, b < net.batch ? b : undefined);
    }
    if (engines.includes('wasm')) add('wasm', await timeTf(net, 'wasm', opts.steps, false), 3);
    if (engines.includes('wasm-forward')) add('wasm-forward', await timeTf(net, 'wasm', opts.steps, true), 1);
    if (engines.includes('webgpu')) add('webgpu', await timeTf(net, 'webgpu', opts.steps, false), 3);
    if (hasTorch) add('torch', timeTorch(net, opts), 3);
    if (opts.profile) profile[net.name] = await profileWasmStep(net);
    const ms = (e: Engine) => results.find((r) => r.net === net.name && r.engine === e)?.msPerStep ?? NaN;
    const ratio = (a: Engine, b: Engine) => (Number.isFinite(ms(a) / ms(b)) ? ms(a) / ms(b) : null);
    perNet[net.name] = { speedupOverCpu: ratio('cpu', 'wasm'), timeVsTorch: ratio('wasm', 'torch'), stepOverForward: ratio('wasm', 'wasm-forward') };
    if (engines.includes('webgpu')) perNet[net.name].webgpuVsTorch = ratio('webgpu', 'torch');
  }
  const info = backendInfo();
  const threads = wasmThreadCount();
  if (previous) await tf.setBackend(previous);
  return {
    results,
    perNet,
    torch: { available: hasTorch, python: opts.python, threads: opts.torchThreads, version },
    wasm: { simd: info?.tfBackend === 'wasm' ? info.wasmSimd : null, threads },
    ...(opts.profile ? { profile } : {}),
  };
}
