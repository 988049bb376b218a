import * as fs from 'fs';
import * as path from 'path';

/**
 * Creates `dir` and its missing parents, one level at a time. Node's `mkdirSync(dir, { recursive: true })`
 * never returns for a path under a pseudo filesystem such as `/proc`; this fails at once instead,
 * with an error that names the folder.
 */
export function makeDir(dir: string): void {
  const full = path.resolve(dir);
  let st: fs.Stats | undefined;
  try {
    st = fs.statSync(full);
  } catch (err) {
    if ((err as NodeJS.ErrnoException).code !== 'ENOENT') throw new Error(`cannot use folder ${dir}: ${(err as Error).message}`);
  }
  if (st) {
    if (!st.isDirectory()) throw new Error(`${dir} exists and is not a folder`);
    return;
  }
  const parent = path.dirname(full);
  if (parent !== full) makeDir(parent);
  try {
    fs.mkdirSync(full);
  } catch (err) {
    if ((err as NodeJS.ErrnoException).code === 'EEXIST' && fs.statSync(full).isDirectory()) return; // made meanwhile
    throw new Error(`cannot create folder ${dir}: ${(err as Error).message}`);
  }
}
