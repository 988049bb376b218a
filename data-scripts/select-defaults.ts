/**
 * The val-split search behind the method's defaults (docs/results/selection/README.md states the rule).
 * Trains each candidate on each built-in set at the reproduce budget and writes one JSON per run with its
 * val metrics and per-epoch loss terms (fusion gate share, gap to the target, gradient share).
 *   node --import tsx data-scripts/select-defaults.ts --candidates FILE.json [--datasets parts,fashion-clutter] [--seed 1] [--out DIR]
 * FILE.json: [{ "name": "...", "method": "ours", "methodOptions": { ... }, "train": { ... } }, ...]
 * Runs already finished (their JSON exists) are skipped, so the script resumes after a stop.
 */
import * as fs from 'fs';
import * as path from 'path';
import { parseArgs } from 'util';
import { initBackend } from '../src/backend/select';
import { writeJsonAtomic } from '../src/common/atomic-write';
import { openDataset } from '../src/data/datasets';
import type { TrainConfig } from '../src/train/config';
import { defaultBudget } from '../src/train/reproduce';
import { train } from '../src/train/trainer';

interface Candidate {
  name: string;
  method: string;
  methodOptions?: TrainConfig['methodOptions'];
  train?: Partial<TrainConfig>;
}

async function main(): Promise<void> {
  const { values } = parseArgs({
    options: {
      candidates: { type: 'string' },
      datasets: { type: 'string', default: 'parts,fashion-clutter' },
      seed: { type: 'string', default: '1' },
      out: { type: 'string', default: 'docs/results/selection' },
      runs: { type: 'string', default: 'out/selection' },
    },
  });
  if (!values.candidates) throw new Error('--candidates FILE.json is required');
  const candidates = JSON.parse(fs.readFileSync(values.candidates, 'utf8')) as Candidate[];
  const seed = Number(values.seed);
  await initBackend();
  for (const datasetName of values.datasets!.split(',')) {
    const dataset = await openDataset(datasetName, { seed });
    for (const c of candidates) {
      const file = path.join(values.out!, `${datasetName}-${c.name}-s${seed}.json`);
      if (fs.existsSync(file)) continue;
      const config: Partial<TrainConfig> = { ...defaultBudget(false), ...(c.train ?? {}), dataset: datasetName, method: c.method, seed, methodOptions: c.methodOptions ?? {} };
      const started = Date.now();
      const result = await train(config, { outDir: path.join(values.runs!, `${datasetName}-${c.name}-s${seed}`), resume: 'if-present', dataset });
      result.model.net.dispose();
      const m = result.metrics!;
      const row = {
        candidate: c.name,
        dataset: datasetName,
        seed,
        split: 'val',
        config,
        val: { top1Cls: m.top1Cls, gtKnownLoc: m.gtKnownLoc, maxBoxAcc: m.maxBoxAcc, maxBoxAccV2: m.maxBoxAccV2, pxap: m.pxap, top1Loc: m.top1Loc },
        epochs: result.history.map((h) => ({ epoch: h.epoch, loss: h.loss, trainAcc: h.trainAcc, valTop1Cls: h.valTop1Cls, valMaxBoxAccV2: h.valMaxBoxAccV2, terms: h.terms })),
        seconds: (Date.now() - started) / 1000,
      };
      writeJsonAtomic(file, row);
      process.stdout.write(`${datasetName} ${c.name}: val Top-1 ${m.top1Cls.toFixed(1)} MaxBoxAccV2 ${m.maxBoxAccV2.toFixed(1)} GT-known ${m.gtKnownLoc.toFixed(1)} (${row.seconds.toFixed(0)} s) ${JSON.stringify(result.history.map((h) => h.terms))}\n`);
    }
  }
}

main().catch((err) => {
  process.stderr.write(`select-defaults: ${(err as Error).stack}\n`);
  process.exit(1);
});
