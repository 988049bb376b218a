import * as fs from 'fs';
import * as path from 'path';
import { initBackend } from '../../backend/select';
import { datasetSpecs } from '../../data/datasets';
import { DEFAULT_TRAIN_CONFIG, type TrainConfig } from '../../train/config';
import { TrainingInterruptedError } from '../../train/interrupt';
import { formatEpoch, formatProgress } from '../../train/progress';
import { readRunConfig, RUN_FILES } from '../../train/run-folder';
import { train } from '../../train/trainer';
import type { ParsedOptions } from '../args';
import type { Command } from '../command';
import { TRAINING_OPTIONS, trainConfigFromOptions } from '../training-options';

export const trainCommand: Command = {
  spec: {
    name: 'train',
    summary: 'train one method on one dataset (resumable; Ctrl-C or SIGTERM saves a checkpoint)',
    usage: 'wsol train --dataset D --method M [--backbone B] [--epochs N] [--image-size S] [--batch-size B] [--seed S] [--set OPTION=VALUE]... [--out DIR] [--resume]\n       wsol train --out DIR --resume   (continues with the options stored in DIR)',
    options: {
      dataset: { type: 'string', description: `${datasetSpecs()} (default: ${DEFAULT_TRAIN_CONFIG.dataset})` },
      method: { type: 'string', description: `method id (see wsol methods; default: ${DEFAULT_TRAIN_CONFIG.method})` },
      ...TRAINING_OPTIONS,
      'allow-outside-root': { type: 'boolean', description: 'let image ids of folder: datasets name files outside the image root (../)' },
      out: { type: 'string', description: 'run directory: new, empty, or a run to --resume', default: 'runs/latest' },
      resume: { type: 'boolean', description: "continue the run in --out from its latest checkpoint, with the run's stored options (an error when it has none)" },
    },
  },
  async run(options: ParsedOptions) {
    const given: Partial<TrainConfig> = {
      ...trainConfigFromOptions(options),
      ...(options.dataset !== undefined ? { dataset: options.dataset as string } : {}),
      ...(options.method !== undefined ? { method: options.method as string } : {}),
    };
    const outDir = options.out as string;
    // A resumed run starts from its own stored options; the options given on the command line
    // must agree with them (a difference is an error that names the option).
    const stored = options.resume === true && fs.existsSync(path.join(outDir, RUN_FILES.config)) ? readRunConfig(outDir).train : null;
    const config: Partial<TrainConfig> = stored ? { ...stored, ...given } : given;
    await initBackend();
    const tty = process.stderr.isTTY;
    try {
      const result = await train(config, {
        outDir,
        resume: options.resume === true,
        skipBad: options.skipBad === true,
        allowOutsideRoot: options.allowOutsideRoot === true,
        callbacks: {
          onLog: (line) => process.stderr.write(`${tty ? '\n' : ''}${line}\n`),
          onStep: (s) => {
            const line = formatProgress(s);
            if (tty) process.stderr.write(`\r${line}`);
            else if (s.stepInEpoch === s.stepsPerEpoch || s.stepInEpoch % 10 === 0) process.stderr.write(line + '\n');
          },
          onEpoch: (rec, m) => process.stderr.write(`${tty ? '\n' : ''}${formatEpoch(rec, m)}\n`),
        },
      });
      if (result.skippedImages > 0) process.stderr.write(`skipped ${result.skippedImages} missing or undecodable images (--skip-bad; see the warnings above)\n`);
      process.stdout.write(`run saved in ${result.outDir} (${result.trainSeconds.toFixed(1)} s)\n`);
      return 0;
    } catch (err) {
      // The checkpoint is saved and the session said where; exit as a shell expects after the signal.
      if (err instanceof TrainingInterruptedError) return err.exitCode;
      throw err;
    }
  },
};
