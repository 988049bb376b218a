import { test } from 'node:test';
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import * as path from 'node:path';
import * as tf from '@tensorflow/tfjs-core';
import { runBenchmark, torchVersion, DEFAULT_BENCH } from '../../src/bench/benchmark';
import { forwardMacs, REFERENCE_NETS } from '../../src/bench/reference-nets';

test('forwardMacs counts the reference convolutions and the dense layer', () => {
  const cnn3 = REFERENCE_NETS.find((n) => n.name === 'cnn3-112')!;
  const perImage = 112 * 112 * 9 * 3 * 32 + 56 * 56 * 9 * 32 * 64 + 28 * 28 * 9 * 64 * 128 + 128 * 10;
  assert.equal(forwardMacs(cnn3), 16 * perImage);
});

test('the benchmark machinery runs every engine with tiny settings and reports a well-formed result', async () => {
  const hasTorch = torchVersion(DEFAULT_BENCH.python) !== null;
  const before = tf.memory().numTensors;
  const report = await runBenchmark({ steps: 1, cpuSteps: 1, cpuBatch: 1, batch: 2, inputSize: 8, nets: ['cnn3-112', 'vgg-64'], profile: true });
  assert.equal(tf.memory().numTensors, before, 'no tensor leak');
  const engines = ['cpu', 'wasm', 'wasm-forward', ...(hasTorch ? ['torch'] : [])];
  assert.equal(report.results.length, 2 * engines.length);
  for (const net of ['cnn3-112', 'vgg-64']) {
    assert.deepEqual(report.results.filter((r) => r.net === net).map((r) => r.engine), engines);
    const p = report.perNet[net];
    assert.ok(p.speedupOverCpu! > 0 && p.stepOverForward! > 0);
    assert.equal(p.timeVsTorch === null, !hasTorch);
    assert.ok(report.profile![net].length > 0 && report.profile![net].some((k) => k.kernel === 'Conv2DBackpropFilter'));
  }
  for (const r of report.results) {
    for (const key of ['msPerStep', 'imagesPerSec', 'gflops'] as const) assert.ok(Number.isFinite(r[key]) && r[key] > 0, `${r.net} ${r.engine} ${key} = ${r[key]}`);
    assert.ok(Math.abs(r.imagesPerSec - 2000 / r.msPerStep) < 1e-9);
    // The slow cpu backend is timed at batch 1 and scaled to the net's batch of 2.
    assert.equal(r.measuredBatch, r.engine === 'cpu' ? 1 : undefined);
  }
  assert.equal(report.torch.available, hasTorch);
});

test('`wsol bench --json` prints one JSON object; bad options are named', () => {
  const wsol = path.join(__dirname, '..', '..', 'bin', 'wsol.js');
  const args = ['bench', '--json', '--steps', '1', '--cpu-steps', '1', '--batch', '1', '--input-size', '8', '--nets', 'vgg-64', '--engines', 'wasm,wasm-forward'];
  const r = spawnSync(process.execPath, [wsol, ...args], { encoding: 'utf8' });
  assert.equal(r.status, 0, r.stderr);
  const report = JSON.parse(r.stdout);
  assert.deepEqual(report.results.map((x: { engine: string }) => x.engine), ['wasm', 'wasm-forward']);
  assert.deepEqual(Object.keys(report.perNet), ['vgg-64']);
  assert.equal(report.perNet['vgg-64'].speedupOverCpu, null);
  assert.equal(report.perNet['vgg-64'].timeVsTorch, null);
  const bad = spawnSync(process.execPath, [wsol, 'bench', '--engines', 'gpu'], { encoding: 'utf8' });
  assert.equal(bad.status, 2);
  assert.match(bad.stderr, /--engines: "gpu"/);
});
