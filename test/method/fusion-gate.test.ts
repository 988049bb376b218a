/**
 * The fusion gate and warm-up inside ComplementaryModel.loss (three-pass, the default):
 *   - an image enters the fusion term when the full-image pass gives its label probability
 *     >= fuseConfidence (not the dropout branches' probability), so the mean gate is the share of
 *     images whose full-pass p(y) clears the threshold, counted here from a separate full pass;
 *   - no image passing gives a zero term and a total without it;
 *   - the warm-up scales lambdaFuse by min(1, step / fuseWarmupSteps).
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import * as tf from '@tensorflow/tfjs-core';
import { initBackend } from '../../src/backend/select';
import { logitsFromCams } from '../../src/method/attention-maps';
import type { ComplementaryModel } from '../../src/method/complementary-network';
import { createModel, type ModelConfig } from '../../src/method/registry';
import { random } from '../helpers/numeric';

const N = 6;
const base = (loss: Record<string, unknown>): ModelConfig => ({
  method: 'ours',
  backbone: 'tiny',
  numClasses: 3,
  inputSize: 32,
  tinyWidth: 4,
  headWidth: 8,
  // min-max maps: every target spans [0, 1], so every image passes the "not flat" half of the gate
  loss: { fuseNormalization: 'minmax', ...loss },
} as ModelConfig);

/** A model with the weights of `source` and the loss settings `loss`. */
function sameWeights(source: ComplementaryModel, loss: Record<string, unknown>): ComplementaryModel {
  const m = createModel(base(loss)) as ComplementaryModel;
  const w = source.net.getWeights();
  m.net.setWeights(w);
  return m;
}

function lossNumbers(model: ComplementaryModel, images: tf.Tensor4D, labels: tf.Tensor1D, step: number): Record<string, number> {
  return tf.tidy(() => {
    const { total, terms } = model.loss(images, labels, { step, seed: 5 });
    const out: Record<string, number> = { total: total.dataSync()[0] };
    for (const [k, v] of Object.entries(terms)) out[k] = v.dataSync()[0];
    return out;
  });
}

/** p(y_i) of the full-image pass (both classifiers' averaged logits, training mode as in the loss). */
function fullPassProbabilities(model: ComplementaryModel, images: tf.Tensor4D, labels: number[]): number[] {
  return tf.tidy(() => {
    const { camsA, camsB } = model.branches(images, images, true);
    const logits = tf.div(tf.add(logitsFromCams(camsA), logitsFromCams(camsB)), 2);
    const p = tf.softmax(logits).arraySync() as number[][];
    return labels.map((y, i) => p[i][y]);
  });
}

test('the fusion gate counts the images whose full-image p(y) reaches fuseConfidence; none passing drops the term', async () => {
  await initBackend();
  const images = tf.tensor4d(random([N, 32, 32, 3], 41, 1.5), [N, 32, 32, 3]);
  const labelList = [0, 1, 2, 0, 1, 2];
  const labels = tf.tensor1d(labelList, 'int32');
  const reference = createModel(base({ fuseConfidence: 0 })) as ComplementaryModel;
  const before = tf.memory().numTensors;

  const open = lossNumbers(reference, images, labels, 3);
  assert.equal(open.fuseGate, 1, 'with fuseConfidence 0 every image passes (every target is informative)');
  assert.ok(open.fuse > 0);

  const p = fullPassProbabilities(reference, images, labelList);
  const sorted = [...p].sort((a, b) => a - b);
  // Thresholds between neighbouring probabilities: exactly the images above each one pass.
  const thresholds = sorted.slice(1).map((v, i) => (v + sorted[i]) / 2).filter((t, i) => sorted[i + 1] - sorted[i] > 1e-6 && t > 0);
  assert.ok(thresholds.length >= 3, `distinct probabilities ${sorted.join(', ')}`);
  for (const c of thresholds) {
    const m = sameWeights(reference, { fuseConfidence: c });
    const got = lossNumbers(m, images, labels, 3);
    const expected = p.filter((v) => v >= c).length / N;
    assert.ok(Math.abs(got.fuseGate - expected) < 1e-6, `fuseConfidence ${c}: gate ${got.fuseGate}, expected ${expected} from the full-pass probabilities ${p.map((v) => v.toFixed(5)).join(', ')}`);
    m.net.dispose();
  }

  const closed = sameWeights(reference, { fuseConfidence: Math.min(0.999, sorted[N - 1] + 1e-3) });
  const none = lossNumbers(closed, images, labels, 3);
  assert.equal(none.fuseGate, 0);
  assert.equal(none.fuse, 0, 'no image passes: the fusion term is zero');
  const w = closed.resolved.loss.lambdaClsFull;
  assert.ok(Math.abs(none.total - (none.clsA + none.clsB + w * none.clsFull)) < 1e-5, 'and the total is the three cross-entropies (the full-image one weighted)');
  closed.net.dispose();
  assert.equal(tf.memory().numTensors, before, 'no tensor leak');
  reference.net.dispose();
  tf.dispose([images, labels]);
});

test('the fusion warm-up scales lambdaFuse by min(1, step / fuseWarmupSteps)', async () => {
  await initBackend();
  const images = tf.tensor4d(random([N, 32, 32, 3], 43, 1.5), [N, 32, 32, 3]);
  const labels = tf.tensor1d([2, 1, 0, 2, 1, 0], 'int32');
  const lambdaFuse = 0.5;
  const lambdaClsFull = 0.75;
  const warm = createModel(base({ fuseConfidence: 0, fuseWarmupSteps: 10, lambdaFuse, lambdaClsFull })) as ComplementaryModel;
  for (const [step, ramp] of [[0, 0], [4, 0.4], [10, 1], [25, 1]] as const) {
    const t = lossNumbers(warm, images, labels, step);
    assert.ok(t.fuse > 0, `step ${step}: the fusion term is computed (and logged) during the warm-up too`);
    const expected = t.clsA + t.clsB + lambdaClsFull * t.clsFull + lambdaFuse * ramp * t.fuse;
    assert.ok(Math.abs(t.total - expected) < 1e-5 * Math.max(1, Math.abs(expected)), `step ${step}: total ${t.total}, expected ${expected} (ramp ${ramp})`);
  }
  // Without a warm-up the full weight applies from the first step.
  const cold = sameWeights(warm, { fuseConfidence: 0, fuseWarmupSteps: 0, lambdaFuse, lambdaClsFull });
  const t0 = lossNumbers(cold, images, labels, 0);
  assert.ok(Math.abs(t0.total - (t0.clsA + t0.clsB + lambdaClsFull * t0.clsFull + lambdaFuse * t0.fuse)) < 1e-5 * Math.max(1, t0.total));
  warm.net.dispose();
  cold.net.dispose();
  tf.dispose([images, labels]);
});
