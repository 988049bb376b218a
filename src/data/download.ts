/**
 * Resumable HTTP(S) download: bytes go to `<dest>.part`; a later call asks for the rest with an
 * HTTP Range request; the finished file is checked (size, MD5) before it is renamed into place,
 * so `dest` only ever holds a complete, verified file.
 */
import * as crypto from 'crypto';
import * as fs from 'fs';
import * as http from 'http';
import * as https from 'https';
import * as path from 'path';

export interface DownloadOptions {
  url: string;
  dest: string;
  /** Expected MD5 (hex) of the whole file; checked when given. */
  md5?: string;
  /** Expected size in bytes; checked when given. */
  bytes?: number;
  onProgress?: (received: number, total: number | null) => void;
  /** Abort when no data arrives for this long. */
  idleTimeoutMs?: number;
}

export interface DownloadResult {
  path: string;
  bytes: number;
  md5: string;
  /** Bytes that were already on disk from an earlier, interrupted run. */
  resumedFrom: number;
  /** True when `dest` was already present and verified. */
  alreadyPresent: boolean;
}

/** MD5 of a file, streamed. */
export async function md5File(file: string): Promise<string> {
  const hash = crypto.createHash('md5');
  for await (const chunk of fs.createReadStream(file)) hash.update(chunk as Buffer);
  return hash.digest('hex');
}

function request(url: string, headers: Record<string, string>, idleTimeoutMs: number, redirects = 0): Promise<http.IncomingMessage> {
  return new Promise((resolve, reject) => {
    const lib = url.startsWith('https:') ? https : url.startsWith('http:') ? http : null;
    if (!lib) return reject(new Error(`unsupported URL (http or https only): ${url}`));
    const req = lib.get(url, { headers: { 'user-agent': 'where-to-look-data/1', ...headers } }, (res) => {
      const status = res.statusCode ?? 0;
      if ([301, 302, 303, 307, 308].includes(status) && res.headers.location) {
        res.resume();
        if (redirects >= 8) return reject(new Error(`too many redirects fetching ${url}`));
        resolve(request(new URL(res.headers.location, url).toString(), headers, idleTimeoutMs, redirects + 1));
        return;
      }
      resolve(res);
    });
    req.setTimeout(idleTimeoutMs, () => req.destroy(new Error(`no response from ${url} for ${idleTimeoutMs / 1000} s`)));
    req.on('error', (err) => reject(new Error(`cannot fetch ${url}: ${err.message}`)));
  });
}

async function verify(file: string, opts: DownloadOptions): Promise<{ md5: string; bytes: number }> {
  const bytes = fs.statSync(file).size;
  if (opts.bytes !== undefined && bytes !== opts.bytes) return { md5: '', bytes };
  return { md5: await md5File(file), bytes };
}

export async function downloadFile(opts: DownloadOptions): Promise<DownloadResult> {
  const expectMd5 = opts.md5?.toLowerCase();
  if (fs.existsSync(opts.dest)) {
    const { md5, bytes } = await verify(opts.dest, opts);
    if ((opts.bytes === undefined || bytes === opts.bytes) && (!expectMd5 || md5 === expectMd5)) {
      return { path: opts.dest, bytes, md5, resumedFrom: 0, alreadyPresent: true };
    }
    throw new Error(`${opts.dest} exists but does not match (${bytes} bytes, md5 ${md5 || 'not computed'}; expected ${opts.bytes ?? '?'} bytes, md5 ${expectMd5 ?? '?'}): delete it and run again`);
  }
  fs.mkdirSync(path.dirname(opts.dest), { recursive: true });
  const part = `${opts.dest}.part`;
  const have = fs.existsSync(part) ? fs.statSync(part).size : 0;
  const complete = opts.bytes !== undefined && have === opts.bytes;
  let resumedFrom = 0;
  if (!complete) {
    const res = await request(opts.url, have > 0 ? { range: `bytes=${have}-` } : {}, opts.idleTimeoutMs ?? 60_000);
    const status = res.statusCode ?? 0;
    let append = false;
    let total: number | null = null;
    if (status === 206 && have > 0) {
      const m = /bytes (\d+)-(\d+)\/(\d+|\*)/.exec(String(res.headers['content-range'] ?? ''));
      if (!m || Number(m[1]) !== have) {
        res.resume();
        throw new Error(`${opts.url}: server resumed at the wrong offset (Content-Range "${res.headers['content-range']}", have ${have} bytes)`);
      }
      append = true;
      resumedFrom = have;
      total = m[3] === '*' ? null : Number(m[3]);
    } else if (status === 416 && have > 0) {
      res.resume(); // nothing left to fetch: the part file is already whole (verified below)
    } else if (status === 200) {
      total = res.headers['content-length'] ? Number(res.headers['content-length']) : null;
    } else {
      res.resume();
      throw new Error(`${opts.url}: HTTP ${status}${res.statusMessage ? ` ${res.statusMessage}` : ''}`);
    }
    if (status !== 416) {
      total = total ?? opts.bytes ?? null;
      let received = append ? have : 0;
      const out = fs.createWriteStream(part, { flags: append ? 'a' : 'w' });
      try {
        await new Promise<void>((resolve, reject) => {
          res.on('data', (chunk: Buffer) => {
            received += chunk.length;
            opts.onProgress?.(received, total);
          });
          res.on('error', reject);
          res.on('aborted', () => reject(new Error('connection closed early')));
          out.on('error', reject);
          out.on('finish', resolve);
          res.pipe(out);
        });
      } catch (err) {
        // Flush what arrived, so the next run resumes after it.
        res.unpipe(out);
        await new Promise<void>((resolve) => {
          out.once('close', resolve);
          out.end();
        });
        throw new Error(`download of ${opts.url} interrupted after ${received} bytes (kept in ${part}; run again to resume): ${(err as Error).message}`);
      }
      if (total !== null && received < total) {
        throw new Error(`download of ${opts.url} stopped at ${received} of ${total} bytes (kept in ${part}; run again to resume)`);
      }
    }
  }
  const { md5, bytes } = await verify(part, opts);
  if (opts.bytes !== undefined && bytes !== opts.bytes) {
    if (bytes < opts.bytes) throw new Error(`${part} has ${bytes} of ${opts.bytes} bytes: run again to resume`);
    fs.unlinkSync(part);
    throw new Error(`${opts.url}: got ${bytes} bytes, expected ${opts.bytes}; the file was removed`);
  }
  if (expectMd5 && md5 !== expectMd5) {
    fs.unlinkSync(part);
    throw new Error(`checksum mismatch for ${opts.url}: md5 ${md5}, expected ${expectMd5}; the download was removed, run again`);
  }
  fs.renameSync(part, opts.dest);
  return { path: opts.dest, bytes, md5, resumedFrom, alreadyPresent: false };
}
