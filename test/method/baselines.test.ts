import { test } from 'node:test';
import assert from 'node:assert/strict';
import * as tf from '@tensorflow/tfjs-core';
import { initBackend } from '../../src/backend/select';
import { AcolModel } from '../../src/method/baselines/acol-network';
import { AttentionDropout } from '../../src/method/baselines/attention-dropout-layer';
import { SingleBranchModel } from '../../src/method/baselines/single-branch-network';
import { cellSizes, complementaryMasks } from '../../src/method/complementary-dropout';
import { createModel } from '../../src/method/registry';

test('HaS hides about half of the grid cells, whole cells at a time', async () => {
  await initBackend();
  const has = createModel({ method: 'has', backbone: 'tiny', numClasses: 3, inputSize: 32, tinyWidth: 4 }) as SingleBranchModel;
  assert.equal(has.resolved.dropout.keepProbability, 0.5);
  const size = 32;
  const n = 200;
  const masks = complementaryMasks(n, size, has.resolved.dropout, 5, 0);
  const visible = masks.reduce((a, b) => a + b, 0) / masks.length;
  assert.ok(visible > 0.44 && visible < 0.56, `visible fraction ${visible}`);
  // Whole cells: each image's mask is constant on the cells of one of the configured sizes
  // (2, 5, 6, 8 px at 32 px), so its keep/drop pattern is a grid pattern, not pixel noise.
  const sizes = cellSizes(has.resolved.dropout, size);
  assert.deepEqual(sizes, [2, 5, 6, 8]);
  for (let i = 0; i < n; i++) {
    const at = (y: number, x: number) => masks[i * size * size + y * size + x];
    const onGrid = (s: number) => {
      for (let y = 0; y < size; y++) for (let x = 0; x < size; x++) if (at(y, x) !== at(y - (y % s), x - (x % s))) return false;
      return true;
    };
    assert.ok(sizes.some(onGrid), `image ${i} is a grid pattern`);
  }
  has.net.dispose();
});

test('ACoL erases exactly where A\'s normalised map of the class is >= the threshold', async () => {
  await initBackend();
  const acol = createModel({ method: 'acol', backbone: 'tiny', numClasses: 2, inputSize: 32, tinyWidth: 4, acolThreshold: 0.7 }) as AcolModel;
  // Two images, 2x2 maps, 2 classes. Image 0 uses class 0, image 1 class 1.
  // Image 0, class 0: [0, 0.35, 0.7, 1] is already min-max normalised: erase 0.7 (boundary) and 1.
  // Image 1, class 1: [2, 4, 6, 10] -> (x - 2) / 8 = [0, 0.25, 0.5, 1]: erase only the last.
  const cams = tf.tensor4d(
    [0, 9, 0.35, 9, 0.7, 9, 1, 9, /* image 1 */ 5, 2, 5, 4, 5, 6, 5, 10],
    [2, 2, 2, 2],
  );
  const keep = acol.eraseMask(cams, tf.tensor1d([0, 1], 'int32'));
  assert.deepEqual(keep.shape, [2, 2, 2, 1]);
  assert.deepEqual(Array.from(keep.dataSync()), [1, 1, 0, 0, 1, 1, 1, 0]);
  tf.dispose([cams, keep]);
  acol.net.dispose();
});

test('ADL: drop mask hides attention >= threshold * max, importance = sigmoid(attention), identity at inference', async () => {
  await initBackend();
  const adl = new AttentionDropout({ dropRate: 1, threshold: 0.8 });
  // Channel means over 2 channels: [0.1, 0.5, 0.8, 1.0] at the four positions; peak 1.0 -> drop >= 0.8.
  const f = tf.tensor4d([0, 0.2, 0.5, 0.5, 0.6, 1.0, 1.2, 0.8], [1, 2, 2, 2]);
  const { dropMask, importance } = adl.maps(f);
  assert.deepEqual(Array.from(dropMask.dataSync()), [1, 1, 0, 0]);
  const expected = [0.1, 0.5, 0.8, 1.0].map((a) => 1 / (1 + Math.exp(-a)));
  Array.from(importance.dataSync()).forEach((v, i) => assert.ok(Math.abs(v - expected[i]) < 1e-6));
  // dropRate 1: every image uses the drop mask in training.
  const trained = adl.apply(f, { training: true }) as tf.Tensor;
  assert.deepEqual(Array.from(trained.dataSync()).map((v) => +v.toFixed(6)), [0, 0.2, 0.5, 0.5, 0, 0, 0, 0]);
  const inferred = adl.apply(f, { training: false }) as tf.Tensor;
  assert.deepEqual(Array.from(inferred.dataSync()), Array.from(f.dataSync()));
  // dropRate 0.75: about three images in four use the drop mask; the draw follows (seed, step).
  const adl75 = new AttentionDropout({ dropRate: 0.75, threshold: 0.8 });
  adl75.seed = 3;
  adl75.step = 7;
  const c1 = adl75.choices(2000);
  const rate = c1.reduce((a, b) => a + b, 0) / c1.length;
  assert.ok(rate > 0.72 && rate < 0.78, `drop-mask rate ${rate}`);
  assert.deepEqual(adl75.choices(2000), c1);
  adl75.step = 8;
  assert.notDeepEqual(adl75.choices(2000), c1);
  tf.dispose([f, dropMask, importance, trained, inferred]);
});

test('ADL model places one ADL layer after every backbone block', async () => {
  await initBackend();
  const adl = createModel({ method: 'adl', backbone: 'tiny', numClasses: 3, inputSize: 32, tinyWidth: 4 }) as SingleBranchModel;
  assert.deepEqual(adl.adlLayers.map((l) => l.name), ['adl_1', 'adl_2', 'adl_3']);
  assert.equal(adl.adlLayers[0].dropRate, 0.75);
  assert.equal(adl.adlLayers[0].threshold, 0.8);
  adl.net.dispose();
});
