/**
 * The webgpu side of the GPU benchmark (run by data-scripts/gpu-bench.sh, bundled with esbuild so it
 * runs from a copied folder with its own Node). One part per call; each prints one JSON line per
 * measurement (`{"kind": ...}`), which the shell script joins with the PyTorch CUDA twin
 * (gpu-bench-torch.py) into one table.
 *
 *   node gpu-bench.js bench   [--steps N] [--nets vgg-64,vgg16-224] [--kernels auto,project,filter,stock] [--label S]
 *       reference nets: median step per convolution kernel set (src/backend/webgpu/kernels/register.ts),
 *       a per-kernel profile, and the dispatches per step with this project's kernels and the stock ones
 *   node gpu-bench.js method  [--steps N] [--nets cam,ours] [--batch N] [--input-size N]
 *       the method nets (src/bench/method-nets.ts, 64 px, batch 16): step time, profile, dispatches
 *   node gpu-bench.js recipes [--mode full|quick|...] [--out DIR] [--limit N] [--epochs N]
 *       every notebook's training recipe (src/notebook/recipes.ts), trained as the notebooks do
 *   node gpu-bench.js wsol <command> [options]   the wsol command line (e.g. reproduce --quick)
 *   node gpu-bench.js specs [--nets a,b]   the nets as JSON, with the PyTorch twin of each method net
 *
 * VGG16-224 at batch 32: 13 VGG16 convolutions, 4 poolings, global average pool, dense (the project's
 * backbone shape).
 */
// Gradients first: bundled, the project's own loader (through tsx) is not there, and then sees
// them registered (src/backend/register-gradients.ts).
import '@tensorflow/tfjs-core/dist/register_all_gradients';
import '@tensorflow/tfjs-core/dist/public/chained_ops/register_all_chained_ops';
import * as path from 'path';
import * as tf from '@tensorflow/tfjs-core';
import { initBackend } from '../src/backend/select';
import { compareDispatches } from '../src/backend/webgpu/dispatch-comparison';
import { useWebgpuKernels, type WebgpuKernelSet } from '../src/backend/webgpu/kernels/register';
import { buildMethodNet, METHOD_NETS, type MethodNet } from '../src/bench/method-nets';
import { buildReferenceNet, forwardMacs, REFERENCE_NETS, type BuiltNet, type Layer, type ReferenceNet } from '../src/bench/reference-nets';
import { formatHelp, parseArgs, UsageError, type CommandSpec } from '../src/cli/args';
import { main as wsolMain } from '../src/cli/main';
import { failIfUnfinished } from '../src/cli/unfinished-guard';
import { COMPARE_METHODS, COMPARE_SEEDS, NOTEBOOK_RECIPES, recipeDataset, type NotebookRecipe } from '../src/notebook/recipes';
import { trainOrReuse } from '../src/notebook/run-or-reuse';

const conv = (cin: number, cout: number): Layer => ({ kind: 'conv', cin, cout });
const pool: Layer = { kind: 'pool' };

export const VGG16_224: ReferenceNet = {
  name: 'vgg16-224',
  inputSize: 224,
  batch: 32,
  classes: 10,
  layers: [
    conv(3, 64), conv(64, 64), pool,
    conv(64, 128), conv(128, 128), pool,
    conv(128, 256), conv(256, 256), conv(256, 256), pool,
    conv(256, 512), conv(512, 512), conv(512, 512), pool,
    conv(512, 512), conv(512, 512), conv(512, 512),
  ],
};

/** The reference nets this script times: vgg-64 as `wsol bench` runs it (batch 16) and VGG16-224. */
const BENCH_NETS: ReferenceNet[] = [...REFERENCE_NETS.filter((n) => n.name === 'vgg-64'), VGG16_224];

const SPEC: CommandSpec = {
  name: 'gpu-bench',
  summary: 'the webgpu side of data-scripts/gpu-bench.sh',
  usage: 'node gpu-bench.js bench|method|recipes|specs [options] | node gpu-bench.js wsol <command> [options]',
  positionals: { name: 'part', min: 1 },
  options: {
    steps: { type: 'int', description: 'timed steps per net and kernel set', min: 1, default: 5 },
    nets: { type: 'list', description: 'nets to run (bench: vgg-64,vgg16-224; method: cam,ours)' },
    kernels: { type: 'list', description: 'bench: kernel sets to time', default: ['auto', 'project', 'filter', 'stock'] },
    label: { type: 'string', description: 'suffix for the kernel-set names in the output (e.g. +unsafe)', default: '' },
    batch: { type: 'int', description: 'override the nets\' batch (tests use tiny settings)', min: 1 },
    'input-size': { type: 'int', description: 'override the nets\' input size (a multiple of 4)', min: 8 },
    mode: { type: 'string', description: 'recipes: which budget of each recipe (full, the notebooks\' default; quick; or another the recipes define)', default: 'full' },
    out: { type: 'string', description: 'recipes: folder for the runs', default: 'runs/recipes' },
    limit: { type: 'int', description: 'recipes: at most N training images per run (0: the recipe\'s own)', min: 0, default: 0 },
    epochs: { type: 'int', description: 'recipes: epochs per run instead of the recipe\'s', min: 1 },
  },
};

