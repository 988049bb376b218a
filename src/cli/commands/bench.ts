import { BENCH_NET_NAMES, DEFAULT_BENCH, DEFAULT_ENGINES, ENGINES, runBenchmark, type BenchReport, type Engine } from '../../bench/benchmark';
import { UsageError } from '../args';
import type { Command } from '../command';

function formatReport(report: BenchReport): string {
  const lines = [
    `machine: ${report.machine.cpus} CPUs (${report.machine.model}), load average ${report.machine.loadAverage.map((l) => l.toFixed(2)).join(' ')}: ` +
      'times on a shared machine are noisy',
    `native engine: ${report.native.available ? `yes (${report.native.reason}; WSOL_NATIVE_THREADS=${report.native.threadSetting}, ${report.native.threadsInUse} in use)` : `no (${report.native.reason})`}`,
    '',
    'net        engine        ms/step  CPU ms/step   images/s   GFLOP/s',
  ];
  for (const r of report.results) {
    const note = r.measuredBatch !== undefined ? `   (timed at batch ${r.measuredBatch}, scaled)` : '';
    const gflops = r.gflops === null ? '-' : r.gflops.toFixed(2);
    const cpu = r.cpuMsPerStep === undefined ? '-' : r.cpuMsPerStep.toFixed(1);
    lines.push(`${r.net.padEnd(10)} ${r.engine.padEnd(12)} ${r.msPerStep.toFixed(1).padStart(8)} ${cpu.padStart(12)} ${r.imagesPerSec.toFixed(1).padStart(10)} ${gflops.padStart(9)}${note}`);
  }
  lines.push('');
  const x = (v: number | null, digits = 2) => (v === null ? 'n/a' : `${v.toFixed(digits)}x`);
  for (const r of report.results) {
    if (r.dispatchesPerStep === undefined) continue;
    lines.push(`${r.net}: webgpu ${r.dispatchesPerStep} GPU dispatches per step, ${r.stockDispatchesPerStep} with tfjs-webgpu's stock kernels (losses ${r.loss?.toFixed(5)} and ${r.stockLoss?.toFixed(5)})`);
  }
  for (const [net, p] of Object.entries(report.perNet)) {
    const torch = p.torchNote
      ? p.torchNote
      : `${x(p.timeVsTorch)} PyTorch's time with ${report.torch.threads} threads, ${x(p.timeVsTorch1t)} with 1 thread`;
    const native = p.nativeSpeedupOverWasm === null ? '' : `, ${x(p.nativeSpeedupOverWasm, 1)} faster than wasm`;
    lines.push(`${net}: ${p.engine} ${x(p.speedupOverCpu, 0)} faster than cpu${native}; ${torch}`);
  }
  for (const [net, kernels] of Object.entries(report.profile ?? {})) {
    lines.push(`${net} step by kernel: ` + kernels.slice(0, 8).map((k) => `${k.kernel} ${k.ms.toFixed(0)} ms (${(100 * k.share).toFixed(0)}%)`).join(', '));
  }
  for (const m of report.memory ?? []) {
    lines.push(
      `memory, ${m.steps} steps of ${m.net} on ${m.engine} after ${m.warmUpSteps} warm-up steps: tensors ${m.tensorGrowth >= 0 ? '+' : ''}${m.tensorGrowth}, ` +
        `backend buffers ${m.bufferGrowth >= 0 ? '+' : ''}${m.bufferGrowth}, RSS ${m.rssGrowthMB >= 0 ? '+' : ''}${m.rssGrowthMB.toFixed(1)} MB (limit ${m.rssLimitMB} MB): ${m.ok ? 'ok' : 'GROWS'}`,
    );
  }
  lines.push('', 'targets (ratios from this run, side by side):');
  for (const t of report.targets) {
    const verdict = t.met === null ? 'not measured' : t.met ? 'met' : 'missed';
    lines.push(`  ${t.target.padEnd(64)} ${t.ratio === null ? 'n/a'.padStart(7) : t.ratio.toFixed(2).padStart(7)}  limit ${t.limit.toFixed(2)}  ${verdict}`);
  }
  return lines.join('\n');
}

export const benchCommand: Command = {
  spec: {
    name: 'bench',
    summary: 'time a training step (reference nets, cam, ours) on native oneDNN, wasm, cpu and PyTorch (2 threads and 1), side by side',
    usage: `wsol bench [--json] [--steps N] [--rounds N] [--nets ${BENCH_NET_NAMES.join(',')}] [--engines ${ENGINES.join(',')}] [--profile] [--memory-steps N]`,
    options: {
      json: { type: 'boolean', description: 'print one JSON object' },
      steps: { type: 'int', description: 'timed steps per engine and round', min: 1, default: DEFAULT_BENCH.steps },
      rounds: { type: 'int', description: 'rounds over all engines (median of the round medians reported)', min: 1, default: DEFAULT_BENCH.rounds },
      'cpu-steps': { type: 'int', description: 'timed steps on the slow cpu backend (it always runs)', min: 1, default: DEFAULT_BENCH.cpuSteps },
      'cpu-batch': { type: 'int', description: 'batch the cpu backend is timed at, scaled to the net batch', min: 1, default: DEFAULT_BENCH.cpuBatch },
      nets: { type: 'list', description: 'nets to run (default: all)' },
      engines: { type: 'list', description: `engines to run (default: ${DEFAULT_ENGINES.join(',')}; cpu and the training engine always run)` },
      batch: { type: 'int', description: 'override the nets\' batch size', min: 1 },
      'input-size': { type: 'int', description: 'override the nets\' input size (a multiple of 4)', min: 8 },
      python: { type: 'string', description: 'python with torch for the reference', default: DEFAULT_BENCH.python },
      'torch-threads': { type: 'int', description: 'PyTorch intra-op threads (a 1-thread run is added by torch-1t)', min: 1, default: DEFAULT_BENCH.torchThreads },
      profile: { type: 'boolean', description: 'also break one training step down by kernel' },
      'memory-steps': { type: 'int', description: 'also run N steps of small cam and ours nets and check memory does not grow (e.g. 1000)', min: 0, default: DEFAULT_BENCH.memorySteps },
    },
  },
  async run(options) {
    const engines = options.engines as string[] | undefined;
    for (const e of engines ?? []) if (!(ENGINES as string[]).includes(e)) throw new UsageError(`--engines: "${e}" is not one of ${ENGINES.join(', ')}`);
    const nets = options.nets as string[] | undefined;
    for (const n of nets ?? []) if (!BENCH_NET_NAMES.includes(n)) throw new UsageError(`--nets: "${n}" is not one of ${BENCH_NET_NAMES.join(', ')}`);
    const inputSize = options.inputSize as number | undefined;
    if (inputSize !== undefined && inputSize % 4 !== 0) throw new UsageError(`--input-size must be a multiple of 4, got ${inputSize}`);
    const report = await runBenchmark({
      steps: options.steps as number,
      rounds: options.rounds as number,
      cpuSteps: options.cpuSteps as number,
      cpuBatch: options.cpuBatch as number,
      nets,
      engines: engines as Engine[] | undefined,
      batch: options.batch as number | undefined,
      inputSize,
      python: options.python as string,
      torchThreads: options.torchThreads as number,
      profile: options.profile === true,
      memorySteps: options.memorySteps as number,
      onProgress: options.json ? undefined : (line) => process.stderr.write(line + '\n'),
    });
    process.stdout.write((options.json ? JSON.stringify(report, null, 2) : formatReport(report)) + '\n');
    return (report.memory ?? []).some((m) => !m.ok) ? 1 : 0;
  },
};
