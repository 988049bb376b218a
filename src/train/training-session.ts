/**
 * A training run driven one step or one epoch at a time: what `train()` loops over, and what a
 * notebook uses to watch (or change) training between steps.
 *
 *   const s = await TrainingSession.open({ method: 'ours', epochs: 2 }, { outDir: 'runs/a' });
 *   try {
 *     while (!s.done) {
 *       while (await s.step()) {}      // one optimisation step per call; null at the epoch's end
 *       await s.finishEpoch();         // validation, snapshot, history, checkpoint
 *     }
 *     await s.finish();                // final model + metrics.json
 *   } finally {
 *     s.close();
 *   }
 *
 * It never prints: progress goes to callbacks. Every step is seeded by (seed, epoch, step), so a run
 * stopped with `pause()` and resumed ends bit-identical to one that never stopped.
 */
import * as path from 'path';
import { writeJsonAtomic } from '../common/atomic-write';
import { batches, type Batch } from '../data/batches';
import type { Dataset } from '../data/dataset';
import { openDataset } from '../data/datasets';
import type { LocalizationMetrics } from '../localize/localization-evaluator';
import { resolveModelConfig } from '../method/model-config';
import type { ModelConfig } from '../method/registry';
import type { WsolModel } from '../method/wsol-model';
import { latestCheckpoint, saveCheckpoint, type TrainingProgress } from './checkpoint';
import { evaluationOptions, resolveTrainConfig, type DeepPartial, type TrainConfig } from './config';
import { checkFiniteWeights, checkLoss } from './divergence';
import { EpochTally } from './epoch-tally';
import { CONTINUE_HINT, TrainingInterruptedError, watchInterrupts, yieldToEventLoop, type InterruptWatch } from './interrupt';
import { evaluateModel } from '../evaluate/evaluate';
import { fileSystemHandler } from './fs-io-handler';
import { WsolOptimizer } from './optimizer';
import type { StepInfo } from './progress';
import { openRunFolder, RUN_FILES, writeRunConfig, type ResumeMode } from './run-folder';
import { learningRateAt } from './schedule';
import { SnapshotLog } from './snapshot-log';
import type { EpochRecord, Snapshot, SnapshotFile } from './snapshot-types';
import { startModel } from './start-model';
import { trainStep } from './train-step';

export interface TrainCallbacks {
  onStep?(info: StepInfo): void;
  onEpoch?(record: EpochRecord, metrics: LocalizationMetrics): void;
  onSnapshot?(snapshot: Snapshot): void;
  /** Free-form status lines (dataset loading, checkpoint saved, resumed from ...). */
  onLog?(line: string): void;
}

export interface SessionOptions {
  outDir: string;
  /**
   * true: continue from the latest checkpoint in `outDir` (an error when there is none);
   * 'if-present': continue when there is one, else start; false (default): start, refusing a run that has one.
   */
  resume?: ResumeMode;
  callbacks?: TrainCallbacks;
  /** A dataset already opened (notebooks reuse one across runs). */
  dataset?: Dataset;
  /** Skip missing or undecodable images (each reported through callbacks.onLog) instead of failing. */
  skipBad?: boolean;
  /** Let image ids of folder datasets name files outside the image root (`../x.jpg`). */
  allowOutsideRoot?: boolean;
  /**
   * Stop on SIGINT (Ctrl-C, a notebook's "interrupt kernel") and SIGTERM while the session is open:
   * the step in progress ends, a checkpoint is saved, and `step()` throws TrainingInterruptedError.
   * Default true.
   */
  stopOnSignals?: boolean;
}

/** The model configuration a training config builds, for a dataset of `numClasses` classes. */
export function modelConfigFor(config: TrainConfig, numClasses: number): ModelConfig {
  return { ...config.methodOptions, method: config.method, backbone: config.backbone, numClasses, inputSize: config.imageSize };
}

/**
 * Channel counts a model may have: far above any useful model of this project (the defaults are
 * 16 and 64, VGG16's head 1024), low enough that a typo fails with a message, not an allocation
 * error (tinyWidth 10^6 asks for 18 * 10^12 weights).
 */