function median(xs: number[]): number {
  const s = [...xs].sort((a, b) => a - b);
  return s.length % 2 ? s[(s.length - 1) / 2] : (s[s.length / 2 - 1] + s[s.length / 2]) / 2;
}

function emit(obj: Record<string, unknown>): void {
  process.stdout.write(JSON.stringify(obj) + '\n');
}

function timeSteps(build: () => BuiltNet, steps: number): { ms: number; loss: number } {
  const built = build();
  try {
    let loss = built.step(1e-3); // warm-up: shader compilation, buffer pools
    const times: number[] = [];
    for (let i = 0; i < steps; i++) {
      const t0 = performance.now();
      loss = built.step(1e-3); // step() reads the loss back, so the GPU work is finished
      times.push(performance.now() - t0);
    }
    return { ms: median(times), loss };
  } finally {
    built.dispose();
  }
}

/** The 8 slowest kernels of one step, and the kernel count and GPU time of the whole step. */
async function profileStep(build: () => BuiltNet): Promise<{ top: Array<{ kernel: string; ms: number }>; kernelCount: number; kernelMs: number }> {
  const built = build();
  try {
    built.step(1e-3);
    const info = await tf.profile(() => {
      built.step(1e-3);
    });
    const total: Record<string, number> = {};
    for (const k of info.kernels) total[k.name] = (total[k.name] ?? 0) + Number(k.kernelTimeMs);
    const top = Object.entries(total)
      .map(([kernel, ms]) => ({ kernel, ms: Math.round(ms * 100) / 100 }))
      .sort((a, b) => b.ms - a.ms)
      .slice(0, 8);
    const kernelMs = Object.values(total).reduce((a, b) => a + b, 0);
    return { top, kernelCount: info.kernels.length, kernelMs: Math.round(kernelMs * 100) / 100 };
  } finally {
    built.dispose();
  }
}

function pick<T extends { name: string }>(all: T[], wanted: string[] | undefined): T[] {
  if (!wanted) return all;
  return wanted.map((name) => {
    const n = all.find((x) => x.name === name);
    if (!n) throw new UsageError(`--nets: unknown net "${name}" (known: ${all.map((x) => x.name).join(', ')})`);
    return n;
  });
}

async function useWebgpu(): Promise<void> {
  const info = await initBackend('webgpu');
  emit({ kind: 'adapter', adapter: info.webgpuAdapter, attempts: info.attempts });
}

function emitDispatches(net: string, build: () => BuiltNet): void {
  emit({ kind: 'dispatches', net, ...compareDispatches(build) });
}

async function benchPart(o: Record<string, unknown>): Promise<void> {
  await useWebgpu();
  const sets = o.kernels as WebgpuKernelSet[];
  const label = o.label as string;
  for (const net of sized(pick(BENCH_NETS, o.nets as string[] | undefined), o)) {
    const gflop = (2 * forwardMacs(net) * 3) / 1e9;
    const build = () => buildReferenceNet(net);
    for (const set of sets) {
      useWebgpuKernels(set);
      const r = timeSteps(build, set === 'auto' || set === 'project' ? (o.steps as number) : Math.min(o.steps as number, 3));
      const kernels = `${set}${label}`;
      emit({ kind: 'step', part: 'bench', net: net.name, kernels, ms: r.ms, loss: r.loss, gflop, ...(set === 'auto' ? { spec: net } : {}) });
      emit({ kind: 'profile', net: net.name, kernels, ...(await profileStep(build)) });
    }
    useWebgpuKernels('auto');
    if (!label) emitDispatches(net.name, build);
  }
}

/** The nets with --batch and --input-size applied. */
function sized<T extends { batch: number; inputSize: number }>(nets: T[], o: Record<string, unknown>): T[] {
  const size = o.inputSize as number | undefined;
  if (size !== undefined && size % 4 !== 0) throw new UsageError(`--input-size must be a multiple of 4, got ${size}`);
  return nets.map((n) => ({ ...n, batch: (o.batch as number | undefined) ?? n.batch, inputSize: size ?? n.inputSize }));
}

