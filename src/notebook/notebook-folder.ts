/**
 * A notebook's run folder, kept by the shared output-folder guard (common/output-folder.ts): its
 * manifest records the notebook run's settings (train config and data); the run itself lives in a
 * subfolder the guard records as the project's (`run-<digest>/`). A folder holding a student's files
 * or another command's output is refused; a notebook run with other settings is replaced (its
 * subfolder removed by name once the new run finishes), and files it did not write are kept.
 */
import * as fs from 'fs';
import * as path from 'path';
import { readJson, writeJsonAtomic } from '../common/atomic-write';
import { openOutputFolder, readOutputManifest, settingsDigest, type OutputFolder } from '../common/output-folder';
import type { TrainConfig } from '../train/config';
import { RUN_FILES } from '../train/run-folder';
import { LOCK_FILE } from '../train/run-lock';

export const NOTEBOOK_COMMAND = 'wsol notebook run';
/** Inside the run subfolder: the training time, for "trained in N s" on a reused run. */
export const STAMP_FILE = 'notebook-run.json';
/** Inside the run subfolder: the live trainer's per-step losses. */
export const STEP_LOG_FILE = 'live-steps.json';

export interface RunStamp {
  trainSeconds: number;
}

export const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));
/** The guard and the trainer refuse a folder another live process holds; notebooks wait instead. */
export const folderInUse = (err: unknown) => /is in use by/.test((err as Error).message);

export function runSettings(train: TrainConfig, dataKey: string): Record<string, unknown> {
  return { train, dataKey };
}

export interface NotebookFolder {
  /** The guard's handle: finish() when the run is complete, close() otherwise. */
  output: OutputFolder;
  /** Where the training writes (config.json, checkpoints/, model/ ...). */
  runDir: string;
  /** True when a finished run with these settings is there (and WSOL_RETRAIN is not set). */
  finished: boolean;
}

/**
 * Opens `folder` for a notebook run of these settings, waiting while another process holds it.
 * Refuses a folder that holds files no notebook run wrote (naming them); nothing is overwritten.
 */
export async function openNotebookFolder(folder: string, train: TrainConfig, dataKey: string, pollMs = 200): Promise<NotebookFolder> {
  const settings = runSettings(train, dataKey);
  const digest = settingsDigest(settings);
  for (;;) {
    let output: OutputFolder;
    try {
      removeLegacyRun(folder);
      const earlier = readOutputManifest(folder);
      const ours = earlier?.command === NOTEBOOK_COMMAND;
      output = openOutputFolder(folder, { command: NOTEBOOK_COMMAND, settings, overwrite: ours, optionName: 'folder' });
      const same = ours && earlier!.settingsDigest === digest;
      const runDir = output.claimTree(`run-${digest.slice(0, 12)}`);
      const finished = same && earlier!.complete && fs.existsSync(path.join(runDir, RUN_FILES.model, 'model.json'));
      if (process.env.WSOL_RETRAIN === '1' || (same && earlier!.complete && !finished)) {
        fs.rmSync(runDir, { recursive: true, force: true }); // recorded as the project's: may go whole
        fs.mkdirSync(runDir);
        return { output, runDir, finished: false };
      }
      return { output, runDir, finished };
    } catch (err) {
      if (!folderInUse(err)) throw err;
      await sleep(pollMs);
    }
  }
}

export function readStamp(runDir: string): RunStamp | null {
  const file = path.join(runDir, STAMP_FILE);
  return fs.existsSync(file) ? readJson<RunStamp>(file) : null;
}

export function writeStamp(runDir: string, stamp: RunStamp): void {
  writeJsonAtomic(path.join(runDir, STAMP_FILE), stamp);
}

/** What earlier versions wrote straight into a notebook folder, marked by a stamp at its top. */
const LEGACY_ENTRIES = new Set<string>([...Object.values(RUN_FILES), 'checkpoints', STAMP_FILE, STEP_LOG_FILE, LOCK_FILE]);

/**
 * A folder written by an earlier version (the run's files at its top, `notebook-run.json` beside
 * them, no manifest) is emptied of exactly those files, so the guard sees an empty folder. Any
 * other file stops it (and the guard then refuses the folder, naming them).
 */
function removeLegacyRun(folder: string): void {
  if (!fs.existsSync(path.join(folder, STAMP_FILE)) || readOutputManifest(folder)) return;
  const entries = fs.readdirSync(folder);
  if (!entries.every((e) => LEGACY_ENTRIES.has(e))) return;
  for (const e of entries) if (e !== STAMP_FILE) fs.rmSync(path.join(folder, e), { recursive: true, force: true });
  fs.rmSync(path.join(folder, STAMP_FILE), { force: true });
}
