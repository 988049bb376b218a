/**
 * Looks at the WebGPU adapter from a child process before the automatic backend choice loads Dawn
 * into this one. A broken Vulkan driver can crash the process that enumerates it; in a child that
 * costs a skipped engine instead of a dead `wsol`. The child prints the adapter's info as JSON.
 * (Forcing WSOL_BACKEND=webgpu skips the probe: the user asked for it.)
 */
import { spawnSync } from 'child_process';

export interface ProbedAdapter {
  vendor: string;
  architecture: string;
  device: string;
  description: string;
  isFallbackAdapter: boolean;
}

export type ProbeResult = { ok: true; adapter: ProbedAdapter | null } | { ok: false; reason: string };

const PROBE = `
const { create, globals } = require(process.argv[1]);
Object.assign(globalThis, globals);
const gpu = create(process.argv[2] ? process.argv[2].split(';') : []);
gpu.requestAdapter({ powerPreference: 'high-performance' }).then((a) => {
  const i = a && a.info;
  process.stdout.write(JSON.stringify(i ? { vendor: i.vendor, architecture: i.architecture, device: i.device, description: i.description, isFallbackAdapter: !!i.isFallbackAdapter } : null));
  process.exit(0);
}, (e) => { process.stderr.write(String(e)); process.exit(3); });
`;

/** Runs the probe with `env` (the Vulkan ICD choice) and Dawn `options`; never throws. */
export function probeAdapter(env: NodeJS.ProcessEnv, options: string[], timeoutMs = 30_000): ProbeResult {
  let entry: string;
  try {
    entry = require.resolve('webgpu');
  } catch (err) {
    return { ok: false, reason: `the webgpu package (Dawn) is not installed: ${(err as Error).message.split('\n')[0]}` };
  }
  const r = spawnSync(process.execPath, ['-e', PROBE, entry, options.join(';')], { env, encoding: 'utf8', timeout: timeoutMs });
  if (r.error) return { ok: false, reason: `the WebGPU adapter probe failed to run: ${r.error.message}` };
  if (r.signal) return { ok: false, reason: `Dawn crashed while looking for a WebGPU adapter (${r.signal}); set WSOL_BACKEND to choose another engine` };
  if (r.status !== 0) return { ok: false, reason: `the WebGPU adapter probe failed: ${(r.stderr || '').trim().split('\n').pop()}` };
  try {
    return { ok: true, adapter: JSON.parse(r.stdout.trim().split('\n').pop() || 'null') as ProbedAdapter | null };
  } catch {
    return { ok: false, reason: `the WebGPU adapter probe printed no adapter info: ${r.stdout.trim().slice(0, 200)}` };
  }
}
