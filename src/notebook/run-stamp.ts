/**
 * A notebook's run folder: the stamp that marks it as the notebook's own (settings, data, whether
 * the run finished), waiting for another kernel that trains into it, and emptying it for new
 * settings, which deletes only what a notebook run wrote there and refuses any other file.
 */
import * as fs from 'fs';
import * as path from 'path';
import { readJson, writeJsonAtomic } from '../common/atomic-write';
import type { TrainConfig } from '../train/config';
import { RUN_FILES } from '../train/run-folder';
import { LOCK_FILE, lockRunFolder } from '../train/run-lock';
import { makeDir } from '../common/make-dir';

export interface RunStamp {
  train: TrainConfig;
  /** What the config does not say about the data (e.g. the generated dataset's sizes). */
  dataKey: string;
  /** False while the run is in progress (or was stopped); absent in stamps of older versions, which were written at the end. */
  finished?: boolean;
  trainSeconds: number;
}

export const STAMP_FILE = 'notebook-run.json';
/** The live trainer's per-step losses. */
export const STEP_LOG_FILE = 'live-steps.json';
const CHECKPOINTS = 'checkpoints';

/** Everything a notebook run writes into its folder: the only entries ever removed. */
const RUN_ENTRIES = new Set<string>([...Object.values(RUN_FILES), CHECKPOINTS, STAMP_FILE, STEP_LOG_FILE, LOCK_FILE]);

export function readStamp(outDir: string): RunStamp | null {
  const file = path.join(outDir, STAMP_FILE);
  return fs.existsSync(file) ? readJson<RunStamp>(file) : null;
}

export function writeStamp(outDir: string, stamp: RunStamp): void {
  writeJsonAtomic(path.join(outDir, STAMP_FILE), stamp);
}

/** True when the stamp records these settings and data. */
export function sameRun(stamp: RunStamp | null, train: TrainConfig, dataKey: string): stamp is RunStamp {
  return stamp !== null && JSON.stringify(stamp.train) === JSON.stringify(train) && stamp.dataKey === dataKey;
}

/** A finished run with these settings whose model is on disk (and WSOL_RETRAIN is not set). */
export function reusableRun(outDir: string, train: TrainConfig, dataKey: string): RunStamp | null {
  if (process.env.WSOL_RETRAIN === '1') return null;
  const stamp = readStamp(outDir);
  const finished = sameRun(stamp, train, dataKey) && stamp.finished !== false && fs.existsSync(path.join(outDir, RUN_FILES.model, 'model.json'));
  return finished ? stamp : null;
}

/**
 * Makes `outDir` ready for a new run: creates it when missing; when it holds files, they must all
 * be a notebook run's own (the folder has the stamp), and those are removed. Any other file, or a
 * folder without the stamp (a student's results, a run made with `wsol train`), is refused.
 */
export function clearForNewRun(outDir: string): void {
  makeDir(outDir);
  const entries = fs.readdirSync(outDir).filter((e) => e !== LOCK_FILE);
  if (entries.length === 0) return;
  const shown = (list: string[]) => list.slice(0, 4).join(', ') + (list.length > 4 ? `, ... (${list.length} in all)` : '');
  if (!entries.includes(STAMP_FILE)) {
    throw new Error(`${outDir} is not empty (${shown(entries)}) and no notebook run made it; pass another folder (it is never overwritten), or empty it yourself`);
  }
  const foreign = entries.filter((e) => !RUN_ENTRIES.has(e));
  if (foreign.length > 0) {
    throw new Error(`${outDir} holds files a notebook run did not write (${shown(foreign)}); move them away or pass another folder: nothing in it was changed`);
  }
  for (const e of entries) if (e !== STAMP_FILE) fs.rmSync(path.join(outDir, e), { recursive: true, force: true });
  fs.rmSync(path.join(outDir, STAMP_FILE), { force: true }); // last: a failure above leaves the folder still marked as ours
}

export const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));
/** The trainer's lock refuses a folder another live process trains into; notebooks wait instead. */
export const folderInUse = (err: unknown) => /is in use by/.test((err as Error).message);

/** Takes the run folder's lock (the trainer's own lock file), waiting while another process holds it. */
export async function lockWhenFree(outDir: string, pollMs = 200): Promise<() => void> {
  makeDir(outDir);
  for (;;) {
    try {
      return lockRunFolder(outDir);
    } catch (err) {
      if (!folderInUse(err)) throw err;
      await sleep(pollMs);
    }
  }
}
