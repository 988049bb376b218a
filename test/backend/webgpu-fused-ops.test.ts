/**
 * The webgpu engine's fused training ops (src/backend/webgpu/kernels/, contracts in
 * src/backend/fused-ops.ts) against their plain-tfjs references computed on the cpu backend, and
 * the dispatch count of a training step (src/backend/webgpu/dispatch-count.ts) with this project's
 * kernels against tfjs-webgpu's stock ones.
 *
 * Runs on any WebGPU adapter, a software one included (CI installs mesa's lavapipe,
 * data-scripts/setup-ci-vulkan.sh); skips with the reason where there is none.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import * as tf from '@tensorflow/tfjs-core';
import { initBackend } from '../../src/backend/select';
import { adamWReference, adamWUpdate, FUSED_KERNELS, hasFusedKernel, type AdamWHyper, type AdamWSlot } from '../../src/backend/fused-ops';
import { countDispatches } from '../../src/backend/webgpu/dispatch-count';
import { useWebgpuKernels } from '../../src/backend/webgpu/kernels/register';
import { random, relError } from '../helpers/numeric';

const unavailable: Promise<string | null> = initBackend('webgpu').then(
  (info) => {
    console.log(`webgpu fused-op tests on ${info.webgpuAdapter}`);
    return null;
  },
  (err: Error) => {
    const why = `no usable WebGPU adapter: ${err.message}`;
    console.log(`SKIP webgpu fused-op tests: ${why}`);
    return why;
  },
);

/** Runs `fn` on cpu and on webgpu from the same arrays; checks neither leaks; returns both outputs. */
async function onBoth(fn: () => tf.Tensor[]): Promise<{ cpu: Float32Array[]; gpu: Float32Array[] }> {
  const run = async (backend: string) => {
    await tf.setBackend(backend);
    const before = tf.memory().numTensors;
    const out = tf.tidy(fn);
    const values = out.map((t) => t.dataSync() as Float32Array);
    tf.dispose(out);
    assert.equal(tf.memory().numTensors, before, `no tensors leaked on ${backend}`);
    return values;
  };
  const cpu = await run('cpu');
  const gpu = await run('webgpu');
  return { cpu, gpu };
}

function assertClose(what: string, gpu: Float32Array[], cpu: Float32Array[], tol: number): void {
  assert.equal(gpu.length, cpu.length, `${what}: output count`);
  cpu.forEach((c, i) => {
    const err = relError(gpu[i], c);
    assert.ok(err < tol, `${what} output ${i}: relative error ${err} (webgpu kernel vs cpu reference)`);
    assert.ok(c.some((v) => v !== 0), `${what} output ${i} is not all zeros`);
  });
}

const ADAM_SHAPES = [[3, 3, 4, 8], [8], [8, 5], [70_000]];

function adamSlots(step: number): AdamWSlot[] {
  return ADAM_SHAPES.map((shape, i) => ({
    weight: tf.tensor(random(shape, 10 + i), shape),
    grad: tf.tensor(random(shape, 20 + i, 3), shape),
    m: tf.tensor(random(shape, 30 + i, 0.1), shape),
    // The second moment is non-negative.
    s: tf.abs(tf.tensor(random(shape, 40 + i, 0.01), shape)),
    rate: 0.01 * (i + 1) * step,
    decay: shape.length > 1 ? 0.05 : 0,
  }));
}

for (const decoupled of [true, false]) {
  test(`WsolAdamWUpdate on webgpu equals the reference on cpu (${decoupled ? 'decoupled' : 'L2'} weight decay)`, async (t) => {
    const why = await unavailable;
    if (why) return t.skip(why);
    const hyper: AdamWHyper = { step: 3, decoupled, beta1: 0.9, beta2: 0.999, epsilon: 1e-8 };
    await tf.setBackend('webgpu');
    assert.ok(hasFusedKernel(FUSED_KERNELS.adamW), 'webgpu registers WsolAdamWUpdate');
    const cpuRef = await onBoth(() => adamWReference(adamSlots(3), hyper).flatMap((r) => [r.weight, r.m, r.s]));
    const gpuFused = await onBoth(() => adamWUpdate(adamSlots(3), hyper).flatMap((r) => [r.weight, r.m, r.s]));
    // cpu runs the reference both times (no fused kernel there); webgpu the fused kernel.
    assertClose('AdamW', gpuFused.gpu, cpuRef.cpu, 1e-6);
    // The update moved the weights (a no-op kernel would fail here).
    const before = random(ADAM_SHAPES[0], 10);
    assert.ok(relError(gpuFused.gpu[0], before) > 1e-4, 'the first weight changed');
  });
}

test('WsolAdamWUpdate costs one dispatch per weight on webgpu', async (t) => {
  const why = await unavailable;
  if (why) return t.skip(why);
  await tf.setBackend('webgpu');
  const hyper: AdamWHyper = { step: 1, decoupled: true, beta1: 0.9, beta2: 0.999, epsilon: 1e-8 };
  const slots = adamSlots(1);
  // Uploads and the abs() of the slots happen before counting.
  slots.forEach((s) => [s.weight, s.grad, s.m, s.s].forEach((x) => x.dataSync()));
  const fused = countDispatches(() => adamWUpdate(slots, hyper));
  const reference = countDispatches(() => adamWReference(slots, hyper));
  assert.equal(fused.dispatches, ADAM_SHAPES.length, 'one dispatch per weight');
  assert.ok(reference.dispatches >= 10 * ADAM_SHAPES.length, `the reference takes ${reference.dispatches} dispatches`);
  const values = [fused.value, reference.value].map((rs) => rs.flatMap((r) => [r.weight, r.m, r.s]).map((x) => x.dataSync() as Float32Array));
  values[0].forEach((v, i) => assert.ok(relError(v, values[1][i]) < 1e-6, `output ${i} equals the reference's`));
  tf.dispose([...fused.value, ...reference.value].flatMap((r) => [r.weight, r.m, r.s]));
  tf.dispose(slots.flatMap((s) => [s.weight, s.grad, s.m, s.s]));
  useWebgpuKernels('auto');
});