export const MODEL_SIZE_LIMITS = { tinyWidth: 1024, headWidth: 8192 } as const;

/** Checks the model's size before any data is read (the class count is not known yet). */
function checkModelSize(config: TrainConfig): void {
  const resolved = resolveModelConfig(modelConfigFor(config, 2));
  for (const [option, max] of Object.entries(MODEL_SIZE_LIMITS)) {
    const v = resolved.backbone[option as keyof typeof MODEL_SIZE_LIMITS];
    if (v > max) throw new Error(`method option ${option}=${v} is too large: at most ${max} channels (--set ${option}=N)`);
  }
}

/** Where a folder dataset's split lives, for messages (null for built-in datasets). */
function splitFolderOf(spec: string, split: string): string | null {
  if (!spec.startsWith('folder:')) return null;
  const metadataDir = spec.slice('folder:'.length).split(',')[0];
  return path.join(metadataDir, split, 'image_ids.txt');
}

export class TrainingSession {
  private batchIter: AsyncGenerator<Batch> | null = null;
  private tally: EpochTally | null = null;
  private closed = false;
  private interrupts: InterruptWatch | null = null;
  /** Metrics of the latest validation (null before the first epoch ends). */
  metrics: LocalizationMetrics | null = null;
  readonly startedAt = Date.now();

  private constructor(
    /** The resolved config: every default filled in and checked (frozen). */
    readonly config: TrainConfig,
    readonly outDir: string,
    readonly dataset: Dataset,
    readonly model: WsolModel,
    private readonly optimizer: WsolOptimizer,
    /** Where training stands; saved in every checkpoint. */
    readonly progress: TrainingProgress,
    readonly stepsPerEpoch: number,
    private readonly snapshots: SnapshotLog,
    private readonly callbacks: TrainCallbacks,
    private readonly unlock: () => void,
  ) {}

  /**
   * Checks the config and the run folder (before reading any data), locks the folder, opens the
   * dataset, and builds the model: fresh and seeded, or restored from the latest checkpoint.
   */
  static async open(partial: DeepPartial<TrainConfig>, opts: SessionOptions): Promise<TrainingSession> {
    const config = resolveTrainConfig(partial); // the method and its options too, before any data is read
    checkModelSize(config);
    const callbacks = opts.callbacks ?? {};
    const log = (line: string) => callbacks.onLog?.(line);
    const optimizer = new WsolOptimizer(config.optimizer); // checks its config; holds no tensors before the first step
    const { checkpoint, unlock } = openRunFolder(opts.outDir, opts.resume ?? false, config, log);
    let model: WsolModel | null = null;
    const interrupts = opts.stopOnSignals === false ? null : watchInterrupts(log);
    try {
      const dataset =
        opts.dataset ??
        (await openDataset(config.dataset, {
          seed: config.seed,
          skipBad: opts.skipBad,
          allowOutsideRoot: opts.allowOutsideRoot,
          onWarning: (m) => log(`warning: ${m}`),
        }));
      const modelConfig = modelConfigFor(config, dataset.classNames.length);
      const trainCount = config.limit > 0 ? Math.min(config.limit, dataset.items('train').length) : dataset.items('train').length;
      // Both splits are checked here, not when the first epoch ends: training validates after every epoch.
      for (const [split, count] of [['train', trainCount], ['val', dataset.items('val').length]] as const) {
        if (count > 0) continue;
        const file = splitFolderOf(config.dataset, split);
        throw new Error(`dataset ${dataset.name} has no ${split} images${file ? ` (${file} is missing or empty)` : ''}; training needs a train and a val split`);
      }
      const stepsPerEpoch = Math.ceil(trainCount / config.batchSize);

      const start = await startModel(config, modelConfig, checkpoint, optimizer, stepsPerEpoch, log);
      model = start.model;
      if (!checkpoint) writeRunConfig(opts.outDir, { train: config, model: modelConfig, classNames: dataset.classNames });
      const snapshots = await SnapshotLog.open(path.join(opts.outDir, RUN_FILES.snapshots), dataset, config, checkpoint !== null);
      const session = new TrainingSession(config, opts.outDir, dataset, start.model, optimizer, start.progress, stepsPerEpoch, snapshots, callbacks, unlock);
      session.interrupts = interrupts;
      if (start.progress.step === 0) session.recordSnapshot(0, -1);
      return session;
    } catch (err) {
      model?.net.dispose();
      optimizer.dispose();
      interrupts?.release();
      unlock();
      throw err;
    }
  }

