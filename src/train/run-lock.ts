/** One training per run folder at a time: `<run>/train.lock` (see common/folder-lock). */
import { lockFolder } from '../common/folder-lock';

export const LOCK_FILE = 'train.lock';

/** Takes the lock of `runDir` (which must exist); throws, naming the holder, when another live training holds it. */
export function lockRunFolder(runDir: string, onLog?: (line: string) => void): () => void {
  return lockFolder(runDir, LOCK_FILE, 'training', onLog);
}
