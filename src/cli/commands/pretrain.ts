import * as fs from 'fs';
import { initBackend } from '../../backend/select';
import { formatEpoch, formatProgress } from '../../train/progress';
import { DEFAULT_PRETRAIN, pretrainBackbone } from '../../train/pretrain';
import { UsageError } from '../args';
import type { Command } from '../command';

const D = DEFAULT_PRETRAIN;

/** `wsol pretrain`: makes the tiny backbone's pretrained weights (the ones shipped were made with the defaults). */
export const pretrainCommand: Command = {
  spec: {
    name: 'pretrain',
    summary: 'pretrain the tiny backbone on Fashion-MNIST train items (image labels only) and write its weights',
    usage: 'wsol pretrain --out BASE [--images N] [--epochs N] [--seed S] [--run DIR] [--overwrite]',
    options: {
      out: { type: 'string', description: 'weights to write: BASE.json + BASE.bin (refused when they exist, unless --overwrite)', default: 'out/pretrain/tiny16' },
      run: { type: 'string', description: 'training run folder (resumable: run the same command again after a stop)', default: 'out/pretrain/run' },
      images: { type: 'int', description: 'training canvases', default: D.images, min: 1, max: 40_000 },
      'val-images': { type: 'int', description: 'held-out canvases for the recorded accuracy', default: D.valImages, min: 1, max: 1_600 },
      epochs: { type: 'int', description: 'passes over the canvases', default: D.epochs, min: 1, max: 100 },
      seed: { type: 'int', description: 'seed of the canvases and the initial weights', default: D.seed, min: 0, max: 2 ** 32 - 1 },
      'tiny-width': { type: 'int', description: 'width of the first block (the shipped weights: 16)', default: D.tinyWidth, min: 1, max: 256 },
      overwrite: { type: 'boolean', description: 'replace existing BASE.json / BASE.bin' },
    },
  },
  async run(options) {
    const base = (options.out as string).replace(/\.json$/, '');
    const existing = [`${base}.json`, `${base}.bin`].filter((f) => fs.existsSync(f));
    if (existing.length > 0 && options.overwrite !== true) throw new UsageError(`--out: ${existing.join(' and ')} already exist (pass --overwrite to replace them)`);
    await initBackend();
    let interrupted = false;
    const stop = () => {
      if (interrupted) process.exit(130);
      interrupted = true;
      process.stderr.write('\ninterrupt: finishing this step and saving a checkpoint (run the same command again to continue)\n');
    };
    process.on('SIGINT', stop);
    process.on('SIGTERM', stop);
    const tty = process.stderr.isTTY;
    try {
      const { manifest, stopped } = await pretrainBackbone({
        ...D,
        seed: options.seed as number,
        images: options.images as number,
        valImages: options.valImages as number,
        epochs: options.epochs as number,
        tinyWidth: options.tinyWidth as number,
        runDir: options.run as string,
        outBase: base,
        command: `wsol pretrain ${process.argv.slice(3).join(' ')}`.trim(),
        shouldStop: () => interrupted,
        callbacks: {
          onLog: (line) => process.stderr.write(line + '\n'),
          onStep: (s) => {
            const line = formatProgress(s);
            if (tty) process.stderr.write(`\r${line}`);
            else if (s.stepInEpoch === s.stepsPerEpoch || s.stepInEpoch % 50 === 0) process.stderr.write(line + '\n');
          },
          onEpoch: (rec, m) => process.stderr.write(`${tty ? '\n' : ''}${formatEpoch(rec, m)} (val = held-out canvases)\n`),
        },
      });
      if (stopped || !manifest) return 130;
      process.stdout.write(`backbone weights: ${base}.json + ${base}.bin (${manifest.bytes} bytes, sha256 ${manifest.sha256.slice(0, 16)}…, held-out Top-1 ${String(manifest.provenance.heldOutTop1Cls)}%)\n`);
      return 0;
    } finally {
      process.off('SIGINT', stop);
      process.off('SIGTERM', stop);
    }
  },
};
