/**
 * `wsol bench`: in one run, side by side, a training step of the reference nets
 * (reference-nets.ts) and of the `cam` and `ours` method nets at the tutorial size
 * (method-nets.ts) on each engine:
 * - `native`: the wasm backend with the native oneDNN kernels (src/backend/native), what training
 *   uses when the addon is built;
 * - `wasm`: the same backend with the native kernels switched off (this project's wasm kernels);
 * - `wasm-forward`: the forward pass alone on `wasm` (a floor; not run by default);
 * - `cpu`: tfjs's pure-JS backend;
 * - `torch`, `torch-1t`: PyTorch (torch_step.py) with `torchThreads` threads and with 1 thread, on
 *   the reference nets and on the PyTorch twin of `cam` (torch-twin.ts).
 *
 * In each of `rounds` rounds every engine builds the net, runs one warm-up step (kernel setup,
 * oneDNN / XNNPACK caches), then `steps` timed steps; the median over the rounds of each round's
 * median is reported (rounds spread every engine over the same minutes of a shared, noisy
 * machine). The cpu backend is far too slow for that: it always runs (so
 * that the speed-up over it is never missing), on a short run of `cpuSteps` steps without
 * warm-up at batch `cpuBatch`, scaled linearly to the net's batch (`measuredBatch` says so).
 * FLOPs (reference nets only) count the convolutions and the dense layer: 2 per multiply-add, a
 * training step ~3x the forward pass.
 */
import { spawnSync } from 'child_process';
import * as os from 'os';
import * as path from 'path';
import * as tf from '@tensorflow/tfjs-core';
import { backendInfo, initBackend } from '../backend/select';
import { nativeStatus, setNativeKernelsEnabled } from '../backend/native/register';
import { threadSettingFromEnv } from '../backend/native/thread-policy';
import { wasmThreadCount } from '../backend/wasm-threads';
import { compareDispatches, type DispatchComparison } from '../backend/webgpu/dispatch-comparison';
import { checkMemory, type MemoryReport } from './memory-check';
import { buildMethodNet, METHOD_NETS, type MethodNet } from './method-nets';
import { buildReferenceNet, forwardMacs, REFERENCE_NETS, type BuiltNet, type ReferenceNet } from './reference-nets';

export type Engine = 'cpu' | 'native' | 'wasm' | 'wasm-forward' | 'torch' | 'torch-1t' | 'webgpu';

export const ENGINES: Engine[] = ['cpu', 'native', 'wasm', 'wasm-forward', 'torch', 'torch-1t', 'webgpu'];
export const DEFAULT_ENGINES: Engine[] = ['cpu', 'native', 'wasm', 'torch', 'torch-1t'];

/**
 * webgpu rows also carry the GPU dispatches of one steady-state step with this project's kernels
 * (`dispatchesPerStep`) and with tfjs-webgpu's stock ones (`stockDispatchesPerStep`), and both
 * paths' losses (src/backend/webgpu/dispatch-comparison.ts).
 */
export interface BenchResult extends Partial<DispatchComparison> {
  net: string;
  engine: Engine;
  msPerStep: number;
  imagesPerSec: number;
  /** null for the method nets (their passes and attention modules are not counted). */
  gflops: number | null;
  /** Present when the time was measured at this smaller batch and scaled to the net's batch. */
  measuredBatch?: number;
  /**
   * Process CPU time per step, all threads (mean over the timed steps; median over rounds). Unlike
   * the wall time it barely moves when other programs load the machine; with 1 thread it is the
   * wall time an idle machine would give.
   */
  cpuMsPerStep?: number;
}

