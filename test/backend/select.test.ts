import { test } from 'node:test';
import assert from 'node:assert/strict';
import { forcedBackendFromEnv, initBackend } from '../../src/backend/select';

test('WSOL_BACKEND is validated', () => {
  assert.equal(forcedBackendFromEnv({}), undefined);
  assert.equal(forcedBackendFromEnv({ WSOL_BACKEND: 'cpu' }), 'cpu');
  assert.throws(() => forcedBackendFromEnv({ WSOL_BACKEND: 'metal' }), /WSOL_BACKEND="metal" is not one of gpu, webgpu, tensorflow, wasm, cpu/);
});

test('forcing an uninstalled tfjs-node backend says how to install it', async () => {
  // tfjs-node-gpu is an optional peer dependency and is not installed on test machines.
  await assert.rejects(initBackend('gpu'), /WSOL_BACKEND=gpu is unavailable.*npm install @tensorflow\/tfjs-node-gpu/);
});

test('automatic choice falls through to wasm here and records why', async () => {
  const info = await initBackend('wasm');
  assert.equal(info.tfBackend, 'wasm');
  assert.equal(info.wasmSimd, true);
  const cpu = await initBackend('cpu');
  assert.equal(cpu.tfBackend, 'cpu');
});
