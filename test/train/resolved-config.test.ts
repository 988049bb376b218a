/**
 * One resolved config end to end: the trainer hands back the config it filled and checked, a resolved
 * config passes through every layer unchanged, evaluation reads the run's own settings through one
 * mapping, and a model says what it was built from (an ablation's fixed options included).
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import * as fs from 'fs';
import * as os from 'os';
import * as path from 'path';
import { initBackend } from '../../src/backend/select';
import { partsDataset } from '../../src/data/parts-dataset';
import { createModel } from '../../src/method/registry';
import { DEFAULT_LOSS } from '../../src/method/method-config';
import { DEFAULT_TRAIN_CONFIG, evaluationOptions, resolveTrainConfig, type DeepPartial, type TrainConfig } from '../../src/train/config';
import { loadRunModel, train, TrainingSession } from '../../src/train/trainer';

test('a resolved config is frozen and handed back as is; the caller\'s objects stay its own', () => {
  const methodOptions = { loss: { lambdaFuse: 0.5 } };
  const c = resolveTrainConfig({ epochs: 2, methodOptions });
  assert.ok(Object.isFrozen(c) && Object.isFrozen(c.optimizer) && Object.isFrozen(c.methodOptions.loss));
  assert.equal(resolveTrainConfig(c), c);
  assert.ok(!Object.isFrozen(methodOptions.loss), 'the caller\'s nested object is not frozen');
  methodOptions.loss.lambdaFuse = 2;
  assert.equal(c.methodOptions.loss?.lambdaFuse, 0.5, 'the resolved config holds its own copy');
  // A copy with a change is a new config, and is checked again.
  assert.throws(() => resolveTrainConfig({ ...c, epochs: 0 }), /epochs must be a positive integer/);
});

test('the train config checks the method and its options at the run\'s own image size', () => {
  assert.throws(() => resolveTrainConfig({ method: 'nope' }), /unknown method "nope"; known: .*ours.*cam/);
  assert.throws(() => resolveTrainConfig({ methodOptions: { loss: { lambdaFuse: -1 } } }), /loss\.lambdaFuse must be >= 0/);
  assert.throws(() => resolveTrainConfig({ methodOptions: { loss: { nope: 1 } as never } }), /unknown option loss\.nope/);
  // Half the side is a 32 px cell at 64 px, but the whole of a 1 px image.
  assert.doesNotThrow(() => resolveTrainConfig({ imageSize: 64, methodOptions: { dropout: { cellFractions: [0.5] } } }));
  assert.throws(() => resolveTrainConfig({ imageSize: 1, methodOptions: { dropout: { cellFractions: [0.5] } } }), /cellFractions 0\.5 gives a 1 px cell/);
});

test('DeepPartial takes any part of a config at any depth', () => {
  const partial: DeepPartial<TrainConfig> = { optimizer: { learningRate: 1e-3 }, schedule: {}, methodOptions: { loss: { lambdaFuse: 0.25 } } };
  const c = resolveTrainConfig(partial);
  assert.equal(c.optimizer.learningRate, 1e-3);
  assert.equal(c.optimizer.name, DEFAULT_TRAIN_CONFIG.optimizer.name);
});

test('evaluation options come from the run\'s config', () => {
  const c = resolveTrainConfig({ imageSize: 48, batchSize: 5, evalLimit: 7, locThreshold: 0.35 });
  assert.deepEqual(evaluationOptions(c), { imageSize: 48, batchSize: 5, limit: 7, locThreshold: 0.35 });
});

test('a model exposes the config it was built from, with the method\'s fixed options applied', () => {
  const base = { backbone: 'tiny' as const, numClasses: 3, inputSize: 32, tinyWidth: 4, headWidth: 8, loss: { lambdaFuse: 0.5 } };
  const ablation = createModel({ ...base, method: 'ours-no-fusion' });
  const ours = createModel({ ...base, method: 'ours' });
  const has = createModel({ ...base, method: 'has', dropout: { keepProbability: 0.9 } });
  try {
    assert.equal(ablation.resolved.loss.lambdaFuse, 0, 'ours-no-fusion fixes lambda_fuse = 0 whatever the run sets');
    assert.equal(ours.resolved.loss.lambdaFuse, 0.5);
    assert.equal(ours.resolved.loss.fuseConfidence, DEFAULT_LOSS.fuseConfidence);
    assert.equal(has.resolved.dropout.keepProbability, 0.5, "HaS keeps its own p = 0.5");
    assert.equal(ablation.config.loss?.lambdaFuse, 0.5, 'config stays what was given (it rebuilds the same model)');
  } finally {
    for (const m of [ablation, ours, has]) m.net.dispose();
  }
});

test('train() and TrainingSession hand back the config they resolved; a reloaded run has the same', async () => {
  await initBackend();
  const out = fs.mkdtempSync(path.join(os.tmpdir(), 'wsol-resolved-'));
  const dataset = partsDataset({ imageSize: 32, sizes: { train: 8, val: 4, test: 0 } });
  const partial: DeepPartial<TrainConfig> = { method: 'ours-no-fusion', epochs: 1, imageSize: 32, batchSize: 4, probes: 0, backboneInit: 'scratch', methodOptions: { tinyWidth: 2, headWidth: 4 } };
  const result = await train(partial, { outDir: path.join(out, 'a'), dataset });
  try {
    assert.deepEqual(result.config, resolveTrainConfig(partial));
    assert.ok(Object.isFrozen(result.config));
    assert.equal(result.config.batchSize, 4);
    assert.equal(result.config.locThreshold, DEFAULT_TRAIN_CONFIG.locThreshold);
    assert.equal(result.model.resolved.loss.lambdaFuse, 0);
  } finally {
    result.model.net.dispose();
  }
  const { model, config } = await loadRunModel(path.join(out, 'a'));
  assert.deepEqual(config.train, result.config);
  assert.equal(model.resolved.loss.lambdaFuse, 0);
  model.net.dispose();
  const resolved = resolveTrainConfig(partial);
  const session = await TrainingSession.open(resolved, { outDir: path.join(out, 'b'), dataset });
  try {
    assert.equal(session.config, resolved, 'a resolved config is used as is');
  } finally {
    session.model.net.dispose();
    session.close();
  }
});