/** Ratios of step times; null where an engine did not run (or PyTorch has no twin of the net). */
export interface NetSummary {
  kind: 'reference' | 'method';
  /** The engine training uses in this process: `native` when the addon is active, else `wasm`. */
  engine: 'native' | 'wasm';
  /** cpu ms / `engine` ms (cpu timed on a short run). */
  speedupOverCpu: number | null;
  /** wasm ms / native ms. */
  nativeSpeedupOverWasm: number | null;
  /** `engine` ms / PyTorch ms with `torch.threads` threads (the goal: <= 1). */
  timeVsTorch: number | null;
  /** `engine` ms / PyTorch ms with 1 thread. */
  timeVsTorch1t: number | null;
  /** wasm ms / PyTorch ms with `torch.threads` threads. */
  wasmTimeVsTorch: number | null;
  /** wasm training-step ms / wasm forward ms (3 would be a perfectly efficient backward). */
  stepOverForward: number | null;
  /** Why there is no PyTorch time for this net. */
  torchNote?: string;
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
  /**
   * threadSetting: WSOL_NATIVE_THREADS ('max' by default, 'auto', or a number); threadsInUse: what
   * it gave at the end of the run (src/backend/native/thread-policy.ts).
   */
  native: { available: boolean; reason: string; threads: number | null; threadSetting: number | 'max' | 'auto'; threadsInUse: number | null };
  /** XNNPACK threads of the wasm engine (see src/backend/wasm-threads.ts). */
  wasm: { simd: boolean | null; threads: number | null };
  /** The machine, to read the numbers against: a shared machine's times are noisy. */
  machine: { cpus: number; model: string; loadAverage: number[] };
  /** Per-kernel time of one training step on the default engine, per net (only with `profile`). */
  profile?: Record<string, KernelTime[]>;
  /** Memory over many steps of small cam and ours nets (only with `memorySteps`). */
  memory?: MemoryReport[];
  /** The speed targets (SPEED_TARGETS) and the memory checks, on this run's figures. */
  targets: TargetCheck[];
}

export interface BenchOptions {
  /** Timed steps per engine and round. */
  steps: number;
  /**
   * Rounds: each round times every engine once (native, wasm, ..., PyTorch) and the median of the
   * rounds' medians is reported, so a load change on a shared machine hits every engine alike.
   */
  rounds: number;
  /** Timed steps on the slow cpu backend (no warm-up). */
  cpuSteps: number;
  /** Batch the cpu backend is timed at (scaled linearly to the net's batch). */
  cpuBatch: number;
  /** Nets to run (reference and method nets); all when undefined. */
  nets?: string[];
  /** Engines to run; DEFAULT_ENGINES when undefined. `cpu` and the training engine always run. */
  engines?: Engine[];
  /** Overrides the nets' batch size (tests use tiny settings). */
  batch?: number;
  /** Overrides the nets' input size (a multiple of 4). */
  inputSize?: number;
  torchThreads: number;
  /** A python whose `import torch` works (Debian's python3-torch lives in /usr/bin/python3). */
  python: string;
  /** Also profile one step per net on the training engine, kernel by kernel. */
  profile: boolean;
  /** Also run this many steps of small cam and ours nets and check memory does not grow (0: off). */
  memorySteps: number;
  onProgress?: (line: string) => void;
}

export const DEFAULT_BENCH: BenchOptions = { steps: 3, rounds: 3, cpuSteps: 1, cpuBatch: 1, torchThreads: 2, python: '/usr/bin/python3', profile: false, memorySteps: 0 };

/**
 * The speed targets, checked on the ratios measured side by side in this run: a step of each net at
 * most `limit` times PyTorch's with `torchThreads` threads, and ours at most `limit` times cam's.
 */
export const SPEED_TARGETS: { net: string; versus: 'torch' | string; limit: number }[] = [
  { net: 'cnn3-112', versus: 'torch', limit: 1.0 },
  { net: 'vgg-64', versus: 'torch', limit: 1.0 },
  { net: 'cam', versus: 'torch', limit: 1.0 },
  { net: 'ours', versus: 'cam', limit: 2.0 },
];

/** One target, as measured: the ratio, its limit and whether it holds (null: not measured here). */
export interface TargetCheck {
  target: string;
  ratio: number | null;
  limit: number;
  met: boolean | null;
}

/** The small nets of the memory check: cam and ours at 32 px, batch 4. */
const MEMORY_NETS: MethodNet[] = METHOD_NETS.map((n) => ({ ...n, name: `${n.name}-32`, inputSize: 32, batch: 4 }));

interface BenchNet {
  name: string;
  kind: 'reference' | 'method';
  batch: number;
  /** Forward multiply-adds over the batch, or null when not counted. */
  macs: number | null;
  build(batch: number): BuiltNet;
  /** The spec torch_step.py takes, or why there is none. Builds on the current backend. */
  torchSpec(): object | string;
}

function referenceBenchNet(net: ReferenceNet): BenchNet {
  return { name: net.name, kind: 'reference', batch: net.batch, macs: forwardMacs(net), build: (batch) => buildReferenceNet({ ...net, batch }), torchSpec: () => net };
}

