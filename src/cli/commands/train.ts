import { initBackend } from '../../backend/select';
import { datasetSpecs } from '../../data/datasets';
import { DEFAULT_TRAIN_CONFIG, type TrainConfig } from '../../train/config';
import { formatEpoch, formatProgress } from '../../train/progress';
import { train } from '../../train/trainer';
import type { ParsedOptions } from '../args';
import type { Command } from '../command';
import { TRAINING_OPTIONS, trainConfigFromOptions } from '../training-options';

export const trainCommand: Command = {
  spec: {
    name: 'train',
    summary: 'train one method on one dataset (resumable; Ctrl-C saves a checkpoint)',
    usage: 'wsol train --dataset D --method M [--backbone B] [--epochs N] [--image-size S] [--batch-size B] [--seed S] [--set OPTION=VALUE]... [--out DIR] [--resume]',
    options: {
      dataset: { type: 'string', description: datasetSpecs(), default: DEFAULT_TRAIN_CONFIG.dataset },
      method: { type: 'string', description: 'method id (see wsol methods)', default: DEFAULT_TRAIN_CONFIG.method },
      ...TRAINING_OPTIONS,
      'allow-outside-root': { type: 'boolean', description: 'let image ids of folder: datasets name files outside the image root (../)' },
      out: { type: 'string', description: 'run directory: new, empty, or a run to --resume', default: 'runs/latest' },
      resume: { type: 'boolean', description: 'continue the run in --out from its latest checkpoint (an error when it has none)' },
    },
  },
  async run(options: ParsedOptions) {
    const config: Partial<TrainConfig> = { ...trainConfigFromOptions(options), dataset: options.dataset as string, method: options.method as string };
    await initBackend();
    let interrupted = false;
    const onSigint = () => {
      if (interrupted) process.exit(130);
      interrupted = true;
      process.stderr.write('\ninterrupt: finishing this step and saving a checkpoint (Ctrl-C again to abort)\n');
    };
    process.on('SIGINT', onSigint);
    const tty = process.stderr.isTTY;
    try {
      const result = await train(config, {
        outDir: options.out as string,
        resume: options.resume === true,
        skipBad: options.skipBad === true,
        allowOutsideRoot: options.allowOutsideRoot === true,
        shouldStop: () => interrupted,
        callbacks: {
          onLog: (line) => process.stderr.write(line + '\n'),
          onStep: (s) => {
            const line = formatProgress(s);
            if (tty) process.stderr.write(`\r${line}`);
            else if (s.stepInEpoch === s.stepsPerEpoch || s.stepInEpoch % 10 === 0) process.stderr.write(line + '\n');
          },
          onEpoch: (rec, m) => process.stderr.write(`${tty ? '\n' : ''}${formatEpoch(rec, m)}\n`),
        },
      });
      if (result.skippedImages > 0) process.stderr.write(`skipped ${result.skippedImages} missing or undecodable images (--skip-bad; see the warnings above)\n`);
      if (result.stopped) return 130;
      process.stdout.write(`run saved in ${result.outDir} (${result.trainSeconds.toFixed(1)} s)\n`);
      return 0;
    } finally {
      process.off('SIGINT', onSigint);
    }
  },
};
