import { DEFAULT_BENCH, ENGINES, runBenchmark, type BenchReport, type Engine } from '../../bench/benchmark';
import { REFERENCE_NETS } from '../../bench/reference-nets';
import { UsageError } from '../args';
import type { Command } from '../command';

function formatReport(report: BenchReport): string {
  const lines = ['net        engine        ms/step   images/s   GFLOP/s'];
  for (const r of report.results) {
    const note = r.measuredBatch !== undefined ? `   (timed at batch ${r.measuredBatch}, scaled)` : '';
    lines.push(`${r.net.padEnd(10)} ${r.engine.padEnd(12)} ${r.msPerStep.toFixed(1).padStart(8)} ${r.imagesPerSec.toFixed(1).padStart(10)} ${r.gflops.toFixed(2).padStart(9)}${note}`);
  }
  const x = (v: number | null, digits = 1) => (v === null ? 'n/a' : `${v.toFixed(digits)}x`);
  for (const [net, p] of Object.entries(report.perNet)) {
    const torch = report.torch.available ? `${x(p.timeVsTorch, 2)} PyTorch's time (${report.torch.threads} threads)` : 'PyTorch not available';
    lines.push(`${net}: wasm ${x(p.speedupOverCpu)} faster than cpu; ${torch}; step = ${x(p.stepOverForward, 2)} its forward pass`);
  }
  for (const [net, kernels] of Object.entries(report.profile ?? {})) {
    lines.push(`${net} wasm step by kernel: ` + kernels.slice(0, 8).map((k) => `${k.kernel} ${k.ms.toFixed(0)} ms (${(100 * k.share).toFixed(0)}%)`).join(', '));
  }
  return lines.join('\n');
}

export const benchCommand: Command = {
  spec: {
    name: 'bench',
    summary: 'time a training step of reference nets on cpu, wasm (our kernels), wasm forward-only and PyTorch',
    usage: `wsol bench [--json] [--steps N] [--nets ${REFERENCE_NETS.map((n) => n.name).join(',')}] [--engines ${ENGINES.join(',')}] [--profile]`,
    options: {
      json: { type: 'boolean', description: 'print one JSON object' },
      steps: { type: 'int', description: 'timed steps per engine (median reported)', min: 1, default: DEFAULT_BENCH.steps },
      'cpu-steps': { type: 'int', description: 'timed steps on the slow cpu backend', min: 1, default: DEFAULT_BENCH.cpuSteps },
      'cpu-batch': { type: 'int', description: 'batch the cpu backend is timed at, scaled to the net batch', min: 1, default: DEFAULT_BENCH.cpuBatch },
      nets: { type: 'list', description: 'reference nets to run (default: all)' },
      engines: { type: 'list', description: 'engines to run (default: all)' },
      batch: { type: 'int', description: 'override the nets\' batch size', min: 1 },
      'input-size': { type: 'int', description: 'override the nets\' input size (a multiple of 4)', min: 4 },
      python: { type: 'string', description: 'python with torch for the reference', default: DEFAULT_BENCH.python },
      'torch-threads': { type: 'int', description: 'PyTorch intra-op threads', min: 1, default: DEFAULT_BENCH.torchThreads },
      profile: { type: 'boolean', description: 'also break one wasm step down by kernel' },
    },
  },
  async run(options) {
    const engines = options.engines as string[] | undefined;
    for (const e of engines ?? []) if (!(ENGINES as string[]).includes(e)) throw new UsageError(`--engines: "${e}" is not one of ${ENGINES.join(', ')}`);
    const nets = options.nets as string[] | undefined;
    for (const n of nets ?? []) {
      if (!REFERENCE_NETS.some((r) => r.name === n)) throw new UsageError(`--nets: "${n}" is not one of ${REFERENCE_NETS.map((r) => r.name).join(', ')}`);
    }
    const inputSize = options.inputSize as number | undefined;
    if (inputSize !== undefined && inputSize % 4 !== 0) throw new UsageError(`--input-size must be a multiple of 4, got ${inputSize}`);
    const report = await runBenchmark({
      steps: options.steps as number,
      cpuSteps: options.cpuSteps as number,
      cpuBatch: options.cpuBatch as number,
      nets,
      engines: engines as Engine[] | undefined,
      batch: options.batch as number | undefined,
      inputSize,
      python: options.python as string,
      torchThreads: options.torchThreads as number,
      profile: options.profile === true,
      onProgress: options.json ? undefined : (line) => process.stderr.write(line + '\n'),
    });
    process.stdout.write((options.json ? JSON.stringify(report, null, 2) : formatReport(report)) + '\n');
    return 0;
  },
};
