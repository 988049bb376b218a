/**
 * 00's account of the engine: which one runs, every engine tried (as a Markdown table, which never
 * clips a row), and, when a CPU engine runs on a machine that has a GPU, the one line that uses it.
 */
import * as fs from 'fs';
import type { BackendInfo } from '../backend/select';

const CPU_ENGINES = new Set(['wasm', 'cpu', 'tensorflow']);

/** A GPU this machine shows to user space: an NVIDIA driver's device, or a DRM render node (AMD, Intel). */
export function gpuPresent(): boolean {
  const entries = (dir: string) => {
    try {
      return fs.readdirSync(dir);
    } catch {
      return [];
    }
  };
  return entries('/proc/driver/nvidia/gpus').length > 0 || entries('/dev/dri').some((e) => e.startsWith('renderD'));
}

const cell = (s: string) => s.replace(/\|/g, '\\|').replace(/\n/g, ' ');

/** Markdown: the engine in use, the table of engines tried, and the GPU line where it applies. */
export function engineReport(info: BackendInfo, hasGpu: boolean): string {
  const rows = info.attempts.map((a) => `| ${a.choice}${a.choice === info.choice ? ' **(in use)**' : ''} | ${a.ok ? 'yes' : 'no'} | ${cell(a.reason)} |`);
  const out = [
    `**Engine in use: ${info.choice}** (tfjs backend \`${info.tfBackend}\`${info.forced ? ', forced by WSOL_BACKEND' : ''}${info.webgpuAdapter ? `, adapter ${info.webgpuAdapter}` : ''}).`,
    '',
    '| engine | used | why |',
    '| --- | --- | --- |',
    ...rows,
  ];
  if (CPU_ENGINES.has(info.choice) && hasGpu) {
    const webgpu = info.attempts.find((a) => a.choice === 'webgpu');
    out.push(
      '',
      `This machine has a GPU, but a CPU engine runs. To train on the GPU, start Jupyter with the WebGPU engine: \`WSOL_BACKEND=webgpu npm run notebook\`` +
        (webgpu && !webgpu.ok ? ` (it was not taken automatically: ${cell(webgpu.reason)})` : '') + '.',
    );
  }
  return out.join('\n');
}
