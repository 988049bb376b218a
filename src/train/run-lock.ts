/**
 * One training per run folder at a time: `<run>/train.lock` holds the owner's pid and host.
 * A lock whose process is gone (killed, crashed) is stale and taken over with a note.
 */
import * as fs from 'fs';
import * as os from 'os';
import * as path from 'path';

export const LOCK_FILE = 'train.lock';

interface LockContent {
  pid: number;
  host: string;
  startedAt: string;
}

/** An unreadable lock younger than this may still be being written by its owner. */
const FRESH_MS = 10_000;

function alive(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return true;
  } catch (err) {
    return (err as NodeJS.ErrnoException).code === 'EPERM'; // exists, owned by someone else
  }
}

function readLock(file: string): LockContent | null {
  try {
    const c = JSON.parse(fs.readFileSync(file, 'utf8')) as LockContent;
    return Number.isInteger(c.pid) && typeof c.host === 'string' ? c : null;
  } catch {
    return null;
  }
}

/** Why an existing lock still holds, or null when it is stale. */
function holder(file: string): string | null {
  const c = readLock(file);
  if (!c) {
    let age = Infinity;
    try {
      age = Date.now() - fs.statSync(file).mtimeMs;
    } catch {
      return null; // removed meanwhile
    }
    return age < FRESH_MS ? 'a training that is starting' : null;
  }
  if (c.host !== os.hostname()) return `process ${c.pid} on host ${c.host} (since ${c.startedAt}); delete ${file} if that training is over`;
  return alive(c.pid) ? `training process ${c.pid} (since ${c.startedAt})` : null;
}

/**
 * Takes the lock of `runDir` (which must exist) and returns the function that releases it.
 * Throws, naming the holder, when another live training holds it.
 */
export function lockRunFolder(runDir: string, onLog?: (line: string) => void): () => void {
  const file = path.join(runDir, LOCK_FILE);
  const content: LockContent = { pid: process.pid, host: os.hostname(), startedAt: new Date().toISOString() };
  for (let attempt = 0; ; attempt++) {
    try {
      fs.writeFileSync(file, JSON.stringify(content) + '\n', { flag: 'wx' });
      break;
    } catch (err) {
      if ((err as NodeJS.ErrnoException).code !== 'EEXIST') throw new Error(`cannot write ${file}: ${(err as Error).message}`);
      const who = holder(file);
      if (who || attempt > 0) throw new Error(`${runDir} is in use by ${who ?? 'another training'} (lock file ${file})`);
      onLog?.(`removed the stale lock ${file} (its process is gone)`);
      fs.rmSync(file, { force: true });
    }
  }
  const onExit = () => release();
  process.once('exit', onExit);
  let released = false;
  function release(): void {
    if (released) return;
    released = true;
    process.off('exit', onExit);
    if (readLock(file)?.pid === process.pid) fs.rmSync(file, { force: true });
  }
  return release;
}
