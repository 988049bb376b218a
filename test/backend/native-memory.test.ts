/**
 * Memory over 1,000 training steps of a small cam net (built through the method registry), on
 * the native kernels and on the wasm kernels: tensors, wasm heap buffers and RSS (after a full
 * garbage collection) must not grow once the caches are warm.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { initBackend } from '../../src/backend/select';
import { loadNativeAddon } from '../../src/backend/native/addon';
import { setNativeKernelsEnabled } from '../../src/backend/native/register';
import { checkMemory } from '../../src/bench/memory-check';
import { buildMethodNet, METHOD_NETS } from '../../src/bench/method-nets';

const load = loadNativeAddon();

for (const engine of ['native', 'wasm'] as const) {
  const skip = engine === 'native' && !load.addon ? `native addon unavailable: ${load.reason}` : false;
  test(`1,000 steps on ${engine}: tensors, wasm buffers and RSS do not grow`, { skip }, async () => {
    await initBackend('wasm');
    setNativeKernelsEnabled(engine === 'native');
    const built = buildMethodNet({ ...METHOD_NETS.find((n) => n.name === 'cam')!, name: 'cam-16', batch: 2, inputSize: 16 });
    try {
      const m = checkMemory('cam-16', engine, built, { steps: 1000, warmUpSteps: 50 });
      const trace = m.samples.map((s) => `${s.step}: ${s.numTensors} tensors, ${s.rssMB.toFixed(1)} MB`).join('; ');
      assert.equal(m.tensorGrowth, 0, `tensors grew: ${trace}`);
      assert.equal(m.bufferGrowth, 0, 'wasm buffers grew');
      assert.ok(m.rssGrowthMB <= m.rssLimitMB, `RSS grew ${m.rssGrowthMB.toFixed(1)} MB: ${trace}`);
      assert.ok(m.ok);
    } finally {
      built.dispose();
      setNativeKernelsEnabled(true);
    }
  });
}
