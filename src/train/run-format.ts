/**
 * Which layout a run folder is in, so that a later version can say why it will not read one. Format 1
 * is config.json `{ train, model, classNames }` beside model/ (tfjs layers format) and checkpoints/;
 * runs saved before the number was written are format 1 too.
 */
import * as fs from 'fs';
import * as path from 'path';

export const RUN_FORMAT = 1;

/** This package's version (the package.json two folders up, from src/train or dist/train). */
export function packageVersion(): string {
  try {
    return (JSON.parse(fs.readFileSync(path.resolve(__dirname, '../../package.json'), 'utf8')) as { version?: string }).version ?? 'unknown';
  } catch {
    return 'unknown';
  }
}

/** The fields config.json records about the version that wrote it. */
export function runFormatFields(): { format: number; writtenBy: string } {
  return { format: RUN_FORMAT, writtenBy: `where-to-look ${packageVersion()}` };
}

/** Refuses a config.json of another run format, naming the version that wrote it and this one. */
export function checkRunFormat(file: string, config: unknown): void {
  const c = (typeof config === 'object' && config !== null ? config : {}) as { format?: unknown; writtenBy?: unknown };
  if (c.format === undefined || c.format === RUN_FORMAT) return;
  const by = typeof c.writtenBy === 'string' ? c.writtenBy : 'another version of where-to-look';
  throw new Error(
    `${file} was written by ${by} (run format ${String(c.format)}); where-to-look ${packageVersion()} reads run format ${RUN_FORMAT}: open the run with the version that wrote it`,
  );
}
