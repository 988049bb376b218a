/** A file fetched from its official source, checked by MD5: datasets' archives and weight files. */
import * as path from 'path';
import { downloadFile } from './download';

export interface RemoteFile {
  url: string;
  /** File name under its folder. */
  file: string;
  md5: string;
  /** Approximate size, for messages. */
  approxBytes: number;
}

/** How `wsol data prepare` fetches: mirrors, expected sums for test archives, messages. */
export interface PrepareOptions {
  /** Root of downloaded data (`data` by default in the CLI). */
  dataRoot: string;
  /** Replace the official URL of a remote file (mirrors, tests): key -> URL. */
  urls?: Record<string, string>;
  /** Replace an expected MD5 (tests with fixture archives): key -> md5. */
  md5s?: Record<string, string>;
  /** Keep the downloaded archive after extraction. */
  keepArchive?: boolean;
  onLog?: (message: string) => void;
  onProgress?: (label: string, done: number, total: number | null) => void;
}

/**
 * Downloads `files[key]` into `dir` (resuming an interrupted download, skipping a present and verified
 * file), with the URL and MD5 that `opts` may replace; returns the file's path.
 */
export async function fetchRemote(files: Record<string, RemoteFile>, key: string, dir: string, opts: PrepareOptions): Promise<string> {
  const r = { ...files[key], url: opts.urls?.[key] ?? files[key].url, md5: opts.md5s?.[key] ?? files[key].md5 };
  const dest = path.join(dir, r.file);
  const res = await downloadFile({ url: r.url, dest, md5: r.md5, onProgress: (d, t) => opts.onProgress?.(r.file, d, t) });
  opts.onLog?.(
    res.alreadyPresent
      ? `${dest}: present, md5 ${res.md5} ok`
      : `${dest}: downloaded ${res.bytes} bytes${res.resumedFrom ? ` (resumed at ${res.resumedFrom})` : ''}, md5 ${res.md5} ok`,
  );
  return dest;
}