function methodNets(o: Record<string, unknown>): MethodNet[] {
  return sized(pick(METHOD_NETS, o.nets as string[] | undefined), o);
}

async function methodPart(o: Record<string, unknown>): Promise<void> {
  await useWebgpu();
  useWebgpuKernels('auto');
  for (const net of methodNets(o)) {
    const build = () => buildMethodNet(net);
    const r = timeSteps(build, o.steps as number);
    emit({ kind: 'step', part: 'method', net: net.name, kernels: 'auto', ms: r.ms, loss: r.loss, batch: net.batch, inputSize: net.inputSize });
    emit({ kind: 'profile', net: net.name, kernels: 'auto', ...(await profileStep(build)) });
    emitDispatches(net.name, build);
  }
}

/** The nets as JSON for gpu-bench-torch.py: reference nets as they are, method nets as their PyTorch twins. */
async function specsPart(o: Record<string, unknown>): Promise<void> {
  await initBackend('cpu');
  const specs: object[] = [...BENCH_NETS];
  const missing: Record<string, string> = {};
  for (const net of methodNets(o)) {
    const built = buildMethodNet({ ...net, batch: 1 });
    built.dispose();
    if (typeof built.twin === 'string') missing[net.name] = built.twin;
    else specs.push({ name: net.name, inputSize: net.inputSize, batch: net.batch, classes: net.classes, ...built.twin });
  }
  emit({ kind: 'specs', specs, missing });
}

/** Trains every notebook recipe in `mode` on webgpu, as the notebooks do (trainOrReuse), and times it. */
async function recipesPart(o: Record<string, unknown>): Promise<void> {
  await useWebgpu();
  const mode = o.mode as string;
  const out = o.out as string;
  const overrides = { ...((o.limit as number) > 0 ? { limit: o.limit as number } : {}), ...(o.epochs ? { epochs: o.epochs as number } : {}) };
  for (const [name, modes] of Object.entries(NOTEBOOK_RECIPES)) {
    const recipe = (modes as Record<string, NotebookRecipe>)[mode];
    if (!recipe) throw new UsageError(`--mode: recipe "${name}" has no "${mode}" budget (it has ${Object.keys(modes).join(', ')})`);
    const compare = name === 'compare';
    // 06 trains every compared method per seed; here each once (the first seed) to keep the GPU minutes short.
    const runs = compare ? (mode === 'quick' ? COMPARE_METHODS.quick : COMPARE_METHODS.full).map((method) => ({ method, seed: (mode === 'quick' ? COMPARE_SEEDS.quick : COMPARE_SEEDS.full)[0] })) : [{}];
    for (const run of runs) {
      const label = compare ? `${name}:${(run as { method: string }).method}` : name;
      const t0 = performance.now();
      const r = await trainOrReuse(path.join(out, label.replace(':', '-')), { ...recipe.train, ...run, ...overrides }, recipeDataset(recipe));
      const seconds = (performance.now() - t0) / 1000;
      const last = r.history[r.history.length - 1];
      emit({ kind: 'run', part: 'recipes', name: label, mode, seconds, trainSeconds: r.trainSeconds, reused: r.reused, epochs: r.history.length, loss: last?.loss ?? null, imagesPerSec: last?.imagesPerSec ?? null });
      r.model.net.dispose();
    }
  }
}

async function run(argv: string[]): Promise<number> {
  if (argv[0] === 'wsol') return wsolMain(argv.slice(1));
  const { options, positionals, help } = parseArgs(SPEC, argv);
  if (help) {
    process.stdout.write(formatHelp(SPEC) + '\n');
    return 0;
  }
  const parts: Record<string, (o: Record<string, unknown>) => Promise<void>> = { bench: benchPart, method: methodPart, recipes: recipesPart, specs: specsPart };
  const part = parts[positionals[0]];
  if (!part || positionals.length > 1) throw new UsageError(`the part must be one of ${Object.keys(parts).join(', ')} or wsol, got "${positionals.join(' ')}"`);
  // Some awaits wait on Dawn's callbacks alone (buffer maps in async reads); a timer keeps Node's
  // event loop alive meanwhile, as a notebook kernel does.
  const hold = setInterval(() => undefined, 60_000);
  try {
    await part(options);
  } finally {
    clearInterval(hold);
  }
  return 0;
}

failIfUnfinished(run(process.argv.slice(2)), `gpu-bench ${process.argv.slice(2).join(' ')}`).then(
  (code) => process.exit(code),
  (err) => {
    if (err instanceof UsageError) {
      process.stderr.write(`gpu-bench: ${err.message}\n`);
      process.exit(2);
    }
    console.error(err);
    process.exit(1);
  },
);
