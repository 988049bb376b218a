/**
 * Training you watch step by step in a notebook: `train(n)` runs n optimisation steps and redraws
 * one output in place after each (progress line, per-step loss curve, the probes' maps of branch A,
 * branch B, the fusion target and the full image with its IoU); calling it again continues. An
 * interrupted kernel stops it within a step, with a checkpoint, and the next call continues.
 *
 *   const live = await wsol.liveTraining(nb, 'cam');
 *   await live.train(50);             // 50 steps, drawn as they run; run the cell again for 50 more
 *   const cam = await live.result();  // the rest of the plan, then the finished run
 *
 * It drives TrainingSession, so it runs unchanged on every engine.
 */
import * as fs from 'fs';
import * as path from 'path';
import { readJson, writeJsonAtomic } from '../common/atomic-write';
import { resolveTrainConfig, type TrainConfig } from '../train/config';
import { formatProgress, type StepInfo } from '../train/progress';
import { learningRateAt } from '../train/schedule';
import type { SnapshotFile } from '../train/snapshot-types';
import type { TrainingSession } from '../train/trainer';
import type { BranchCoverageRow } from '../viz/branch-coverage';
import { liveTrainingHtml, probeMapRows, type LiveCell, type LossPoint } from '../viz/live-view';
import { decodeRgb, type RgbImage } from '../viz/probe-overlay';
import { notebookRecipe, recipeDataset, type RecipeName } from './recipes';
import { TrainingInterruptedError, yieldToEventLoop } from '../train/interrupt';
import { epochLine, finishNotebookRun, openNotebookRun, recipeFolder, shownPath, type NotebookRun, type RunData } from './run-or-reuse';
import type { OutputFolder } from '../common/output-folder';
import { readBranchCoverage, recordBranchCoverage } from './branch-coverage-run';
import { STEP_LOG_FILE } from './notebook-folder';
import type { NotebookSession } from './session';

/** One output redrawn in place. */
export interface LiveDisplay {
  update(html: string): void;
}

/** A new tslab output redrawn through update_display_data; outside a kernel, one that keeps nothing. */
export function kernelDisplay(): LiveDisplay {
  try {
    // eslint-disable-next-line @typescript-eslint/no-var-requires
    const d = (require('tslab') as { newDisplay(): { html(s: string): void } }).newDisplay();
    let ready = true;
    return {
      update: (html) => {
        if (!ready) return;
        try {
          d.html(html);
        } catch {
          ready = false; // not inside a kernel
        }
      },
    };
  } catch {
    return { update: () => undefined };
  }
}

export interface LiveReport {
  /** Steps done before and after the call. */
  from: number;
  to: number;
  interrupted: boolean;
  /** What the call could not do (the plan is done) or what happened (interrupted), in words. */
  note: string | null;
}

/** A report that a notebook cell prints as one short line (tslab prints a cell's last value). */
function report(r: LiveReport, totalSteps: number): LiveReport {
  const line = `steps ${r.from} -> ${r.to} of ${totalSteps}${r.interrupted ? ' (interrupted)' : ''}`;
  return Object.defineProperty(r, Symbol.for('nodejs.util.inspect.custom'), { value: () => line, enumerable: false });
}

/** What the learning rate does past the plan's end, and how many of the steps asked for did not run. */
export function pastPlanNote(config: TrainConfig, totalSteps: number, stepsPerEpoch: number, notRun: number): string {
  const lr = learningRateAt(config.optimizer.learningRate, config.schedule, totalSteps, totalSteps, stepsPerEpoch);
  const effect = lr === 0 ? ', so more steps would not change the weights' : '';
  return (
    `The plan's ${totalSteps} steps (${config.epochs} epochs) are done: ${notRun} of the steps asked for did not run. Past its end the ${config.schedule.name} schedule ` +
    `keeps the learning rate at its last value, ${lr.toPrecision(3)}${effect}. To train longer, open a run with more epochs ` +
    `(overrides: { epochs: ${config.epochs * 2} }); it trains from the start with the schedule stretched over the new plan.`
  );
}

export class LiveTraining {
  private queue: Promise<unknown> = Promise.resolve();
  private images: RgbImage[] | null = null;
  private mapRows: { step: number; rows: { label: string; cells: LiveCell[] }[] } | null = null;
  private lastInfo: StepInfo | null = null;
  private readonly epochLines: string[] = [];
  private closed = false;

  private constructor(
    /** The run's files (inside the folder the notebook named). */
    readonly outDir: string,
    readonly config: TrainConfig,
    private readonly data: RunData,
    private session: TrainingSession | null,
    private output: OutputFolder | null,
    private finished: NotebookRun | null,
    private readonly losses: LossPoint[],
    readonly totalSteps: number,
    readonly stepsPerEpoch: number,
    private readonly newDisplay: () => LiveDisplay,
  ) {
    for (const r of (finished?.history ?? session?.history ?? [])) this.epochLines.push(epochLine(r));
  }