function methodBenchNet(net: MethodNet): BenchNet {
  return {
    name: net.name,
    kind: 'method',
    batch: net.batch,
    macs: null,
    build: (batch) => buildMethodNet({ ...net, batch }),
    torchSpec: () => {
      const built = buildMethodNet({ ...net, batch: 1 });
      built.dispose();
      return typeof built.twin === 'string' ? built.twin : { name: net.name, inputSize: net.inputSize, batch: net.batch, classes: net.classes, ...built.twin };
    },
  };
}

export const BENCH_NET_NAMES = [...REFERENCE_NETS, ...METHOD_NETS].map((n) => n.name);

function median(xs: number[]): number {
  const s = [...xs].sort((a, b) => a - b);
  return s.length % 2 ? s[(s.length - 1) / 2] : (s[s.length / 2 - 1] + s[s.length / 2]) / 2;
}

/** Switches to the backend (and kernel set) of a tfjs engine. */
async function useEngine(engine: 'cpu' | 'native' | 'wasm' | 'wasm-forward' | 'webgpu'): Promise<void> {
  if (engine === 'cpu' || engine === 'webgpu') {
    await initBackend(engine); // webgpu: only when asked for (--engines webgpu); a GPU's figures come from data-scripts/gpu-bench.sh
    return;
  }
  await initBackend('wasm');
  setNativeKernelsEnabled(engine === 'native');
}

interface Timing {
  ms: number;
  cpuMs: number;
}

async function timeTf(net: BenchNet, engine: 'cpu' | 'native' | 'wasm' | 'wasm-forward' | 'webgpu', steps: number, batch: number, warmUp: boolean): Promise<Timing> {
  await useEngine(engine);
  try {
    const built = net.build(batch);
    try {
      const run = () => (engine === 'wasm-forward' ? built.forward() : built.step(1e-3));
      if (warmUp) run();
      const times: number[] = [];
      const cpu0 = process.cpuUsage();
      for (let i = 0; i < steps; i++) {
        const t0 = performance.now();
        run();
        times.push(performance.now() - t0);
      }
      const cpu = process.cpuUsage(cpu0);
      return { ms: median(times), cpuMs: (cpu.user + cpu.system) / 1000 / steps };
    } finally {
      built.dispose();
    }
  } finally {
    setNativeKernelsEnabled(true);
  }
}

