import { test } from 'node:test';
import assert from 'node:assert/strict';
import type { BackendInfo } from '../../src/backend/select';
import { engineReport } from '../../src/notebook/engine-note';

const info = (choice: BackendInfo['choice'], attempts: BackendInfo['attempts']): BackendInfo =>
  ({ choice, tfBackend: choice, forced: false, versions: {}, wasmSimd: true, wasmThreads: false, trainingKernels: [], webgpuAdapter: null, native: null, attempts }) as BackendInfo;

const tried: BackendInfo['attempts'] = [
  { choice: 'gpu', ok: false, reason: '@tensorflow/tfjs-node-gpu is not installed' },
  { choice: 'webgpu', ok: false, reason: 'no Vulkan driver | found' },
  { choice: 'tensorflow', ok: false, reason: '@tensorflow/tfjs-node is not installed' },
  { choice: 'wasm', ok: true, reason: 'wasm loaded with training kernels' },
];

test('the engine report names the engine in use, lists every engine tried, and gives the GPU line only for a CPU engine on a GPU machine', () => {
  const withGpu = engineReport(info('wasm', tried), true);
  assert.match(withGpu, /^\*\*Engine in use: wasm\*\*/);
  assert.equal(withGpu.split('\n').filter((l) => /^\| (gpu|webgpu|tensorflow|wasm)/.test(l)).length, 4, 'a row per engine tried, the one in use included');
  assert.match(withGpu, /\| wasm \*\*\(in use\)\*\* \| yes \|/);
  assert.match(withGpu, /no Vulkan driver \\\| found/, 'a | in a reason does not break the table');
  assert.match(withGpu, /`WSOL_BACKEND=webgpu npm run notebook` \(it was not taken automatically: no Vulkan driver/);
  assert.doesNotMatch(engineReport(info('wasm', tried), false), /WSOL_BACKEND=webgpu/, 'no GPU: no line');
  const onGpu = engineReport(info('webgpu', [{ choice: 'gpu', ok: false, reason: 'x' }, { choice: 'webgpu', ok: true, reason: 'adapter' }]), true);
  assert.doesNotMatch(onGpu, /WSOL_BACKEND=webgpu npm run notebook/, 'already on the GPU');
});
