/**
 * The addon's build script (npm's `install` and `build:native` scripts): the install never fails,
 * it says why it skipped, and --strict turns a skip into a failure.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import * as path from 'node:path';

const script = path.resolve(__dirname, '..', '..', 'src', 'backend', 'native', 'build-addon.js');

test('a skipped build never fails npm install, names the reason, and says the wasm kernels run', () => {
  const r = spawnSync(process.execPath, [script], { encoding: 'utf8', env: { ...process.env, WSOL_NATIVE: '0' } });
  assert.equal(r.status, 0);
  assert.match(r.stderr, /skipped: WSOL_NATIVE=0/);
  assert.match(r.stderr, /wasm kernels will be used/);
});

test('--strict (npm run build:native) fails when it cannot build', () => {
  const r = spawnSync(process.execPath, [script, '--strict'], { encoding: 'utf8', env: { ...process.env, WSOL_NATIVE: '0' } });
  assert.equal(r.status, 1);
});
