import { test } from 'node:test';
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import * as path from 'node:path';
import * as tf from '@tensorflow/tfjs-core';
import { BENCH_NET_NAMES, SPEED_TARGETS, DEFAULT_BENCH, ENGINES, runBenchmark, torchVersion } from '../../src/bench/benchmark';
import { buildMethodNet, METHOD_NETS } from '../../src/bench/method-nets';
import type { TorchTwin } from '../../src/bench/torch-twin';
import { loadNativeAddon } from '../../src/backend/native/addon';
import { initBackend } from '../../src/backend/select';
import { forwardMacs, REFERENCE_NETS } from '../../src/bench/reference-nets';

test('forwardMacs counts the reference convolutions and the dense layer', () => {
  const cnn3 = REFERENCE_NETS.find((n) => n.name === 'cnn3-112')!;
  const perImage = 112 * 112 * 9 * 3 * 32 + 56 * 56 * 9 * 32 * 64 + 28 * 28 * 9 * 64 * 128 + 128 * 10;
  assert.equal(forwardMacs(cnn3), 16 * perImage);
});

test('the benchmark runs every engine side by side on the reference and method nets with tiny settings', async () => {
  const hasTorch = torchVersion(DEFAULT_BENCH.python) !== null;
  const native = loadNativeAddon().addon !== null;
  const before = tf.memory().numTensors;
  const report = await runBenchmark({ steps: 1, rounds: 2, cpuSteps: 1, cpuBatch: 1, batch: 2, inputSize: 8, engines: ENGINES.filter((e) => e !== 'webgpu'), profile: true, memorySteps: 5 });
  assert.equal(tf.memory().numTensors, before, 'no tensor leak');
  const tfEngines = ['cpu', ...(native ? ['native'] : []), 'wasm', 'wasm-forward'];
  const torchEngines = hasTorch ? ['torch', 'torch-1t'] : [];
  for (const net of BENCH_NET_NAMES) {
    // PyTorch has the reference nets and the twins of cam and ours.
    const expected = [...tfEngines, ...torchEngines];
    assert.deepEqual(report.results.filter((r) => r.net === net).map((r) => r.engine), expected, net);
    const p = report.perNet[net];
    assert.equal(p.engine, native ? 'native' : 'wasm');
    assert.ok(p.speedupOverCpu! > 0 && p.stepOverForward! > 0, `${net}: speed-up over cpu is never null`);
    assert.equal(p.nativeSpeedupOverWasm === null, !native);
    assert.equal(p.timeVsTorch === null, !hasTorch);
    assert.equal(p.timeVsTorch1t === null, !hasTorch);
    assert.ok(report.profile![net].length > 0 && report.profile![net].some((k) => k.kernel === 'Conv2DBackpropFilter'));
  }
  for (const r of report.results) {
    for (const key of ['msPerStep', 'imagesPerSec'] as const) assert.ok(Number.isFinite(r[key]) && r[key] > 0, `${r.net} ${r.engine} ${key} = ${r[key]}`);
    const method = r.net === 'cam' || r.net === 'ours';
    assert.ok(method ? r.gflops === null : r.gflops! > 0, `${r.net} gflops`);
    assert.ok(Math.abs(r.imagesPerSec - 2000 / r.msPerStep) < 1e-9);
    // The slow cpu backend is timed at batch 1 and scaled to the net's batch of 2.
    assert.equal(r.measuredBatch, r.engine === 'cpu' ? 1 : undefined);
  }
  assert.equal(report.torch.available, hasTorch);
  assert.equal(report.native.available, native);
  assert.deepEqual(report.memory!.map((m) => [m.net, m.steps, m.tensorGrowth]), [['cam-32', 5, 0], ['ours-32', 5, 0]]);
  // The targets are this run's ratios against their limits: each speed target, then each memory check.
  assert.equal(report.targets.length, SPEED_TARGETS.length + 2);
  const engine = native ? 'native' : 'wasm';
  const ms = (net: string) => report.results.find((r) => r.net === net && r.engine === engine)!.msPerStep;
  const oursVsCam = report.targets.find((t) => t.target === 'ours step / cam step')!;
  assert.equal(oursVsCam.ratio, ms('ours') / ms('cam'));
  assert.equal(oursVsCam.met, ms('ours') / ms('cam') <= 2);
  const camVsTorch = report.targets.find((t) => t.target.startsWith('cam step / PyTorch'))!;
  assert.equal(camVsTorch.ratio, report.perNet.cam.timeVsTorch);
  assert.equal(camVsTorch.met, hasTorch ? report.perNet.cam.timeVsTorch! <= 1 : null);
  assert.deepEqual(report.targets.slice(-2).map((t) => t.met), report.memory!.map((m) => m.ok));
});

test('the cam twin follows the registry model layer by layer', async () => {
  await initBackend('wasm');
  const built = buildMethodNet({ ...METHOD_NETS.find((n) => n.name === 'cam')!, batch: 1, inputSize: 16 });
  try {
    assert.notEqual(typeof built.twin, 'string', String(built.twin));
    const twin = built.twin as TorchTwin;
    const convs = twin.layers.filter((l) => l.kind === 'conv');
    // Every trainable conv kernel of the tfjs model appears, in order, with its shape.
    const kernels = built.vars.filter((v) => v.shape.length === 4).map((v) => v.shape);
    assert.deepEqual(convs.map((c) => (c.kind === 'conv' ? [c.k, c.k, c.cin, c.cout] : [])), kernels);
    assert.equal(twin.head, 'gap');
    assert.equal(twin.optimizer.name, 'adamw');
  } finally {
    built.dispose();
  }
});

test('`wsol bench --json` prints one JSON object; cpu and the training engine always run; bad options are named', () => {
  const wsol = path.join(__dirname, '..', '..', 'bin', 'wsol.js');
  const args = ['bench', '--json', '--steps', '1', '--rounds', '1', '--cpu-steps', '1', '--batch', '1', '--input-size', '8', '--nets', 'vgg-64', '--engines', 'wasm,wasm-forward'];
  const r = spawnSync(process.execPath, [wsol, ...args], { encoding: 'utf8' });
  assert.equal(r.status, 0, r.stderr);
  const report = JSON.parse(r.stdout);
  const native = report.native.available;
  assert.deepEqual(report.results.map((x: { engine: string }) => x.engine), ['cpu', ...(native ? ['native'] : []), 'wasm', 'wasm-forward']);
  assert.deepEqual(Object.keys(report.perNet), ['vgg-64']);
  assert.ok(report.perNet['vgg-64'].speedupOverCpu > 0);
  assert.equal(report.perNet['vgg-64'].timeVsTorch, null);
  const bad = spawnSync(process.execPath, [wsol, 'bench', '--engines', 'gpu'], { encoding: 'utf8' });
  assert.equal(bad.status, 2);
  assert.match(bad.stderr, /--engines: "gpu"/);
});
