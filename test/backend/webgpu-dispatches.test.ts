/**
 * GPU dispatches of one training step of `cam` and `ours` (src/bench/method-nets.ts, the registry
 * defaults at 64 px) with this project's webgpu kernels, counted by one hook on
 * `dispatchWorkgroups` (src/backend/webgpu/dispatch-count.ts) against the same step with
 * tfjs-webgpu's stock kernels: at most half as many, with the same loss (so no work was skipped).
 * Batch 2 keeps it short on mesa's software adapter; skips with the reason where there is none.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import * as tf from '@tensorflow/tfjs-core';
import { initBackend } from '../../src/backend/select';
import { compareDispatches, LOSS_TOLERANCE } from '../../src/backend/webgpu/dispatch-comparison';
import { activeWebgpuKernels } from '../../src/backend/webgpu/kernels/register';
import { buildMethodNet, METHOD_NETS } from '../../src/bench/method-nets';

const unavailable: Promise<string | null> = initBackend('webgpu').then(
  () => null,
  (err: Error) => {
    const why = `no usable WebGPU adapter: ${err.message}`;
    console.log(`SKIP webgpu dispatch tests: ${why}`);
    return why;
  },
);

for (const net of METHOD_NETS) {
  test(`${net.name}: a training step on webgpu takes at most half the stock kernels' dispatches, with the same loss`, async (t) => {
    const why = await unavailable;
    if (why) return t.skip(why);
    await tf.setBackend('webgpu');
    const before = tf.memory().numTensors;
    const d = compareDispatches(() => buildMethodNet({ ...net, batch: 2 }));
    console.log(`${net.name} at batch 2: ${d.dispatchesPerStep} dispatches per step, stock ${d.stockDispatchesPerStep}, losses ${d.loss} / ${d.stockLoss}`);
    assert.ok(d.stockDispatchesPerStep > 100, `the stock step was counted (${d.stockDispatchesPerStep})`);
    assert.ok(d.dispatchesPerStep <= d.stockDispatchesPerStep / 2, `${d.dispatchesPerStep} dispatches vs ${d.stockDispatchesPerStep} stock`);
    assert.ok(d.lossDifference <= LOSS_TOLERANCE, `losses differ by ${d.lossDifference}`);
    assert.ok(Number.isFinite(d.loss) && d.loss > 0);
    assert.equal(activeWebgpuKernels(), 'auto', 'the comparison restores the kernel set');
    assert.equal(tf.memory().numTensors, before, 'no tensors left behind');
  });
}
