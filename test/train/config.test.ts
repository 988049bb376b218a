import { test } from 'node:test';
import assert from 'node:assert/strict';
import { DEFAULT_TRAIN_CONFIG, resolveTrainConfig } from '../../src/train/config';

test('defaults come from one place and partial overrides keep the other fields', () => {
  const c = resolveTrainConfig({});
  assert.deepEqual(c, DEFAULT_TRAIN_CONFIG);
  const d = resolveTrainConfig({ epochs: 2, optimizer: { name: 'sgd' } as never });
  assert.equal(d.epochs, 2);
  assert.equal(d.optimizer.name, 'sgd');
  assert.equal(d.optimizer.learningRate, DEFAULT_TRAIN_CONFIG.optimizer.learningRate);
});

test('bad values name the field', () => {
  assert.throws(() => resolveTrainConfig({ epochs: 0 }), /epochs must be a positive integer/);
  assert.throws(() => resolveTrainConfig({ coverageThreshold: 1 }), /coverageThreshold must be in \[0, 1\)/);
  assert.throws(() => resolveTrainConfig({ backbone: 'resnet' as never }), /backbone must be tiny or vgg16/);
  assert.throws(() => resolveTrainConfig({ limit: -1 }), /limit must be an integer >= 0/);
});