  get totalSteps(): number {
    return this.stepsPerEpoch * this.config.epochs;
  }

  /** The epoch in progress (0-based); equals config.epochs when all are done. */
  get epoch(): number {
    return this.progress.epochsDone;
  }

  get done(): boolean {
    return this.progress.epochsDone >= this.config.epochs;
  }

  get history(): EpochRecord[] {
    return this.progress.history;
  }

  /** The probes and the snapshots recorded so far (what snapshots.json holds after the next save). */
  get teachingRecord(): SnapshotFile {
    return this.snapshots.content;
  }

  private recordSnapshot(step: number, epoch: number): Snapshot | null {
    const s = this.snapshots.record(this.model, step, epoch);
    if (s) this.callbacks.onSnapshot?.(s);
    return s;
  }

  /** The next batch of the epoch in progress, skipping the steps a resumed epoch already did. */
  private async nextBatch(): Promise<Batch | null> {
    const epoch = this.epoch;
    if (!this.batchIter) {
      const c = this.config;
      this.batchIter = batches(this.dataset, 'train', {
        batchSize: c.batchSize,
        imageSize: c.imageSize,
        augment: true,
        shuffle: true,
        seed: c.seed,
        epoch,
        limit: c.limit,
      });
      // A mid-epoch checkpoint carries the sums of the steps done, so the epoch's record covers them all.
      this.tally = new EpochTally(this.progress.step - epoch * this.stepsPerEpoch, this.progress.partialEpoch);
    }
    const tally = this.tally!;
    for (;;) {
      const r = await this.batchIter.next();
      if (r.done) return null;
      if (!tally.skipping) return r.value;
      r.value.images.dispose();
      tally.passOver();
    }
  }

  /**
   * One optimisation step on the next batch of the epoch in progress. Returns null (and does
   * nothing) when the epoch has no batch left: then call `finishEpoch()`.
   */
  async step(): Promise<StepInfo | null> {
    this.checkOpen();
    if (this.done) return null;
    await this.stopIfSignalled();
    const batch = await this.nextBatch();
    if (!batch) return null;
    const c = this.config;
    const p = this.progress;
    const tally = this.tally!;
    const t0 = Date.now();
    const lr = learningRateAt(c.optimizer.learningRate, c.schedule, p.step, this.totalSteps, this.stepsPerEpoch);
    let r;
    try {
      r = trainStep(this.model, this.optimizer, batch.images, batch.labels, { step: p.step, seed: c.seed }, lr);
    } finally {
      batch.images.dispose();
    }
    const where = `epoch ${this.epoch + 1}, step ${p.step}`;
    checkLoss(r.loss, p.firstLoss ?? r.loss, where, r.terms, latestCheckpoint(this.outDir));
    p.firstLoss ??= r.loss;
    const n = batch.labels.length;
    p.step++;
    tally.add(r, n);
    const info: StepInfo = {
      epoch: this.epoch,
      epochs: c.epochs,
      stepInEpoch: tally.stepInEpoch,
      stepsPerEpoch: this.stepsPerEpoch,
      step: p.step,
      loss: r.loss,
      accuracy: Number.isFinite(r.correct) ? r.correct / n : NaN,
      imagesPerSec: (n * 1000) / Math.max(1, Date.now() - t0),
      learningRate: lr,
    };
    this.callbacks.onStep?.(info);
    if (c.snapshotEvery > 0 && p.step % c.snapshotEvery === 0) this.recordSnapshot(p.step, this.epoch);
    return info;
  }

