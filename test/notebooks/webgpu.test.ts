/**
 * The notebooks on the webgpu engine: 00 (which names the engine) and 01 (which trains CAM live)
 * execute headless in quick mode with WSOL_BACKEND=webgpu, with no error output. In CI the adapter is
 * mesa's software Vulkan driver (lavapipe, data-scripts/setup-ci-vulkan.sh): a correctness run, not a
 * timing. Skipped where no Vulkan adapter is found.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import * as path from 'node:path';
import { ARTIFACTS, NOTEBOOKS_DIR, ROOT, joined, missingJupyter, readNotebook, runNotebooks, setupNotebooks } from './jupyter-harness';

/** Why webgpu cannot run here, or null when `wsol info` finds an adapter with it forced. */
function missingWebgpu(): string | null {
  const r = spawnSync(process.execPath, [path.join(ROOT, 'bin/wsol.js'), 'info'], { cwd: ROOT, encoding: 'utf8', env: { ...process.env, WSOL_BACKEND: 'webgpu' }, timeout: 120_000 });
  return r.status === 0 && /backend: webgpu/.test(r.stdout) ? null : `no WebGPU adapter (install a Vulkan driver, e.g. bash data-scripts/setup-ci-vulkan.sh): ${(r.stderr || r.stdout).trim().split('\n').at(-1)}`;
}

const skip = missingJupyter() ?? false;
const OUT = path.join(ARTIFACTS, 'webgpu');

test('00 and 01 run in quick mode on the webgpu engine without an error, and 00 says which engine runs', { skip }, (t) => {
  const noAdapter = missingWebgpu();
  if (noAdapter) return t.skip(noAdapter);
  setupNotebooks();
  const names = ['00-setup-check', '01-the-problem'];
  const r = runNotebooks(OUT, names.map((n) => path.join(NOTEBOOKS_DIR, `${n}.ipynb`)), 1, { env: { WSOL_BACKEND: 'webgpu' } });
  for (const name of names) assert.match(r.lines.get(name) ?? 'missing', /^ok /, `${name}: ${r.lines.get(name)}\n${r.stderr.slice(-2000)}`);
  assert.equal(r.status, 0, r.stdout);
  for (const name of names) {
    const outputs = readNotebook(path.join(OUT, `${name}.ipynb`)).cells.flatMap((c) => c.outputs ?? []);
    assert.deepEqual(outputs.filter((o) => o.output_type === 'error'), [], `${name}: error outputs`);
    assert.deepEqual(outputs.filter((o) => o.output_type === 'stream' && o.name === 'stderr' && /error/i.test(joined(o.text))), [], `${name}: errors on stderr`);
    const text = outputs.map((o) => joined(o.text) + joined(o.data?.['text/markdown']) + joined(o.data?.['text/html'])).join('\n');
    assert.match(text, /backend: webgpu/, `${name}: the first cell names the engine`);
    if (name === '00-setup-check') assert.match(text, /\*\*Engine in use: webgpu\*\* \(tfjs backend `webgpu`, forced by WSOL_BACKEND, adapter /);
    // 01 really trained: its live view reached the last of the quick plan's steps.
    if (name === '01-the-problem') assert.match(text, /What the numbers show/);
  }
});