/** Kernel-by-kernel time of one training step (after a warm-up step) on the current backend. */
async function profileStep(net: BenchNet): Promise<KernelTime[]> {
  const built = net.build(net.batch);
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

function timeTorch(spec: object, steps: number, threads: number, python: string): Timing {
  const script = path.join(__dirname, 'torch_step.py');
  const r = spawnSync(python, [script, JSON.stringify(spec), String(steps), String(threads)], { encoding: 'utf8' });
  if (r.status !== 0) throw new Error(`PyTorch benchmark (${script}) failed: ${r.stderr.trim().split('\n').pop()}`);
  const parsed = JSON.parse(r.stdout.trim().split('\n').pop() as string) as { msPerStep: number; cpuMsPerStep: number };
  if (!(parsed.msPerStep > 0)) throw new Error(`PyTorch benchmark returned no timing: ${r.stdout.trim()}`);
  return { ms: parsed.msPerStep, cpuMs: parsed.cpuMsPerStep };
}

function selectNets(opts: BenchOptions): BenchNet[] {
  for (const name of opts.nets ?? []) {
    if (!BENCH_NET_NAMES.includes(name)) throw new Error(`--nets: "${name}" is not one of ${BENCH_NET_NAMES.join(', ')}`);
  }
  if (opts.inputSize !== undefined && (opts.inputSize < 8 || opts.inputSize % 4 !== 0)) {
    throw new Error(`inputSize must be a multiple of 4 and at least 8 (two 2x2 poolings), got ${opts.inputSize}`);
  }
  if (opts.batch !== undefined && !(opts.batch >= 1 && Number.isInteger(opts.batch))) throw new Error(`batch must be a positive integer, got ${opts.batch}`);
  const wanted = (name: string) => !opts.nets || opts.nets.includes(name);
  const sized = <T extends { batch: number; inputSize: number }>(n: T): T => ({ ...n, batch: opts.batch ?? n.batch, inputSize: opts.inputSize ?? n.inputSize });
  return [
    ...REFERENCE_NETS.filter((n) => wanted(n.name)).map((n) => referenceBenchNet(sized(n))),
    ...METHOD_NETS.filter((n) => wanted(n.name)).map((n) => methodBenchNet(sized(n))),
  ];
}

export async function runBenchmark(options: Partial<BenchOptions> = {}): Promise<BenchReport> {
  const opts: BenchOptions = { ...DEFAULT_BENCH, ...options };
  for (const key of ['steps', 'rounds', 'cpuSteps', 'cpuBatch', 'torchThreads'] as const) {
    if (!(Number.isInteger(opts[key]) && opts[key] >= 1)) throw new Error(`bench option ${key} must be an integer >= 1, got ${opts[key]}`);
  }
  if (!(Number.isInteger(opts.memorySteps) && opts.memorySteps >= 0)) throw new Error(`bench option memorySteps must be an integer >= 0, got ${opts.memorySteps}`);
  for (const e of opts.engines ?? []) if (!ENGINES.includes(e)) throw new Error(`engine "${e}" is not one of ${ENGINES.join(', ')}`);
  const nets = selectNets(opts);
  const previous = tf.getBackend();

  await initBackend('wasm');
  const native = nativeStatus();
  const trainingEngine: 'native' | 'wasm' = native.active ? 'native' : 'wasm';
  const requested = new Set<Engine>([...(opts.engines ?? DEFAULT_ENGINES), 'cpu', trainingEngine]);
  if (!native.active && requested.delete('native')) opts.onProgress?.(`native engine skipped: ${native.reason}`);
  const engines = ENGINES.filter((e) => requested.has(e));
  const wantTorch = engines.includes('torch') || engines.includes('torch-1t');
  const version = wantTorch ? torchVersion(opts.python) : null;
  const hasTorch = version !== null;

  const results: BenchResult[] = [];
  const perNet: Record<string, NetSummary> = {};
  const profile: Record<string, KernelTime[]> = {};
  for (const net of nets) {
    const add = (engine: Engine, ms: number, flopFactor: number, measuredBatch?: number, cpuMs?: number) => {
      const gflops = net.macs === null ? null : (2 * net.macs * flopFactor) / (ms * 1e6);
      const r: BenchResult = { net: net.name, engine, msPerStep: ms, imagesPerSec: (net.batch * 1000) / ms, gflops };
      if (measuredBatch !== undefined) r.measuredBatch = measuredBatch;
      if (cpuMs !== undefined) r.cpuMsPerStep = cpuMs;
      results.push(r);
      opts.onProgress?.(`${net.name} ${engine}: ${ms.toFixed(1)} ms/step` + (measuredBatch !== undefined ? ` (timed at batch ${measuredBatch}, scaled)` : ''));
    };
    const cpuBatch = Math.min(opts.cpuBatch, net.batch);
    if (engines.includes('cpu')) add('cpu', ((await timeTf(net, 'cpu', opts.cpuSteps, cpuBatch, false)).ms * net.batch) / cpuBatch, 3, cpuBatch < net.batch ? cpuBatch : undefined);
    let torchNote: string | undefined;
    let spec: object | string | null = null;
    if (wantTorch) {
      await useEngine(trainingEngine);
      spec = hasTorch ? net.torchSpec() : `PyTorch is not available (${opts.python} cannot import torch)`;
      if (typeof spec === 'string') torchNote = spec;
    }
    const rounds: Partial<Record<Engine, Timing[]>> = {};
    const record = (engine: Engine, t: Timing) => (rounds[engine] ??= []).push(t);
    for (let round = 0; round < opts.rounds; round++) {
      for (const engine of engines) {
        if (engine === 'native' || engine === 'wasm' || engine === 'wasm-forward' || engine === 'webgpu') record(engine, await timeTf(net, engine, opts.steps, net.batch, true));
        else if ((engine === 'torch' || engine === 'torch-1t') && spec !== null && typeof spec !== 'string') {
          record(engine, timeTorch(spec, opts.steps, engine === 'torch' ? opts.torchThreads : 1, opts.python));
        }
      }
    }
    for (const engine of engines) {
      const times = rounds[engine];
      if (times) add(engine, median(times.map((t) => t.ms)), engine === 'wasm-forward' ? 1 : 3, undefined, median(times.map((t) => t.cpuMs)));
    }
    if (engines.includes('webgpu')) {
      await useEngine('webgpu');
      const d = compareDispatches(() => net.build(net.batch));
      const row = results.find((r) => r.net === net.name && r.engine === 'webgpu');
      if (row) Object.assign(row, d);
      opts.onProgress?.(`${net.name} webgpu: ${d.dispatchesPerStep} dispatches per step (stock kernels: ${d.stockDispatchesPerStep}), losses ${d.loss} and ${d.stockLoss}`);
    }
    if (opts.profile) {
      await useEngine(trainingEngine);
      profile[net.name] = await profileStep(net);
    }
    const ms = (e: Engine) => results.find((r) => r.net === net.name && r.engine === e)?.msPerStep ?? NaN;
    const ratio = (a: Engine, b: Engine) => (Number.isFinite(ms(a) / ms(b)) ? ms(a) / ms(b) : null);
    const timeVsTorch = ratio(trainingEngine, 'torch');
    perNet[net.name] = {
      kind: net.kind,
      engine: trainingEngine,
      speedupOverCpu: ratio('cpu', trainingEngine),
      nativeSpeedupOverWasm: ratio('wasm', 'native'),
      timeVsTorch,
      timeVsTorch1t: ratio(trainingEngine, 'torch-1t'),
      wasmTimeVsTorch: ratio('wasm', 'torch'),
      stepOverForward: ratio('wasm', 'wasm-forward'),
      ...(torchNote ? { torchNote } : {}),
    };
  }
  const memory: MemoryReport[] = [];
  if (opts.memorySteps > 0) {
    await useEngine(trainingEngine);
    for (const net of MEMORY_NETS) {
      const built = buildMethodNet({ ...net, batch: opts.batch ?? net.batch });
      try {
        memory.push(checkMemory(net.name, trainingEngine, built, { steps: opts.memorySteps }));
      } finally {
        built.dispose();
      }
      const m = memory[memory.length - 1];
      opts.onProgress?.(`memory over ${m.steps} steps of ${m.net}: tensors ${m.tensorGrowth >= 0 ? '+' : ''}${m.tensorGrowth}, RSS ${m.rssGrowthMB.toFixed(1)} MB`);
    }
  }
  const targets = checkTargets(results, perNet, trainingEngine, opts.torchThreads, memory);
  await useEngine('wasm');
  const info = backendInfo();
  const threads = wasmThreadCount();
  if (previous) await tf.setBackend(previous);
  return {
    results,
    perNet,
    torch: { available: hasTorch, python: opts.python, threads: opts.torchThreads, version },
    native: { available: native.active, reason: native.reason, threads: native.threads, threadSetting: threadSettingFromEnv(), threadsInUse: nativeStatus().threadsInUse },
    wasm: { simd: info?.tfBackend === 'wasm' ? info.wasmSimd : null, threads },
    machine: { cpus: os.cpus().length, model: os.cpus()[0]?.model ?? 'unknown', loadAverage: os.loadavg() },
    ...(opts.profile ? { profile } : {}),
    ...(memory.length > 0 ? { memory } : {}),
    targets,
  };
}

/** The speed targets on this run's step times (training engine), then one memory check per net. */
function checkTargets(results: BenchResult[], perNet: Record<string, NetSummary>, engine: Engine, torchThreads: number, memory: MemoryReport[]): TargetCheck[] {
  const ms = (net: string) => results.find((r) => r.net === net && r.engine === engine)?.msPerStep;
  const checks: TargetCheck[] = [];
  for (const t of SPEED_TARGETS) {
    if (!perNet[t.net]) continue;
    const ratio = t.versus === 'torch' ? perNet[t.net].timeVsTorch : (() => {
      const a = ms(t.net);
      const b = ms(t.versus);
      return a !== undefined && b !== undefined ? a / b : null;
    })();
    const versus = t.versus === 'torch' ? `PyTorch (${torchThreads} threads)` : t.versus;
    checks.push({ target: `${t.net} step / ${versus} step`, ratio, limit: t.limit, met: ratio === null ? null : ratio <= t.limit });
  }
  for (const m of memory) {
    checks.push({ target: `${m.net}: RSS growth over ${m.steps} steps (MB; tensors ${m.tensorGrowth >= 0 ? '+' : ''}${m.tensorGrowth}, buffers ${m.bufferGrowth >= 0 ? '+' : ''}${m.bufferGrowth})`, ratio: m.rssGrowthMB, limit: m.rssLimitMB, met: m.ok });
  }
  return checks;
}
