/**
 * GPU benchmark of the webgpu engine (run by data-scripts/gpu-bench.sh, bundled with esbuild so it
 * runs from a copied folder with its own Node). For each net and each convolution kernel set
 * (src/backend/webgpu/kernels/register.ts: auto, project, filter, stock): the median training step and
 * a per-kernel profile of one step. Prints one JSON line per measurement (`{"kind": ...}`); the shell script joins them with
 * the PyTorch CUDA twin (gpu-bench-torch.py) into one table of ratios.
 *
 * Usage: node gpu-bench.js [--steps N] [--nets a,b] [--kernels auto,project,filter,stock] [--label SUFFIX]
 *        node gpu-bench.js --specs   (prints the nets as JSON)
 * Nets: the reference nets (src/bench/reference-nets.ts) and VGG16-224 at batch 32 (13 VGG16
 * convolutions, 4 poolings, global average pool, dense; the project's backbone shape).
 */
// Gradients first: bundled, the project's own loader (through tsx) is not there, and then sees
// them registered (src/backend/register-gradients.ts).
import '@tensorflow/tfjs-core/dist/register_all_gradients';
import '@tensorflow/tfjs-core/dist/public/chained_ops/register_all_chained_ops';
import * as tf from '@tensorflow/tfjs-core';
import { initBackend } from '../src/backend/select';
import { useWebgpuKernels, type WebgpuKernelSet } from '../src/backend/webgpu/kernels/register';
import { buildReferenceNet, forwardMacs, REFERENCE_NETS, type Layer, type ReferenceNet } from '../src/bench/reference-nets';

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

function arg(name: string): string | undefined {
  const i = process.argv.indexOf(name);
  return i >= 0 ? process.argv[i + 1] : undefined;
}

function median(xs: number[]): number {
  const s = [...xs].sort((a, b) => a - b);
  return s.length % 2 ? s[(s.length - 1) / 2] : (s[s.length / 2 - 1] + s[s.length / 2]) / 2;
}

function emit(obj: Record<string, unknown>): void {
  process.stdout.write(JSON.stringify(obj) + '\n');
}

function timeSteps(net: ReferenceNet, steps: number): { ms: number; loss: number } {
  const built = buildReferenceNet(net);
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
async function profileStep(net: ReferenceNet): Promise<{ top: Array<{ kernel: string; ms: number }>; kernelCount: number; kernelMs: number }> {
  const built = buildReferenceNet(net);
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

async function main(): Promise<void> {
  const all = [...REFERENCE_NETS, VGG16_224];
  if (process.argv.includes('--specs')) {
    emit({ kind: 'specs', specs: all });
    return;
  }
  const info = await initBackend('webgpu');
  emit({ kind: 'adapter', adapter: info.webgpuAdapter, attempts: info.attempts });
  const steps = Number(arg('--steps') ?? 5);
  const sets = (arg('--kernels') ?? 'auto,project,filter,stock').split(',') as WebgpuKernelSet[];
  const label = arg('--label') ?? '';
  const wanted = arg('--nets')?.split(',') ?? all.map((n) => n.name);
  for (const name of wanted) {
    const net = all.find((n) => n.name === name);
    if (!net) throw new Error(`--nets: unknown net "${name}" (known: ${all.map((n) => n.name).join(', ')})`);
    const gflop = (2 * forwardMacs(net) * 3) / 1e9;
    for (const set of sets) {
      useWebgpuKernels(set);
      const r = timeSteps(net, set === 'auto' || set === 'project' ? steps : Math.min(steps, 3));
      const kernels = label ? `${set}${label}` : set;
      emit({ kind: 'step', net: net.name, kernels, ms: r.ms, loss: r.loss, gflop, ...(set === 'auto' ? { spec: net } : {}) });
      emit({ kind: 'profile', net: net.name, kernels, ...(await profileStep(net)) });
    }
    useWebgpuKernels('auto');
  }
}

main().then(
  () => process.exit(0),
  (err) => {
    console.error(err);
    process.exit(1);
  },
);