  /**
   * Ends the epoch in progress (any steps it has left are run first): validation, an epoch-end
   * snapshot and coverage row, history.json, snapshots.json and a checkpoint.
   */
  async finishEpoch(): Promise<EpochRecord> {
    this.checkOpen();
    if (this.done) throw new Error(`all ${this.config.epochs} epochs are done`);
    while (await this.step());
    const c = this.config;
    const p = this.progress;
    const epoch = this.epoch;
    const tally = this.tally ?? new EpochTally(0);
    this.batchIter = null;
    this.tally = null;
    checkFiniteWeights(this.model.net, `the end of epoch ${epoch + 1} (step ${p.step})`, latestCheckpoint(this.outDir));
    const { metrics } = await evaluateModel(this.model, this.dataset, 'val', evaluationOptions(c));
    this.metrics = metrics;
    const s = this.recordSnapshot(p.step, epoch);
    if (s) this.snapshots.addCoverage(s);
    const rec = tally.record(epoch + 1, p.step, metrics);
    p.history.push(rec);
    delete p.partialEpoch;
    p.epochsDone = epoch + 1;
    p.rng = { seed: c.seed, nextEpoch: epoch + 1, nextStep: p.step };
    writeJsonAtomic(path.join(this.outDir, RUN_FILES.history), p.history);
    this.snapshots.save();
    await saveCheckpoint(this.outDir, this.model.net, this.optimizer, p);
    this.callbacks.onEpoch?.(rec, metrics);
    return rec;
  }

  /**
   * Steps through the epoch in progress and finishes it. When `shouldStop` (polled after every
   * step) turns true, checkpoints mid-epoch with `pause()` and returns null.
   */
  async runEpoch(shouldStop?: () => boolean): Promise<EpochRecord | null> {
    while (await this.step()) {
      if (shouldStop?.()) {
        await this.pause();
        return null;
      }
    }
    return this.finishEpoch();
  }

  /** Saves a checkpoint where training stands (mid-epoch too); continue later with `resume`. */
  async pause(): Promise<string> {
    this.checkOpen();
    const p = this.progress;
    if (this.tally) p.partialEpoch = this.tally.partial();
    await this.batchIter?.return(undefined);
    this.batchIter = null;
    this.tally = null;
    p.rng = { seed: this.config.seed, nextEpoch: this.epoch, nextStep: p.step };
    this.snapshots.save();
    checkFiniteWeights(this.model.net, `epoch ${this.epoch + 1}, step ${p.step}`, latestCheckpoint(this.outDir));
    const dir = await saveCheckpoint(this.outDir, this.model.net, this.optimizer, p);
    this.callbacks.onLog?.(`stopped at epoch ${this.epoch + 1}, step ${p.step}; checkpoint ${dir} (${CONTINUE_HINT})`);
    return dir;
  }

  /** Saves the final model (model/) and the last validation metrics (metrics.json). */
  async finish(): Promise<void> {
    this.checkOpen();
    checkFiniteWeights(this.model.net, 'the end of training', latestCheckpoint(this.outDir));
    await this.model.net.save(fileSystemHandler(path.join(this.outDir, RUN_FILES.model)));
    if (this.metrics) writeJsonAtomic(path.join(this.outDir, RUN_FILES.metrics), this.metrics);
  }

  /** Frees the optimizer state and probe images and unlocks the run folder; the model stays the caller's. */
  close(): void {
    if (this.closed) return;
    this.closed = true;
    void this.batchIter?.return(undefined);
    this.batchIter = null;
    this.snapshots.dispose();
    this.optimizer.dispose();
    this.interrupts?.release();
    this.unlock();
  }

  /**
   * Lets a signal handler run (an in-memory dataset never yields on its own), then, when SIGINT or
   * SIGTERM came, saves a checkpoint and throws TrainingInterruptedError.
   */
  private async stopIfSignalled(): Promise<void> {
    if (!this.interrupts) return;
    await yieldToEventLoop();
    const signal = this.interrupts.pending;
    if (!signal) return;
    this.interrupts.clear();
    const dir = await this.pause();
    throw new TrainingInterruptedError(signal, dir, this.epoch + 1, this.progress.step);
  }

  private checkOpen(): void {
    if (this.closed) throw new Error('this training session is closed');
  }
}
