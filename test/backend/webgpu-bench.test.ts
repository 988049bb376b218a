/**
 * `wsol bench --engines webgpu` (src/bench/benchmark.ts) reports the webgpu engine like the
 * others, and the engine is not run unless asked for. Tiny shapes: in CI this is mesa's software
 * adapter. Skips with the reason where there is no adapter.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { initBackend } from '../../src/backend/select';
import { runBenchmark } from '../../src/bench/benchmark';

test('the benchmark times a webgpu training step when asked for it', async (t) => {
  const why = await initBackend('webgpu').then(
    () => null,
    (err: Error) => `no usable WebGPU adapter: ${err.message}`,
  );
  if (why) {
    console.log(`SKIP webgpu bench test: ${why}`);
    return t.skip(why);
  }
  const report = await runBenchmark({ engines: ['webgpu'], nets: ['vgg-64'], batch: 1, inputSize: 8, steps: 1 });
  const r = report.results.find((x) => x.engine === 'webgpu');
  assert.ok(r, `a webgpu row among ${report.results.map((x) => x.engine).join(', ')}`);
  assert.ok(r.msPerStep > 0 && Number.isFinite(r.msPerStep), `ms per step ${r.msPerStep}`);
});
