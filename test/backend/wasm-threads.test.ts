import { test } from 'node:test';
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import * as path from 'node:path';
import { relError } from '../helpers/numeric';

const probe = path.join(__dirname, 'fixtures', 'wasm-threads-probe.ts');

function runProbe(threads: number): { threads: number; conv: number[]; filterGrad: number[] } {
  // A fresh process each time: the thread count is fixed when the wasm module starts.
  const r = spawnSync(process.execPath, ['--import', 'tsx', probe, String(threads)], { encoding: 'utf8', timeout: 120_000, maxBuffer: 64 << 20 });
  assert.equal(r.status, 0, `probe with ${threads} threads failed (or did not exit): ${r.stderr}`);
  return JSON.parse(r.stdout.trim().split('\n').pop() as string);
}


test('multi-threaded wasm starts under Node, exits cleanly, and computes what single-threaded wasm does', () => {
  const one = runProbe(1);
  const two = runProbe(2);
  assert.equal(one.threads, 1);
  assert.equal(two.threads, 2);
  assert.equal(two.conv.length, 2 * 16 * 16 * 16);
  assert.ok(relError(two.conv, one.conv) <= 1e-5, `conv: ${relError(two.conv, one.conv)}`);
  assert.ok(relError(two.filterGrad, one.filterGrad) <= 1e-5, `filter grad: ${relError(two.filterGrad, one.filterGrad)}`);
});

test('prepareWasmThreads rejects a bad thread count', async () => {
  const { prepareWasmThreads } = await import('../../src/backend/wasm-threads');
  assert.throws(() => prepareWasmThreads(0), /\[1, 8\], got 0/);
  assert.throws(() => prepareWasmThreads(2.5), /got 2.5/);
});
