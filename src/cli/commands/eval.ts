import { initBackend } from '../../backend/select';
import { openDataset } from '../../data/datasets';
import { CAMS_MANIFEST, readCamsManifest, writeCamsManifest } from '../../localize/cam-folder';
import { evaluateModel } from '../../train/evaluate';
import { evaluateCamFolder } from '../../train/evaluate-cams';
import { parseEvalSize } from '../../train/eval-ground-truth';
import { evaluationOptions } from '../../train/config';
import { loadRunModel } from '../../train/trainer';
import type { ParsedOptions } from '../args';
import type { Command } from '../command';
import { metricsSummary } from '../format-metrics';

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
      'save-cams': { type: 'string', description: "write each image's evaluated map to DIR/<image id>.npy (wsolevaluation's layout: float32, eval size, min-max normalised)" },
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
    await initBackend();
    const { model, config } = await loadRunModel(options.run as string);
    const dataset = await openDataset(config.train.dataset, {
      seed: config.train.seed,
      skipBad: options.skipBad === true,
      allowOutsideRoot: options.allowOutsideRoot === true,
      onWarning: (m) => process.stderr.write(`warning: ${m}\n`),
    });
    const { metrics } = await evaluateModel(model, dataset, options.split as 'val' | 'test', {
      ...evaluationOptions(config.train),
      limit: options.limit as number,
      evalSize,
      saveCams: options.saveCams as string | undefined,
      onProgress: options.json ? undefined : (d, t) => process.stderr.write(`\revaluating ${d}/${t}`),
    });
    model.net.dispose();
    if (options.saveCams !== undefined) {
      writeCamsManifest(options.saveCams as string, {
        dataset: config.train.dataset,
        seed: config.train.seed,
        split: options.split as string,
        evalSize: evalSize === 'input' ? config.train.imageSize : evalSize,
        count: metrics.count,
      });
    }
    if (options.json) {
      process.stdout.write(JSON.stringify(metrics, null, 2) + '\n');
    } else {
      process.stderr.write('\n');
      process.stdout.write(`${config.train.method} on ${config.train.dataset} (${options.split}): ${metricsSummary(metrics)}\n`);
    }
    return 0;
  },
};

/** `wsol eval --cams DIR`: maps made elsewhere, no model. */
async function evalCams(options: ParsedOptions): Promise<number> {
  const dir = options.cams as string;
  if (options.run !== undefined) throw new Error('give --run DIR or --cams DIR, not both');
  if (options.saveCams !== undefined) throw new Error('--save-cams goes with --run');
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
