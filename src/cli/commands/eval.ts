import { initBackend } from '../../backend/select';
import { openDataset } from '../../data/open-dataset';
import { evaluateModel } from '../../train/evaluate';
import { loadRunModel } from '../../train/trainer';
import type { Command } from '../command';
import { metricsSummary } from '../format-metrics';

export const evalCommand: Command = {
  spec: {
    name: 'eval',
    summary: 'evaluate a trained run: classification, GT-known/Top-1/Top-5 Loc, MaxBoxAcc(V2), PxAP',
    usage: 'wsol eval --run DIR [--split val|test] [--json]',
    options: {
      run: { type: 'string', description: 'run directory written by wsol train' },
      split: { type: 'string', description: 'split to evaluate', choices: ['val', 'test'], default: 'test' },
      limit: { type: 'int', description: 'evaluate at most N images (0 = all)', min: 0, default: 0 },
      json: { type: 'boolean', description: 'print one JSON object' },
      'skip-bad': { type: 'boolean', description: 'skip undecodable images with a warning instead of stopping' },
    },
  },
  async run(options) {
    if (!options.run) throw new Error('wsol eval needs --run DIR');
    await initBackend();
    const { model, config } = await loadRunModel(options.run as string);
    const dataset = await openDataset(config.train.dataset, {
      seed: config.train.seed,
      skipBad: options.skipBad === true,
      onWarning: (m) => process.stderr.write(`warning: ${m}\n`),
    });
    const { metrics } = await evaluateModel(model, dataset, options.split as 'val' | 'test', {
      imageSize: config.train.imageSize,
      batchSize: config.train.batchSize,
      limit: options.limit as number,
      locThreshold: config.train.locThreshold,
      onProgress: options.json ? undefined : (d, t) => process.stderr.write(`\revaluating ${d}/${t}`),
    });
    model.net.dispose();
    if (options.json) {
      process.stdout.write(JSON.stringify(metrics, null, 2) + '\n');
    } else {
      process.stderr.write('\n');
      process.stdout.write(`${config.train.method} on ${config.train.dataset} (${options.split}): ${metricsSummary(metrics)}\n`);
    }
    return 0;
  },
};