  /**
   * Opens the run in `outDir`: the finished run with the same settings is loaded, one that stopped
   * part-way continues from its checkpoint, anything else starts afresh (see openNotebookRun).
   */
  static async open(folder: string, partial: Partial<TrainConfig>, data: RunData & { display?: () => LiveDisplay }): Promise<LiveTraining> {
    const config = resolveTrainConfig(partial);
    const opened = await openNotebookRun(folder, config, data);
    const runDir = opened.kind === 'reused' ? opened.run.outDir : opened.session.outDir;
    const logFile = path.join(runDir, STEP_LOG_FILE);
    const saved = fs.existsSync(logFile) ? readJson<LossPoint[]>(logFile) : [];
    const display = data.display ?? kernelDisplay;
    if (opened.kind === 'reused') {
      const { history } = opened.run;
      const total = history.at(-1)?.steps ?? 0;
      // A run trained without the live view kept no per-step losses: draw its per-epoch means instead.
      const losses = saved.length > 0 ? saved : history.map((r) => ({ step: r.steps, loss: r.loss }));
      return new LiveTraining(runDir, config, data, null, null, opened.run, losses, total, history.length ? Math.round(total / config.epochs) : 0, display);
    }
    const s = opened.session;
    return new LiveTraining(runDir, config, data, s, opened.output, null, saved.filter((p) => p.step <= s.progress.step), s.totalSteps, s.stepsPerEpoch, display);
  }

  /** The dataset the run trains on. */
  get dataset(): RunData['dataset'] {
    return this.data.dataset;
  }

  /** The branches' validation coverage per epoch (empty for single-branch methods). */
  get branchCoverage(): BranchCoverageRow[] {
    return readBranchCoverage(this.outDir);
  }

  /** Steps done so far. */
  get step(): number {
    return this.session?.progress.step ?? this.totalSteps;
  }

  /** True once every planned step ran and the final model is saved. */
  get done(): boolean {
    return this.finished !== null;
  }

  /** Runs calls one after another (a cell run while the previous one still stops waits for it). */
  private serial<T>(work: () => Promise<T>): Promise<T> {
    const next = this.queue.then(work, work);
    this.queue = next.catch(() => undefined);
    return next;
  }

  /**
   * Trains `steps` more steps (default: the rest of the plan), redrawing one output after each;
   * an epoch's last step is followed by its validation. Past the plan it runs nothing and says why.
   */
  train(steps?: number): Promise<LiveReport> {
    if (steps !== undefined && !(Number.isInteger(steps) && steps >= 0)) throw new Error(`train(steps): steps must be a whole number >= 0, got ${steps}`);
    return this.serial(() => this.trainNow(steps));
  }

  private async trainNow(steps: number | undefined): Promise<LiveReport> {
    if (this.closed) throw new Error(`this live training of ${this.outDir} was closed (a newer one replaced it); use the newer one`);
    const display = this.newDisplay();
    const from = this.step;
    const s = this.session;
    if (!s) {
      const note = this.finished?.reused && steps === undefined
        ? `This run finished earlier with the same settings and was loaded from ${shownPath(this.outDir)} (WSOL_RETRAIN=1 trains again).`
        : pastPlanNote(this.config, this.totalSteps, this.stepsPerEpoch, steps ?? 0);
      await this.draw(display, note);
      return report({ from, to: from, interrupted: false, note }, this.totalSteps);
    }
    const target = steps === undefined ? this.totalSteps : Math.min(this.totalSteps, from + steps);
    let interrupted = false;
    const onInterrupt = () => {
      interrupted = true;
    };
    process.on('SIGINT', onInterrupt);
    let note: string | null = null;
    try {
      await this.draw(display);
      while (s.progress.step < target) {
        await yieldToEventLoop(); // lets a kernel interrupt (SIGINT) be handled between steps
        if (interrupted) break;
        let info;
        try {
          info = await s.step();
        } catch (err) {
          // The session watches the same signal: it has saved a checkpoint and stopped this step.
          if (!(err instanceof TrainingInterruptedError)) throw err;
          interrupted = true;
          break;
        }
        if (!info) {
          if (s.done) break;
          this.epochLines.push(epochLine(await s.finishEpoch())); // the epoch ran out of batches
          await recordBranchCoverage(s);
          continue;
        }
        this.lastInfo = info;
        this.losses.push({ step: info.step, loss: info.loss });
        if (info.stepInEpoch === info.stepsPerEpoch) {
          this.epochLines.push(epochLine(await s.finishEpoch()));
          await recordBranchCoverage(s);
          this.saveLosses();
        }
        await this.draw(display);
      }
      await yieldToEventLoop();
      if (interrupted) {
        await s.pause();
        this.saveLosses();
        note = `Interrupted at step ${s.progress.step}: a checkpoint is saved; run a training cell again to continue from here.`;
      } else if (s.done) {
        this.finished = await finishNotebookRun(s, this.output!);
        this.session = null;
        this.output = null;
        this.saveLosses();
        note = `Finished: ${this.totalSteps} steps; the model is saved in ${shownPath(this.outDir)}.`;
        if (steps !== undefined && from + steps > this.totalSteps) note += ' ' + pastPlanNote(this.config, this.totalSteps, this.stepsPerEpoch, from + steps - this.totalSteps);
      }
    } finally {
      process.off('SIGINT', onInterrupt);
    }
    await this.draw(display, note);
    return report({ from, to: this.step, interrupted, note }, this.totalSteps);
  }

