/**
 * The training loop shared by every method: seeded, resumable, with validation each epoch,
 * teaching snapshots, NaN/Inf detection, and progress through callbacks (it never prints).
 *
 * Run directory layout:
 *   config.json       the resolved TrainConfig and the model config
 *   checkpoints/      ckpt-eNNNN-sSTEP/ (model.json, weights.bin, optimizer.*, state.json) + latest.json
 *   history.json      EpochRecord[]
 *   snapshots.json    SnapshotFile (probe maps over training, coverage per epoch)
 *   model/            the final model (model.json + weights.bin, loadable in a browser)
 *   metrics.json      final validation metrics
 */
import * as fs from 'fs';
import * as path from 'path';
import { readJson, writeJsonAtomic } from '../common/atomic-write';
import { batches } from '../data/batches';
import type { Dataset } from '../data/dataset';
import { loadKerasH5Weights, type LayerContainer } from '../data/keras-weights';
import { openDataset } from '../data/open-dataset';
import type { LocalizationMetrics } from '../localize/localization-evaluator';
import { createModel, restoreModel, type ModelConfig } from '../method/registry';
import type { WsolModel } from '../method/wsol-model';
import { latestCheckpoint, loadCheckpointNet, loadCheckpointState, saveCheckpoint, type TrainingProgress } from './checkpoint';
import { resolveTrainConfig, type TrainConfig } from './config';
import { evaluateModel } from './evaluate';
import { fileSystemHandler } from './fs-io-handler';
import { WsolOptimizer } from './optimizer';
import type { StepInfo } from './progress';
import { learningRateAt } from './schedule';
import { seedInitialWeights } from './seeded-init';
import type { EpochRecord, Snapshot, SnapshotFile } from './snapshot-types';
import { coverageRow, describeProbes, probeSetFrom, takeSnapshot, type ProbeSet } from './snapshots';
import { trainStep } from './train-step';

export interface TrainCallbacks {
  onStep?(info: StepInfo): void;
  onEpoch?(record: EpochRecord, metrics: LocalizationMetrics): void;
  onSnapshot?(snapshot: Snapshot): void;
  /** Free-form status lines (dataset loading, checkpoint saved, resumed from ...). */
  onLog?(line: string): void;
}

export interface TrainOptions {
  outDir: string;
  /** Continue from the latest checkpoint in `outDir` (starts fresh when there is none). */
  resume?: boolean;
  callbacks?: TrainCallbacks;
  /** A dataset already opened (notebooks reuse one across runs). */
  dataset?: Dataset;
  /** Polled after every step; when true the trainer checkpoints and returns early. */
  shouldStop?: () => boolean;
  /** Skip undecodable images (each reported through callbacks.onLog) instead of failing. */
  skipBad?: boolean;
}

export interface TrainResult {
  model: WsolModel;
  history: EpochRecord[];
  metrics: LocalizationMetrics | null;
  outDir: string;
  stopped: boolean;
  trainSeconds: number;
}

export class TrainingDivergedError extends Error {}

export function modelConfigFor(config: TrainConfig, numClasses: number): ModelConfig {
  return {
    ...(config.methodOptions as object),
    method: config.method,
    backbone: config.backbone,
    numClasses,
    inputSize: config.imageSize,
  } as ModelConfig;
}

interface SavedRunConfig {
  train: TrainConfig;
  model: ModelConfig;
  classNames: string[];
}

export function readRunConfig(runDir: string): SavedRunConfig {
  const file = path.join(runDir, 'config.json');
  if (!fs.existsSync(file)) throw new Error(`${runDir} is not a training run (no config.json)`);
  return readJson<SavedRunConfig>(file);
}

/** Loads the final model of a run (or its latest checkpoint when training did not finish). */
export async function loadRunModel(runDir: string): Promise<{ model: WsolModel; config: SavedRunConfig }> {
  const config = readRunConfig(runDir);
  const finalDir = path.join(runDir, 'model');
  const dir = fs.existsSync(path.join(finalDir, 'model.json')) ? finalDir : latestCheckpoint(runDir);
  if (!dir) throw new Error(`${runDir} has neither a final model nor a checkpoint`);
  const net = await loadCheckpointNet(dir);
  return { model: restoreModel(config.model, net), config };
}

