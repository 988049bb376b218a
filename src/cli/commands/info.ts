import { initBackend, type BackendInfo } from '../../backend/select';
import type { Command } from '../command';

/** Which engine trains, and why a faster one was not taken. */
function engineLine(info: BackendInfo): string {
  if (info.tfBackend !== 'wasm') return `${info.choice}`;
  const n = info.native;
  if (n?.active) return `native (oneDNN kernels on the wasm backend: ${n.reason})`;
  return `wasm (the faster native oneDNN kernels are not used: ${n?.reason ?? 'unknown'})`;
}

export const infoCommand: Command = {
  spec: {
    name: 'info',
    summary: 'show the engine (native oneDNN kernels or wasm) and tfjs backend, versions, SIMD/threads, and why faster backends were not taken',
    usage: 'wsol info [--json]',
    options: { json: { type: 'boolean', description: 'print one JSON object' } },
  },
  async run(options) {
    const info = await initBackend();
    if (options.json) {
      process.stdout.write(JSON.stringify(info, null, 2) + '\n');
      return 0;
    }
    const lines = [
      `engine: ${engineLine(info)}`,
      `backend: ${info.choice} (tfjs backend "${info.tfBackend}")${info.forced ? ' [forced by WSOL_BACKEND]' : ''}`,
      ...Object.entries(info.versions).map(([k, v]) => `  ${k} ${v}`),
    ];
    if (info.wasmSimd !== null) lines.push(`wasm: SIMD ${info.wasmSimd ? 'yes' : 'no'}, threads ${info.wasmThreads ? 'yes' : 'no'}`);
    if (info.trainingKernels.length) lines.push(`training kernels: ${info.trainingKernels.join(', ')}`);
    if (info.native?.active) lines.push(`native kernels: ${info.native.kernels.join(', ')}`);
    lines.push('attempts:', ...info.attempts.map((a) => `  ${a.ok ? 'ok  ' : 'skip'} ${a.choice}: ${a.reason}`));
    process.stdout.write(lines.join('\n') + '\n');
    return 0;
  },
};