  /** Trains the rest of the plan (drawn live) and returns the finished run. */
  async result(): Promise<NotebookRun> {
    if (!this.finished) {
      const r = await this.train();
      if (r.interrupted) throw new Error(`training was interrupted at step ${r.to}; run this cell again to continue`);
    }
    return this.finished!;
  }

  /** Saves a checkpoint of an unfinished run and frees it (its model too); a finished run's model stays the caller's. */
  async close(): Promise<void> {
    await this.serial(async () => {
      if (this.closed) return;
      this.closed = true;
      const s = this.session;
      if (!s) return;
      this.session = null;
      try {
        if (s.progress.step > 0) await s.pause();
        this.saveLosses();
      } finally {
        s.close();
        this.output?.close();
        this.output = null;
        s.model.net.dispose();
      }
    });
  }

  private saveLosses(): void {
    writeJsonAtomic(path.join(this.outDir, STEP_LOG_FILE), this.losses);
  }

  private record(): SnapshotFile | null {
    return this.session?.teachingRecord ?? this.finished?.snapshots ?? null;
  }

  private async probeRows(): Promise<{ step: number; rows: { label: string; cells: LiveCell[] }[] } | null> {
    const file = this.record();
    const last = file?.snapshots.at(-1);
    if (!file || !last) return null;
    if (this.mapRows?.step === last.step) return this.mapRows;
    this.images ??= await Promise.all(file.probes.map((p) => decodeRgb(p.pngDataUrl)));
    this.mapRows = { step: last.step, rows: await probeMapRows(file, last, this.config.locThreshold, this.images) };
    return this.mapRows;
  }

  private async draw(display: LiveDisplay, note: string | null = null): Promise<void> {
    const step = this.step;
    const head = this.lastInfo && this.session
      ? formatProgress(this.lastInfo)
      : `step ${step}/${this.totalSteps}${this.finished ? ' (finished)' : ''}`;
    const rows = await this.probeRows();
    const numClasses = this.data.dataset.classNames.length;
    display.update(
      liveTrainingHtml({
        step,
        totalSteps: this.totalSteps,
        progress: [head, ...this.epochLines].join('\n'),
        losses: this.losses,
        reference: { value: Math.log(numClasses), label: `ln ${numClasses}: one classifier at chance` },
        probes: rows?.rows ?? [],
        mapsAt: rows ? `step ${rows.step}` : undefined,
        note: note ?? undefined,
      }),
    );
  }
}

/** Live trainings open in this kernel, by folder: re-running the cell that opens one continues it. */
const openTrainings = new Map<string, LiveTraining>();

/**
 * The live training of a notebook recipe (same folders as recipeRun). Re-running the cell that
 * calls it returns the training already open with the same settings; other settings replace it.
 */
export async function liveTraining(
  session: NotebookSession,
  name: RecipeName,
  options: { overrides?: Partial<TrainConfig>; folder?: string; display?: () => LiveDisplay } = {},
): Promise<LiveTraining> {
  const recipe = notebookRecipe(name, session.mode);
  const { dataset, dataKey } = recipeDataset(recipe);
  const folder = recipeFolder(session, name, options.folder);
  const config = resolveTrainConfig({ ...recipe.train, ...(options.overrides ?? {}) });
  const key = path.resolve(folder);
  const open = openTrainings.get(key);
  if (open && JSON.stringify(open.config) === JSON.stringify(config)) {
    console.log(`continuing the training already open in this kernel (step ${open.step} of ${open.totalSteps})`);
    return open;
  }
  if (open) await open.close();
  const live = await LiveTraining.open(folder, config, { dataset, dataKey, display: options.display });
  openTrainings.set(key, live);
  console.log(
    live.done
      ? `loaded the finished run in ${shownPath(folder)} (same settings; WSOL_RETRAIN=1 trains again)`
      : `${live.step > 0 ? `continuing from step ${live.step}` : 'ready to train'}: ${live.totalSteps} steps planned (${config.epochs} epochs of ${live.stepsPerEpoch}); run folder ${shownPath(folder)}`,
  );
  return live;
}
