/**
 * The PyTorch twin of the complementary methods' step (src/bench/complementary.py) on the tfjs
 * weights, images, labels and dropout masks: the same loss and terms within 1e-4.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import * as tf from '@tensorflow/tfjs-core';
import { initBackend } from '../../src/backend/select';
import { DEFAULT_BENCH, torchVersion } from '../../src/bench/benchmark';
import { complementaryTwinOf, complementaryTwinWeights } from '../../src/bench/torch-twin';
import { ComplementaryModel } from '../../src/method/complementary-network';
import { complementaryMasks } from '../../src/method/complementary-dropout';
import { createModel } from '../../src/method/registry';
import type { ModelConfig } from '../../src/method/model-config';
import { random } from '../helpers/numeric';

const noTorch = torchVersion(DEFAULT_BENCH.python) === null ? `PyTorch unavailable (${DEFAULT_BENCH.python} cannot import torch)` : false;
if (noTorch) process.stdout.write(`# skipping the PyTorch twin tests: ${noTorch}\n`);

const SIZE = 32;
const N = 4;
const CLASSES = 8;

async function compareLoss(config: Partial<ModelConfig>, label: string): Promise<void> {
  await initBackend('wasm');
  const model = createModel({ method: 'ours', backbone: 'tiny', numClasses: CLASSES, inputSize: SIZE, ...config } as ModelConfig);
  assert.ok(model instanceof ComplementaryModel);
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'wsol-twin-'));
  try {
    // SSAM starts as the identity (gamma 0): give it weight so the check covers it.
    if (model.ssam) {
      const [wq, wk, wv] = model.ssam.getWeights();
      const gamma = tf.tensor1d([0.6]);
      model.ssam.setWeights([wq, wk, wv, gamma]);
      gamma.dispose();
    }
    const spec = complementaryTwinOf(model);
    assert.notEqual(typeof spec, 'string', String(spec));
    const images = tf.tensor4d(random([N, SIZE, SIZE, 3], 7, 1.5), [N, SIZE, SIZE, 3]);
    const labels = Int32Array.from({ length: N }, (_, i) => (3 * i) % CLASSES);
    const ctx = { step: 5, seed: 11 };
    const labelTensor = tf.tensor1d(labels, 'int32');
    const out = tf.tidy(() => {
      const l = model.loss(images, labelTensor, ctx);
      return { total: l.total.dataSync()[0], terms: Object.fromEntries(Object.entries(l.terms).map(([k, t]) => [k, t.dataSync()[0]])) };
    });
    const job = {
      spec: { ...(spec as object), inputSize: SIZE, batch: N, classes: CLASSES },
      weights: complementaryTwinWeights(model),
      images: Array.from(images.dataSync()),
      labels: Array.from(labels),
      maskA: Array.from(complementaryMasks(N, SIZE, model.resolved.dropout, ctx.seed, ctx.step)),
      step: ctx.step,
    };
    tf.dispose([images, labelTensor]);
    const file = path.join(dir, 'job.json');
    fs.writeFileSync(file, JSON.stringify(job));
    const r = spawnSync(DEFAULT_BENCH.python, [path.join(__dirname, '..', '..', 'src', 'bench', 'torch_step.py'), '--loss', file], { encoding: 'utf8' });
    assert.equal(r.status, 0, r.stderr);
    const torch = JSON.parse(r.stdout.trim().split('\n').pop() as string) as { loss: number; terms: Record<string, number> };
    assert.deepEqual(Object.keys(torch.terms).sort(), Object.keys(out.terms).sort(), `${label}: the same terms`);
    for (const [k, v] of Object.entries(out.terms)) assert.ok(Math.abs(torch.terms[k] - v) < 1e-4, `${label}: ${k} tfjs ${v} PyTorch ${torch.terms[k]}`);
    assert.ok(Math.abs(torch.loss - out.total) < 1e-4, `${label}: loss tfjs ${out.total} PyTorch ${torch.loss}`);
    if ('fuse' in out.terms) assert.ok(out.terms.fuseGate > 0, `${label}: the fusion term is active`);
  } finally {
    model.net.dispose();
    fs.rmSync(dir, { recursive: true, force: true });
  }
}

test('the PyTorch twin of ours computes the tfjs loss within 1e-4 (local SSAM, three-pass fusion)', { skip: noTorch }, async () => {
  await compareLoss({ loss: { fuseConfidence: 0 } } as Partial<ModelConfig>, 'ours');
});

test('the twin follows the config: global SSAM, two-pass fusion, min-max maps, union target', { skip: noTorch }, async () => {
  await compareLoss({ attention: { ssamWindow: 0 }, loss: { fuseConfidence: 0, fusion: 'two-pass', fuseNormalization: 'minmax', fuseTarget: 'union' } } as Partial<ModelConfig>, 'variant');
});
