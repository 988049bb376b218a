/**
 * The Vulkan ICD choice for headless NVIDIA machines (src/backend/webgpu/vulkan-icd.ts), on fake
 * ICD folders: an EGL ICD is preferred, a GLX-only driver gets a written EGL ICD json, a missing
 * one gets an install hint, and a user's own VK_DRIVER_FILES is left alone. No GPU needed.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import * as fs from 'fs';
import * as os from 'os';
import * as path from 'path';
import { chooseVulkanIcd, NVIDIA_ICD_HINT } from '../../src/backend/webgpu/vulkan-icd';

function fakeMachine(icds: Record<string, string>, libs: string[]) {
  const root = fs.mkdtempSync(path.join(os.tmpdir(), 'wsol-icd-'));
  const icdDir = path.join(root, 'icd.d');
  const libDir = path.join(root, 'lib');
  fs.mkdirSync(icdDir);
  fs.mkdirSync(libDir);
  for (const [name, lib] of Object.entries(icds)) {
    fs.writeFileSync(path.join(icdDir, name), JSON.stringify({ file_format_version: '1.0.0', ICD: { library_path: lib, api_version: '1.4.312' } }));
  }
  for (const l of ['libvulkan.so.1', ...libs]) fs.writeFileSync(path.join(libDir, l), '');
  return { root, icdDir, env: { LD_LIBRARY_PATH: libDir } as NodeJS.ProcessEnv };
}

test('an NVIDIA EGL ICD is chosen over the GLX one', () => {
  const m = fakeMachine({ 'nvidia_icd.json': 'libGLX_nvidia.so.0', 'nvidia_egl.json': 'libEGL_nvidia.so.0', 'lvp_icd.json': 'libvulkan_lvp.so' }, []);
  const c = chooseVulkanIcd(m.env, { nvidia: true, icdDirs: [m.icdDir], tmpDir: m.root });
  assert.equal(c.env.VK_DRIVER_FILES, path.join(m.icdDir, 'nvidia_egl.json'));
  assert.equal(c.env.VK_ICD_FILENAMES, c.env.VK_DRIVER_FILES);
  assert.equal(c.problem, undefined);
});

test('a GLX-only NVIDIA driver gets an ICD json naming libEGL_nvidia.so.0', () => {
  const m = fakeMachine({ 'nvidia_icd.json': 'libGLX_nvidia.so.0' }, ['libEGL_nvidia.so.0']);
  const c = chooseVulkanIcd(m.env, { nvidia: true, icdDirs: [m.icdDir], tmpDir: m.root });
  const written = JSON.parse(fs.readFileSync(c.env.VK_DRIVER_FILES, 'utf8'));
  assert.equal(written.ICD.library_path, path.join(m.env.LD_LIBRARY_PATH!, 'libEGL_nvidia.so.0'));
  assert.equal(written.ICD.api_version, '1.4.312');
  assert.ok(c.env.VK_DRIVER_FILES.startsWith(m.root));
});

test('missing pieces give install hints; a chosen ICD or a machine without NVIDIA is left alone', () => {
  const none = fakeMachine({ 'lvp_icd.json': 'libvulkan_lvp.so' }, []);
  assert.equal(chooseVulkanIcd(none.env, { nvidia: true, icdDirs: [none.icdDir] }).problem, NVIDIA_ICD_HINT);
  const glxOnly = fakeMachine({ 'nvidia_icd.json': 'libGLX_nvidia.so.0' }, []);
  assert.match(chooseVulkanIcd(glxOnly.env, { nvidia: true, icdDirs: [glxOnly.icdDir] }).problem ?? '', /libEGL_nvidia\.so\.0 was not found/);
  assert.deepEqual(chooseVulkanIcd({ ...none.env, VK_DRIVER_FILES: '/x.json' }, { nvidia: true, icdDirs: [none.icdDir] }).env, {});
  assert.deepEqual(chooseVulkanIcd(none.env, { nvidia: false, icdDirs: [none.icdDir] }).env, {});
});
