import * as fs from 'fs';
import * as path from 'path';
import { makeDir } from './make-dir';

/**
 * Writes every byte of `data` to `fd`: `writeSync` may write fewer bytes than asked (a full disk,
 * a signal), so loop until all are written; a write that makes no progress is an error.
 */
export function writeAll(fd: number, data: Uint8Array, file: string): void {
  let done = 0;
  while (done < data.length) {
    const n = fs.writeSync(fd, data, done, data.length - done);
    if (!(n > 0)) throw new Error(`cannot write ${file}: no progress after ${done} of ${data.length} bytes (disk full?)`);
    done += n;
  }
}

/**
 * Writes a file so that a reader (or a crash) never sees it half-written:
 * write a temp file beside it, fsync, then rename over the target. On any failure the temp
 * file is removed and the target is left as it was.
 */
export function writeFileAtomic(file: string, data: string | Uint8Array): void {
  makeDir(path.dirname(file));
  const tmp = `${file}.tmp-${process.pid}-${Date.now()}`;
  const bytes = typeof data === 'string' ? Buffer.from(data) : data;
  try {
    const fd = fs.openSync(tmp, 'w');
    try {
      writeAll(fd, bytes, file);
      fs.fsyncSync(fd);
    } finally {
      fs.closeSync(fd);
    }
    fs.renameSync(tmp, file);
  } catch (err) {
    fs.rmSync(tmp, { force: true });
    // Node's own messages (ENOSPC, EACCES...) name no file, or only the temp file.
    const m = (err as Error).message;
    throw m.includes(file) && !m.includes(tmp) ? err : new Error(`cannot write ${file}: ${m.split(tmp).join(file)}`);
  }
}

export function writeJsonAtomic(file: string, value: unknown): void {
  writeFileAtomic(file, JSON.stringify(value, null, 2) + '\n');
}

/** Reads and parses a JSON file; errors name the file. */
export function readJson<T>(file: string): T {
  let text: string;
  try {
    text = fs.readFileSync(file, 'utf8');
  } catch (err) {
    throw new Error(`cannot read ${file}: ${(err as Error).message}`);
  }
  try {
    return JSON.parse(text) as T;
  } catch (err) {
    throw new Error(`${file} is not valid JSON: ${(err as Error).message}`);
  }
}
