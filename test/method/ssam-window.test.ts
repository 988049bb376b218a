import { test } from 'node:test';
import assert from 'node:assert/strict';
import * as tf from '@tensorflow/tfjs-core';
import { initBackend } from '../../src/backend/select';
import { SpatialSelfAttention } from '../../src/method/spatial-self-attention';

test('windowed SSAM attends only within the radius, rows still sum to 1, the mask is freed with the layer', async () => {
  await initBackend();
  const f = tf.randomNormal([2, 4, 5, 8], 0, 1, 'float32', 7) as tf.Tensor4D;
  const local = new SpatialSelfAttention({ queryReduction: 2, window: 1 });
  const global = new SpatialSelfAttention({ queryReduction: 2 });
  local.apply(f);
  global.apply(f);
  const before = tf.memory().numTensors;
  const a = local.attention(f);
  const values = a.arraySync() as number[][][];
  for (const img of values) {
    img.forEach((row, p) => {
      const sum = row.reduce((x, y) => x + y, 0);
      assert.ok(Math.abs(sum - 1) < 1e-5, `row ${p} sums to ${sum}`);
      row.forEach((v, q) => {
        // positions on a 4 x 5 map: row-major, 5 per row
        const far = Math.max(Math.abs(Math.floor(p / 5) - Math.floor(q / 5)), Math.abs((p % 5) - (q % 5))) > 1;
        if (far) assert.ok(v < 1e-12, `(${p}, ${q}) outside the window has weight ${v}`);
      });
    });
  }
  // the global form gives weight to far positions
  const gt = global.attention(f);
  const g = gt.arraySync() as number[][][];
  assert.ok(g[0][0][19] > 1e-6, 'global attention reaches the far corner');
  tf.dispose([a, gt]);
  assert.equal(tf.memory().numTensors, before, 'the window mask is cached from the first call, nothing else stays');
  assert.throws(() => new SpatialSelfAttention({ queryReduction: 2, window: -1 }), /ssamWindow/);
  assert.deepEqual(local.getConfig().window, 1);
  const held = tf.memory().numTensors;
  local.dispose();
  global.dispose();
  assert.ok(tf.memory().numTensors < held - 4, 'weights and mask freed');
  f.dispose();
});
