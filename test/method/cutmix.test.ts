import { test } from 'node:test';
import assert from 'node:assert/strict';
import * as tf from '@tensorflow/tfjs-core';
import { initBackend } from '../../src/backend/select';
import { applyCutMix, drawCutMix, DEFAULT_CUTMIX } from '../../src/method/baselines/cutmix';
import { createModel } from '../../src/method/registry';

test('CutMix draws a clipped box, a permutation and the area-corrected lambda', () => {
  let mixedCount = 0;
  let lambdaSum = 0;
  for (let step = 0; step < 400; step++) {
    const d = drawCutMix(8, 32, DEFAULT_CUTMIX, 3, step);
    assert.equal(d.mixed, true, 'prob 1 mixes every batch');
    mixedCount++;
    assert.deepEqual([...d.partner].sort((a, b) => a - b), [0, 1, 2, 3, 4, 5, 6, 7]);
    const { x0, y0, x1, y1 } = d.box;
    assert.ok(0 <= x0 && x0 <= x1 && x1 <= 32 && 0 <= y0 && y0 <= y1 && y1 <= 32);
    assert.equal(d.lambda, 1 - ((x1 - x0) * (y1 - y0)) / 1024);
    lambdaSum += d.lambda;
    assert.deepEqual(drawCutMix(8, 32, DEFAULT_CUTMIX, 3, step), d, 'seeded by (seed, step)');
  }
  // Beta(1, 1) is uniform and clipping only shrinks the box, so the kept share averages above 1/2.
  const mean = lambdaSum / mixedCount;
  assert.ok(mean > 0.5 && mean < 0.8, `mean lambda ${mean}`);
  assert.equal(drawCutMix(8, 32, { beta: 1, prob: 0 }, 3, 0).mixed, false);
});

test('CutMix pastes exactly the box from the partner and mixes the loss by area', async () => {
  await initBackend();
  const images = tf.tidy(() => tf.stack([tf.fill([4, 4, 1], 1), tf.fill([4, 4, 1], 2), tf.fill([4, 4, 1], 3)]) as tf.Tensor4D);
  const labels = tf.tensor1d([0, 1, 2], 'int32');
  const draw = { mixed: true, partner: Int32Array.from([2, 0, 1]), box: { x0: 1, y0: 0, x1: 3, y1: 2 }, lambda: 0.75 };
  const out = applyCutMix(images, labels, draw);
  const px = out.images.arraySync() as number[][][][];
  // Image 0 gets image 2's pixels (value 3) in rows 0-1, columns 1-2, and keeps its own elsewhere.
  for (let y = 0; y < 4; y++) for (let x = 0; x < 4; x++) assert.equal(px[0][y][x][0], y < 2 && x >= 1 && x < 3 ? 3 : 1, `(${y},${x})`);
  assert.deepEqual(Array.from(out.partnerLabels.dataSync()), [2, 0, 1]);
  tf.dispose([images, labels, out.images, out.partnerLabels]);

  const model = createModel({ method: 'cutmix', backbone: 'tiny', numClasses: 3, inputSize: 16, tinyWidth: 2 });
  const x = tf.randomNormal([4, 16, 16, 3], 0, 1, 'float32', 1) as tf.Tensor4D;
  const y = tf.tensor1d([0, 1, 2, 1], 'int32');
  const before = tf.memory().numTensors;
  const terms = tf.tidy(() => {
    const t = model.loss(x, y, { seed: 5, step: 2 });
    return [t.total.dataSync()[0], t.logits!.argMax(1).dataSync()];
  });
  assert.equal(tf.memory().numTensors, before, 'the loss leaves no tensor behind');
  // The same loss by hand: the draw of (seed 5, step 2), the pasted batch, lambda CE(y) + (1 - lambda) CE(y').
  const byHand = tf.tidy(() => {
    const d = drawCutMix(4, 16, DEFAULT_CUTMIX, 5, 2);
    const m = applyCutMix(x, y, d);
    const logits = tf.mean((model as unknown as { cams(i: tf.Tensor4D, t: boolean): tf.Tensor4D }).cams(m.images, true), [1, 2]) as tf.Tensor2D;
    const logp = tf.logSoftmax(logits);
    const ce = (l: tf.Tensor1D) => -tf.mean(tf.sum(tf.mul(logp, tf.oneHot(l, 3)), 1)).dataSync()[0];
    return d.lambda * ce(y) + (1 - d.lambda) * ce(m.partnerLabels);
  });
  assert.ok(Math.abs((terms[0] as number) - byHand) < 1e-5, `${terms[0]} vs ${byHand}`);
  tf.dispose([x, y]);
  model.net.dispose();
});
