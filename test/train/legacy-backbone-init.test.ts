import { test } from 'node:test';
import assert from 'node:assert/strict';
import * as fs from 'fs';
import * as os from 'os';
import * as path from 'path';
import { readRunConfig } from '../../src/train/run-folder';

function runWith(train: Record<string, unknown>): string {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'wsol-legacy-'));
  fs.writeFileSync(path.join(dir, 'config.json'), JSON.stringify({ train, model: { method: 'cam', backbone: 'tiny', numClasses: 2, inputSize: 32 }, classNames: ['a', 'b'] }));
  return dir;
}

test('a run saved before the pretrained backbone reads as a scratch run; a newer run keeps its own start', () => {
  assert.equal(readRunConfig(runWith({ dataset: 'parts', method: 'cam' })).train.backboneInit, 'scratch');
  assert.equal(readRunConfig(runWith({ dataset: 'parts', method: 'cam', backboneInit: 'pretrained' })).train.backboneInit, 'pretrained');
});
