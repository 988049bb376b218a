/**
 * A few real training steps of `cam` and `ours` (src/method/registry.ts, src/train/train-step.ts)
 * on the webgpu engine: finite loss that falls on a fixed batch, no tensor growth per step, and
 * the first step's loss equal to the cpu backend's for the same weights and batch. Tiny shapes:
 * in CI this runs on mesa's software adapter. Skips with the reason where no adapter exists.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import * as tf from '@tensorflow/tfjs-core';
import { initBackend } from '../../src/backend/select';
import { createModel, type ModelConfig } from '../../src/method/registry';
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

/** The first step's loss on `backend` with the given initial weights (no update kept). */
async function firstLoss(method: string, backend: string, weights: Float32Array[]): Promise<number> {
  await tf.setBackend(backend);
  const model = createModel(config(method));
  trainableVariables(model).forEach((v, i) => v.assign(tf.tensor(weights[i], v.shape)));
  const opt = new WsolOptimizer(DEFAULT_OPTIMIZER);
  const images = tf.tensor4d(IMAGES, [BATCH, 32, 32, 3]);
  const r = trainStep(model, opt, images, LABELS, { step: 0, seed: 1 }, 0);
  images.dispose();
  opt.dispose();
  model.net.dispose();
  return r.loss;
}

for (const method of ['cam', 'ours']) {
  test(`${method}: training steps on webgpu give a finite, falling loss without leaks, and match cpu`, async (t) => {
    const why = await unavailable;
    if (why) return t.skip(why);
    await tf.setBackend('webgpu');
    const model = createModel(config(method));
    const weights = trainableVariables(model).map((v) => v.dataSync().slice() as Float32Array);
    const opt = new WsolOptimizer({ ...DEFAULT_OPTIMIZER, learningRate: 3e-3 });
    const images = tf.tensor4d(IMAGES, [BATCH, 32, 32, 3]);
    const losses: number[] = [];
    let tensorsAfterFirst = -1;
    for (let step = 0; step < 8; step++) {
      losses.push(trainStep(model, opt, images, LABELS, { step, seed: 1 }, 3e-3).loss);
      if (step === 0) tensorsAfterFirst = tf.memory().numTensors; // the optimizer's slots exist now
      else assert.equal(tf.memory().numTensors, tensorsAfterFirst, `${method}: no tensor growth at step ${step}`);
    }
    console.log(`${method} on webgpu: loss ${losses.map((l) => l.toFixed(4)).join(' ')}`);
    assert.ok(losses.every(Number.isFinite), 'finite losses');
    assert.ok(losses[7] < losses[0], `loss fell (${losses[0]} -> ${losses[7]})`);
    images.dispose();
    opt.dispose();
    model.net.dispose();

    const onGpu = await firstLoss(method, 'webgpu', weights);
    const onCpu = await firstLoss(method, 'cpu', weights);
    assert.ok(Math.abs(onGpu - onCpu) < 1e-4 * Math.max(1, Math.abs(onCpu)), `first-step loss webgpu ${onGpu} vs cpu ${onCpu}`);
    assert.ok(Math.abs(onGpu - losses[0]) < 1e-4 * Math.max(1, Math.abs(onGpu)), 'same weights, same first loss');
  });
}
