import { initBackend } from '../../backend/select';
import type { Command } from '../command';

export const infoCommand: Command = {
  spec: {
    name: 'info',
    summary: 'show the chosen tfjs backend, versions, SIMD/threads, and why faster backends were not taken',
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
      `backend: ${info.choice} (tfjs backend "${info.tfBackend}")${info.forced ? ' [forced by WSOL_BACKEND]' : ''}`,
      ...Object.entries(info.versions).map(([k, v]) => `  ${k} ${v}`),
    ];
    if (info.wasmSimd !== null) lines.push(`wasm: SIMD ${info.wasmSimd ? 'yes' : 'no'}, threads ${info.wasmThreads ? 'yes' : 'no'}`);
    if (info.trainingKernels.length) lines.push(`training kernels: ${info.trainingKernels.join(', ')}`);
    lines.push('attempts:', ...info.attempts.map((a) => `  ${a.ok ? 'ok  ' : 'skip'} ${a.choice}: ${a.reason}`));
    process.stdout.write(lines.join('\n') + '\n');
    return 0;
  },
};
