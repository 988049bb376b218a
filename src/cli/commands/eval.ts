import * as fs from 'fs';
import * as path from 'path';
import { initBackend } from '../../backend/select';
import { openOutputFolder, type OutputFolder } from '../../common/output-folder';
import { openDataset } from '../../data/datasets';
import { CAMS_MANIFEST, camFileName, readCamsManifest, writeCamsManifest } from '../../localize/cam-folder';
import { evaluateModel } from '../../evaluate/evaluate';
import { evaluateCamFolder } from '../../evaluate/evaluate-cams';
import { parseEvalSize, type EvalSize } from '../../evaluate/eval-ground-truth';
import type { LocalizationMetrics } from '../../localize/localization-evaluator';
import type { SavedRunConfig } from '../../train/run-folder';
import { evaluationOptions } from '../../train/config';
import { loadRunModel } from '../../train/trainer';
import type { ParsedOptions } from '../args';
import type { Command } from '../command';
import { metricsSummary } from '../../train/progress';

export const evalCommand: Command = {
  spec: {
    name: 'eval',
    summary: 'evaluate a trained run (classification, GT-known/Top-1/Top-5 Loc, MaxBoxAcc(V2), PxAP) or a folder of score maps',
    usage: 'wsol eval --run DIR [--split val|test] [--eval-size input|original|N] [--save-cams DIR] [--json]\n       wsol eval --cams DIR [--dataset SPEC] [--split val|test] [--eval-size N|original] [--json]',
    options: {
      run: { type: 'string', description: 'run directory written by wsol train' },
      split: { type: 'string', description: 'split to evaluate', choices: ['val', 'test'], default: 'test' },
      limit: { type: 'int', description: 'evaluate at most N images (0 = all)', min: 0, default: 0 },
      json: { type: 'boolean', description: 'print one JSON object' },
      'skip-bad': { type: 'boolean', description: 'skip undecodable images with a warning instead of stopping' },
      'allow-outside-root': { type: 'boolean', description: 'let image ids of folder: datasets name files outside the image root (../)' },
      'eval-size': {
        type: 'string',
        description: "size at which maps meet the ground truth: 'input' (the model's input size; default with --run), 'original' (each image's size) or N for N x N (wsolevaluation: 224; default with --cams)",
      },
      'save-cams': { type: 'string', description: "write each image's evaluated map to DIR/<image id>.npy (wsolevaluation's layout: float32, eval size, min-max normalised); DIR must be new, empty, or hold the maps of this same evaluation" },
      overwrite: { type: 'boolean', description: 'with --save-cams: write into a DIR that holds other files (same-named files are replaced, maps of an earlier evaluation removed, other files kept)' },
      cams: { type: 'string', description: 'evaluate the maps in DIR (wsolevaluation\'s layout, e.g. from PyTorch) instead of a run: MaxBoxAcc, MaxBoxAccV2, PxAP' },
      dataset: { type: 'string', description: `with --cams: the dataset the maps belong to (default: from DIR/${CAMS_MANIFEST})` },
      seed: { type: 'int', description: `with --cams: seed of a generated dataset (default: from DIR/${CAMS_MANIFEST})`, min: 0 },
    },
  },
  async run(options) {
    if (options.cams !== undefined) return evalCams(options);
    if (!options.run) throw new Error('wsol eval needs --run DIR (a trained run) or --cams DIR (score maps)');
    for (const flag of ['dataset', 'seed'] as const) if (options[flag] !== undefined) throw new Error(`--${flag} goes with --cams; a run evaluates its own dataset`);
    const evalSize = parseEvalSize((options.evalSize as string | undefined) ?? 'input');
    const split = options.split as 'val' | 'test';
    const limit = options.limit as number;
    if (options.overwrite !== undefined && options.saveCams === undefined) throw new Error('--overwrite goes with --save-cams');
    // The maps' folder is checked before anything is loaded: a user's files there stop the command at once.
    const camsFolder: OutputFolder | null =
      options.saveCams === undefined
        ? null
        : openOutputFolder(options.saveCams as string, {
            command: 'wsol eval --save-cams',
            settings: { run: path.resolve(options.run as string), split, limit, evalSize, skipBad: options.skipBad === true, allowOutsideRoot: options.allowOutsideRoot === true },
            overwrite: options.overwrite === true,
            optionName: '--save-cams',
          });
    let result: { metrics: LocalizationMetrics; config: SavedRunConfig };
    try {
      result = await evaluateRun(options, split, limit, evalSize, camsFolder);
    } finally {
      camsFolder?.close();
    }
    const { metrics, config } = result;
    if (options.json) {
      process.stdout.write(JSON.stringify(metrics, null, 2) + '\n');
    } else {
      process.stderr.write('\n');
      process.stdout.write(`${config.train.method} on ${config.train.dataset} (${split}): ${metricsSummary(metrics)}\n`);
    }
    return 0;
  },
};

