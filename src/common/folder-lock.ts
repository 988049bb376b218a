/**
 * One process per folder at a time: `<dir>/<lock file>` holds the owner's pid and host.
 * A lock whose process is gone (killed, crashed) is stale and taken over with a note.
 */
import * as fs from 'fs';
import * as os from 'os';
import * as path from 'path';

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
function holder(file: string, what: string): string | null {
  const c = readLock(file);
  if (!c) {
    let age = Infinity;
    try {
      age = Date.now() - fs.statSync(file).mtimeMs;
    } catch {
      return null; // removed meanwhile
    }
    return age < FRESH_MS ? `a ${what} that is starting` : null;
  }
  if (c.host !== os.hostname()) return `process ${c.pid} on host ${c.host} (since ${c.startedAt}); delete ${file} if that ${what} is over`;
  return alive(c.pid) ? `${what} process ${c.pid} (since ${c.startedAt})` : null;
}

/**
 * Takes the lock `lockFile` of `dir` (which must exist) and returns the function that releases it.
 * Throws, naming the holder, when another live process holds it. `what` names the holder's work
 * in messages ("training", "wsol eval").
 */
export function lockFolder(dir: string, lockFile: string, what: string, onLog?: (line: string) => void): () => void {
  const file = path.join(dir, lockFile);
  const content: LockContent = { pid: process.pid, host: os.hostname(), startedAt: new Date().toISOString() };
  for (let attempt = 0; ; attempt++) {
    try {
      fs.writeFileSync(file, JSON.stringify(content) + '\n', { flag: 'wx' });
      break;
    } catch (err) {
      if ((err as NodeJS.ErrnoException).code !== 'EEXIST') throw new Error(`cannot write ${file}: ${(err as Error).message}`);
      const who = holder(file, what);
      if (who || attempt > 0) throw new Error(`${dir} is in use by ${who ?? `another ${what}`} (lock file ${file})`);
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
