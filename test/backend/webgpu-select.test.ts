/**
 * Automatic backend choice and the webgpu engine (src/backend/select.ts): a software adapter
 * (lavapipe in CI) is never chosen automatically, the attempt names it, and the process still exits
 * (Dawn's event pump must not keep Node alive). Runs in a child process: the choice is made once
 * per process.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { spawnSync } from 'child_process';
import * as path from 'path';
import { probeAdapter } from '../../src/backend/webgpu/adapter-probe';

const ROOT = path.join(__dirname, '..', '..');

test('automatic choice skips a software WebGPU adapter, names it, and the process exits', () => {
  const script =
    "const before = globalThis.navigator; require('./src/backend/select').initBackend().then((i) => " +
    "console.log(JSON.stringify({ ...i, navigatorKept: globalThis.navigator === before, gpuAfter: typeof globalThis.navigator?.gpu })))";
  const env = { ...process.env };
  delete env.WSOL_BACKEND;
  const r = spawnSync(process.execPath, ['--import', 'tsx', '-e', script], { cwd: ROOT, env, encoding: 'utf8', timeout: 120_000 });
  assert.equal(r.status, 0, `child exited by itself with status 0 (signal ${r.signal}): ${r.stderr}`);
  const info = JSON.parse(r.stdout.trim().split('\n').pop() as string);
  const webgpu = info.attempts.find((a: { choice: string }) => a.choice === 'webgpu');
  assert.ok(webgpu, 'webgpu was tried, after gpu');
  assert.deepEqual(info.attempts.map((a: { choice: string }) => a.choice).slice(0, 2), ['gpu', 'webgpu']);
  console.log(`webgpu attempt: ${webgpu.ok ? 'chosen' : 'skipped'}: ${webgpu.reason}`);
  if (/software/.test(webgpu.reason)) {
    assert.equal(webgpu.ok, false, 'a software adapter is not chosen automatically');
    assert.match(webgpu.reason, /WSOL_BACKEND=webgpu/);
    assert.ok(info.navigatorKept && info.gpuAfter === 'undefined', 'the refused probe restores navigator');
  }
  if (webgpu.ok) assert.ok(info.webgpuAdapter, 'the chosen adapter is named');
});

test('a failing adapter probe is a skipped engine with its reason, not a dead process', () => {
  const r = probeAdapter(process.env, ['backend=no-such-backend']);
  assert.equal(r.ok, false);
  if (!r.ok) assert.match(r.reason, /probe failed|crashed/);
  console.log(`probe with a bogus Dawn backend: ${r.ok ? 'ok' : r.reason}`);
});
