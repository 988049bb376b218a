import { test } from 'node:test';
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import * as path from 'node:path';
import { parseScriptOptions } from '../../src/bench/script-options';

const SPEC = {
  n: { type: 'int', default: 5 },
  interpolation: { type: 'choice', choices: ['bicubic', 'bilinear'], default: 'bicubic' },
  masks: { type: 'boolean' },
} as const;

test('benchmark script options: defaults, values, and errors that name the option', () => {
  assert.deepEqual(parseScriptOptions(SPEC, []), { n: 5, interpolation: 'bicubic', masks: false });
  assert.deepEqual(parseScriptOptions(SPEC, ['--n', '12', '--interpolation=bilinear', '--masks']), { n: 12, interpolation: 'bilinear', masks: true });
  assert.throws(() => parseScriptOptions(SPEC, ['--n', '0']), /--n needs a positive integer, got '0'/);
  assert.throws(() => parseScriptOptions(SPEC, ['--n', '2.5']), /--n needs a positive integer, got '2.5'/);
  assert.throws(() => parseScriptOptions(SPEC, ['--interpolation', 'nearest']), /--interpolation must be one of bicubic, bilinear, got 'nearest'/);
  assert.throws(() => parseScriptOptions(SPEC, ['--size', '3']), /Unknown option '--size'/);
  assert.throws(() => parseScriptOptions(SPEC, ['--n']), /--n/);
});

test('the evaluator benchmark runs from src/bench and refuses an unknown option', () => {
  const script = path.join(__dirname, '..', '..', 'src', 'bench', 'evaluator-benchmark.ts');
  const ok = spawnSync(process.execPath, ['--import', 'tsx', script, '--n', '20', '--size', '32', '--cam', '8'], { encoding: 'utf8' });
  assert.equal(ok.status, 0, ok.stderr);
  assert.match(ok.stdout, /20 maps 8x8 -> 32x32 \(bicubic\)/);
  const bad = spawnSync(process.execPath, ['--import', 'tsx', script, '--maps', '3'], { encoding: 'utf8' });
  assert.notEqual(bad.status, 0);
  assert.match(bad.stderr, /Unknown option '--maps'/);
});