export async function train(partial: Partial<TrainConfig>, opts: TrainOptions): Promise<TrainResult> {
  const config = resolveTrainConfig(partial);
  const log = (line: string) => opts.callbacks?.onLog?.(line);
  const dataset = opts.dataset ?? (await openDataset(config.dataset, { seed: config.seed, skipBad: opts.skipBad, onWarning: (m) => log(`warning: ${m}`) }));
  const modelConfig = modelConfigFor(config, dataset.classNames.length);
  fs.mkdirSync(opts.outDir, { recursive: true });

  const optimizer = new WsolOptimizer(config.optimizer);
  let model: WsolModel;
  let progress: TrainingProgress = { epochsDone: 0, step: 0, rng: { seed: config.seed, nextEpoch: 0, nextStep: 0 }, history: [] };
  const ckpt = latestCheckpoint(opts.outDir);
  if (ckpt && !opts.resume) {
    throw new Error(`${opts.outDir} already holds a run (checkpoint ${path.basename(ckpt)}); use --resume or another --out`);
  }
  if (ckpt) {
    const saved = readRunConfig(opts.outDir);
    if (JSON.stringify(saved.train) !== JSON.stringify(config)) {
      throw new Error(`--resume: the options differ from the run's config.json in ${opts.outDir}; resume with the same options`);
    }
    model = restoreModel(modelConfig, await loadCheckpointNet(ckpt));
    progress = loadCheckpointState(ckpt, optimizer);
    log(`resumed from ${ckpt} (epoch ${progress.epochsDone}, step ${progress.step})`);
  } else {
    model = createModel(modelConfig);
    seedInitialWeights(model.net, config.seed);
    if (config.pretrainedWeights) {
      if (config.backbone !== 'vgg16') throw new Error('--pretrained-weights needs --backbone vgg16 (Keras VGG16 notop weights)');
      const loaded = await loadKerasH5Weights(config.pretrainedWeights, model.net.getLayer('backbone') as unknown as LayerContainer);
      log(`loaded ${loaded.length} pretrained layers from ${config.pretrainedWeights}`);
    }
    writeJsonAtomic(path.join(opts.outDir, 'config.json'), { train: config, model: modelConfig, classNames: dataset.classNames } satisfies SavedRunConfig);
  }

  const trainCount = config.limit > 0 ? Math.min(config.limit, dataset.items('train').length) : dataset.items('train').length;
  if (trainCount === 0) throw new Error(`dataset ${dataset.name} has an empty train split`);
  const stepsPerEpoch = Math.ceil(trainCount / config.batchSize);
  const totalSteps = stepsPerEpoch * config.epochs;

  const probes = await loadProbes(dataset, config);
  const snapshotPath = path.join(opts.outDir, 'snapshots.json');
  const snapshots: SnapshotFile = fs.existsSync(snapshotPath) && ckpt
    ? readJson<SnapshotFile>(snapshotPath)
    : { method: config.method, inputSize: config.imageSize, probes: probes ? await describeProbes(probes, dataset.classNames) : [], snapshots: [], coverage: [] };
  const record = (step: number, epoch: number) => {
    if (!probes) return;
    const s = takeSnapshot(model, probes, step, epoch, config.seed);
    snapshots.snapshots = snapshots.snapshots.filter((x) => x.step !== step || x.epoch !== epoch);
    snapshots.snapshots.push(s);
    opts.callbacks?.onSnapshot?.(s);
    return s;
  };
  if (progress.step === 0 && probes) record(0, -1);

  const started = Date.now();
  let metrics: LocalizationMetrics | null = null;
  let stopped = false;
  try {
    for (let epoch = progress.epochsDone; epoch < config.epochs && !stopped; epoch++) {
      const epochStart = Date.now();
      const skip = progress.step - epoch * stepsPerEpoch; // steps of this epoch done before an interruption
      let stepInEpoch = 0;
      let lossSum = 0;
      let correct = 0;
      let seen = 0;
      let images = 0;
      const termSums: Record<string, number> = {};
      for await (const batch of batches(dataset, 'train', {
        batchSize: config.batchSize,
        imageSize: config.imageSize,
        augment: true,
        shuffle: true,
        seed: config.seed,
        epoch,
        limit: config.limit,
      })) {
        if (stepInEpoch < skip) {
          batch.images.dispose();
          stepInEpoch++;
          continue;
        }
        const t0 = Date.now();
        const lr = learningRateAt(config.optimizer.learningRate, config.schedule, progress.step, totalSteps, stepsPerEpoch);
        let r;
        try {
          r = trainStep(model, optimizer, batch.images, batch.labels, { step: progress.step, seed: config.seed }, lr);
        } finally {
          batch.images.dispose();
        }
        if (!Number.isFinite(r.loss)) {
          const last = latestCheckpoint(opts.outDir);
          throw new TrainingDivergedError(
            `training diverged: loss is ${r.loss} at epoch ${epoch + 1}, step ${progress.step} ` +
              `(terms ${JSON.stringify(r.terms)}); weights were not updated. ` +
              (last ? `Last good checkpoint: ${last}. ` : 'No checkpoint was saved yet. ') +
              'Try a lower learning rate (--lr).',
          );
        }
        const n = batch.labels.length;
        progress.step++;
        stepInEpoch++;
        lossSum += r.loss * n;
        seen += n;
        images += n;
        if (Number.isFinite(r.correct)) correct += r.correct;
        for (const [k, v] of Object.entries(r.terms)) termSums[k] = (termSums[k] ?? 0) + v * n;
        opts.callbacks?.onStep?.({
          epoch,
          epochs: config.epochs,
          stepInEpoch,
          stepsPerEpoch,
          step: progress.step,
          loss: r.loss,
          accuracy: Number.isFinite(r.correct) ? r.correct / n : NaN,
          imagesPerSec: (n * 1000) / Math.max(1, Date.now() - t0),
          learningRate: lr,
        });
        if (config.snapshotEvery > 0 && progress.step % config.snapshotEvery === 0) record(progress.step, epoch);
        if (opts.shouldStop?.()) {
          stopped = true;
          break;
        }
      }
      if (stopped) {
        progress.rng = { seed: config.seed, nextEpoch: epoch, nextStep: progress.step };
        writeJsonAtomic(snapshotPath, snapshots);
        const dir = await saveCheckpoint(opts.outDir, model.net, optimizer, progress);
        log(`stopped at epoch ${epoch + 1}, step ${progress.step}; checkpoint ${dir} (continue with --resume)`);
        break;
      }
      const seconds = (Date.now() - epochStart) / 1000;
      const evalResult = await evaluateModel(model, dataset, 'val', {
        imageSize: config.imageSize,
        batchSize: config.batchSize,
        limit: config.evalLimit,
        locThreshold: config.locThreshold,
      });
      metrics = evalResult.metrics;
      const s = record(progress.step, epoch);
      if (s && probes) snapshots.coverage.push(coverageRow(s, probes, config.imageSize, config.coverageThreshold));
      const terms: Record<string, number> = {};
      for (const [k, v] of Object.entries(termSums)) terms[k] = v / Math.max(1, seen);
      const rec: EpochRecord = {
        epoch: epoch + 1,
        steps: progress.step,
        loss: lossSum / Math.max(1, seen),
        terms,
        trainAcc: seen > 0 && Number.isFinite(correct) ? (100 * correct) / seen : NaN,
        valTop1Cls: metrics.top1Cls,
        valGtKnownLoc: metrics.gtKnownLoc,
        valMaxBoxAccV2: metrics.maxBoxAccV2,
        imagesPerSec: images / Math.max(1e-3, seconds),
        seconds,
      };
      progress.history.push(rec);
      progress.epochsDone = epoch + 1;
      progress.rng = { seed: config.seed, nextEpoch: epoch + 1, nextStep: progress.step };
      writeJsonAtomic(path.join(opts.outDir, 'history.json'), progress.history);
      writeJsonAtomic(snapshotPath, snapshots);
      await saveCheckpoint(opts.outDir, model.net, optimizer, progress);
      opts.callbacks?.onEpoch?.(rec, metrics);
    }
  } finally {
    probes?.images.dispose();
    optimizer.dispose();
  }
  if (!stopped) {
    await model.net.save(fileSystemHandler(path.join(opts.outDir, 'model')));
    if (metrics) writeJsonAtomic(path.join(opts.outDir, 'metrics.json'), metrics);
  }
  return {
    model,
    history: progress.history,
    metrics,
    outDir: opts.outDir,
    stopped,
    trainSeconds: (Date.now() - started) / 1000,
  };
}

async function loadProbes(dataset: Dataset, config: TrainConfig): Promise<ProbeSet | null> {
  if (config.probes === 0 || dataset.items('val').length === 0) return null;
  for await (const batch of batches(dataset, 'val', {
    batchSize: config.probes,
    imageSize: config.imageSize,
    augment: false,
    shuffle: false,
    seed: 0,
    epoch: 0,
    limit: config.probes,
  })) {
    const set = probeSetFrom(batch, config.probes);
    batch.images.dispose();
    return set;
  }
  return null;
}
