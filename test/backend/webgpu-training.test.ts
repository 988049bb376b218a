/**
 * A few real training steps of `cam` and `ours` (src/method/registry.ts, src/train/train-step.ts)
 * on the webgpu engine: finite loss that falls on a fixed batch, no tensor growth per step, and
 * the first steps' losses equal to the cpu backend's from the same weights and batch; and one step
 * of every method in the registry against cpu. Tiny shapes:
 * in CI this runs on mesa's software adapter. Skips with the reason where no adapter exists.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import * as tf from '@tensorflow/tfjs-core';
import { initBackend } from '../../src/backend/select';
import { createModel, METHODS, type ModelConfig } from '../../src/method/registry';
import { DEFAULT_OPTIMIZER, WsolOptimizer } from '../../src/train/optimizer';
import { trainableVariables, trainStep } from '../../src/train/train-step';
import { random } from '../helpers/numeric';

const unavailable: Promise<string | null> = initBackend('webgpu').then(
  () => null,
  (err: Error) => {
    const why = `no usable WebGPU adapter: ${err.message}`;
    console.log(`SKIP webgpu training tests: ${why}`);
    return why;
  },
);

const config = (method: string): ModelConfig => ({ method, backbone: 'tiny', numClasses: 3, inputSize: 32, tinyWidth: 4, headWidth: 8 });
const BATCH = 4;
const LABELS = Int32Array.from([0, 1, 2, 0]);
const IMAGES = random([BATCH, 32, 32, 3], 11);
const CTX = { step: 1000, seed: 1 };

const LR = 1e-3;

/**
 * Losses of `steps` training steps on `backend` from the given initial weights (all weights when
 * null: the model's own seeded-at-random ones), checking that no step grows the tensor count.
 */
async function trajectory(method: string, backend: string, weights: Float32Array[] | null, steps: number) {
  await tf.setBackend(backend);
  const model = createModel(config(method));
  const vars = trainableVariables(model);
  if (weights) vars.forEach((v, i) => v.assign(tf.tensor(weights[i], v.shape)));
  const initial = vars.map((v) => v.dataSync().slice() as Float32Array);
  const opt = new WsolOptimizer({ ...DEFAULT_OPTIMIZER, learningRate: LR });
  const images = tf.tensor4d(IMAGES, [BATCH, 32, 32, 3]);
  const losses: number[] = [];
  let tensorsAfterFirst = -1;
  for (let step = 0; step < steps; step++) {
    // A fixed context (masks of the complementary dropout, fusion-loss weight past its warm-up):
    // the same batch every step, so the loss must fall.
    losses.push(trainStep(model, opt, images, LABELS, CTX, LR).loss);
    if (step === 0) tensorsAfterFirst = tf.memory().numTensors; // the optimizer's slots exist now
    else assert.equal(tf.memory().numTensors, tensorsAfterFirst, `${method} on ${backend}: no tensor growth at step ${step}`);
  }
  images.dispose();
  opt.dispose();
  model.net.dispose();
  return { losses, initial };
}

for (const method of ['cam', 'ours']) {
  test(`${method}: training steps on webgpu give a finite, falling loss without leaks, step for step as on cpu`, async (t) => {
    const why = await unavailable;
    if (why) return t.skip(why);
    const gpu = await trajectory(method, 'webgpu', null, 8);
    console.log(`${method} on webgpu: loss ${gpu.losses.map((l) => l.toFixed(4)).join(' ')}`);
    assert.ok(gpu.losses.every(Number.isFinite), 'finite losses');
    assert.ok(gpu.losses[7] < gpu.losses[0], `loss fell (${gpu.losses[0]} -> ${gpu.losses[7]})`);
    const cpu = await trajectory(method, 'cpu', gpu.initial, 4);
    cpu.losses.forEach((l, i) => {
      assert.ok(Math.abs(gpu.losses[i] - l) < 1e-4 * Math.max(1, Math.abs(l)), `step ${i}: webgpu ${gpu.losses[i]} vs cpu ${l}`);
    });
  });
}

test('every method: one training step on webgpu has the cpu loss from the same weights, without leaks', async (t) => {
  const why = await unavailable;
  if (why) return t.skip(why);
  for (const method of Object.keys(METHODS)) {
    const gpu = await trajectory(method, 'webgpu', null, 2);
    const cpu = await trajectory(method, 'cpu', gpu.initial, 1);
    assert.ok(Number.isFinite(gpu.losses[0]) && Number.isFinite(gpu.losses[1]), `${method}: finite losses`);
    assert.ok(Math.abs(gpu.losses[0] - cpu.losses[0]) < 1e-4 * Math.max(1, Math.abs(cpu.losses[0])), `${method}: webgpu ${gpu.losses[0]} vs cpu ${cpu.losses[0]}`);
  }
});