/** Evaluates the run of `--run`, writing each map into `camsFolder` when given. */
async function evaluateRun(
  options: ParsedOptions,
  split: 'val' | 'test',
  limit: number,
  evalSize: EvalSize,
  camsFolder: OutputFolder | null,
): Promise<{ metrics: LocalizationMetrics; config: SavedRunConfig }> {
  await initBackend();
  const { model, config } = await loadRunModel(options.run as string);
  try {
    const dataset = await openDataset(config.train.dataset, {
      seed: config.train.seed,
      skipBad: options.skipBad === true,
      allowOutsideRoot: options.allowOutsideRoot === true,
      onWarning: (m) => process.stderr.write(`warning: ${m}\n`),
    });
    if (camsFolder) {
      // Every map's file is recorded (and checked against the user's files) before the first is written.
      const items = dataset.items(split);
      const ids = (limit > 0 ? items.slice(0, limit) : items).map((it) => it.id);
      camsFolder.plan([...ids.map(camFileName), CAMS_MANIFEST]);
    }
    const { metrics } = await evaluateModel(model, dataset, split, {
      ...evaluationOptions(config.train),
      limit,
      evalSize,
      saveCams: camsFolder?.dir,
      onProgress: options.json ? undefined : (d, t) => process.stderr.write(`\revaluating ${d}/${t}`),
    });
    if (camsFolder) {
      writeCamsManifest(camsFolder.dir, {
        dataset: config.train.dataset,
        seed: config.train.seed,
        split,
        evalSize: evalSize === 'input' ? config.train.imageSize : evalSize,
        count: metrics.count,
      });
      camsFolder.finish();
    }
    return { metrics, config };
  } finally {
    model.net.dispose();
  }
}

/** `wsol eval --cams DIR`: maps made elsewhere, no model. */
async function evalCams(options: ParsedOptions): Promise<number> {
  const dir = options.cams as string;
  if (options.run !== undefined) throw new Error('give --run DIR or --cams DIR, not both');
  if (options.saveCams !== undefined) throw new Error('--save-cams goes with --run');
  if (options.overwrite !== undefined) throw new Error('--overwrite goes with --save-cams');
  if (!fs.statSync(dir, { throwIfNoEntry: false })?.isDirectory()) {
    throw new Error(`--cams ${dir}: ${fs.existsSync(dir) ? 'not a folder' : 'no such folder'} (give the folder that holds the <image id>.npy maps)`);
  }
  const manifest = readCamsManifest(dir);
  const split = options.split as 'val' | 'test';
  if (manifest && manifest.split !== split) throw new Error(`${dir} holds maps of the ${manifest.split} split (${CAMS_MANIFEST}); pass --split ${manifest.split}`);
  const spec = (options.dataset as string | undefined) ?? manifest?.dataset;
  if (!spec) throw new Error(`wsol eval --cams needs --dataset (${dir} has no ${CAMS_MANIFEST})`);
  const evalSize = parseEvalSize((options.evalSize as string | undefined) ?? manifest?.evalSize ?? WSOLEVALUATION_SIZE);
  if (evalSize === 'input') throw new Error("--eval-size input needs a model (--run); give N or 'original' with --cams");
  const seed = (options.seed as number | undefined) ?? manifest?.seed;
  const dataset = await openDataset(spec, {
    ...(seed !== undefined ? { seed } : {}),
    skipBad: options.skipBad === true,
    allowOutsideRoot: options.allowOutsideRoot === true,
    onWarning: (m) => process.stderr.write(`warning: ${m}\n`),
  });
  const metrics = await evaluateCamFolder(dir, dataset, split, {
    evalSize,
    limit: options.limit as number,
    onProgress: options.json ? undefined : (d, t) => (d % 50 === 0 || d === t) && process.stderr.write(`\revaluating ${d}/${t}`),
  });
  if (options.json) {
    process.stdout.write(JSON.stringify({ ...metrics, dataset: spec, split, evalSize }, null, 2) + '\n');
  } else {
    process.stderr.write('\n');
    const pct = (v: number) => v.toFixed(2);
    const px = metrics.pxap === null ? '' : `, PxAP ${pct(metrics.pxap)}`;
    process.stdout.write(
      `maps in ${dir} on ${spec} (${split}, ${metrics.count} images at ${evalSize === 'original' ? 'original size' : `${evalSize}x${evalSize}`}): ` +
        `MaxBoxAcc ${pct(metrics.maxBoxAcc)}, MaxBoxAccV2 ${pct(metrics.maxBoxAccV2)} (IoU ${metrics.iouThresholds.join('/')}: ${metrics.maxBoxAccV2PerIou.map(pct).join('/')})${px}\n`,
    );
  }
  return 0;
}

/** wsolevaluation's _RESIZE_LENGTH: its evaluation.py compares maps and boxes at 224 x 224. */
const WSOLEVALUATION_SIZE = 224;
