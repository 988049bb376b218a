/**
 * Safe extraction of a .tar.gz (or plain .tar) archive, streamed through zlib's gunzip.
 * A small ustar/pax/GNU reader: regular files and folders are written (each file via a temp name
 * and a rename); absolute paths and `..` components are rejected before anything is written for
 * them; links and device entries are skipped with a warning (they could point outside the target).
 */
import * as fs from 'fs';
import * as path from 'path';
import * as zlib from 'zlib';

export interface ExtractOptions {
  /** Called with compressed bytes read so far and the archive size. */
  onProgress?: (readBytes: number, totalBytes: number, entries: number) => void;
  onWarning?: (message: string) => void;
  /** Keep only entries for which this returns true (archive-relative POSIX paths). */
  filter?: (name: string) => boolean;
}

export interface ExtractResult {
  files: number;
  directories: number;
  skipped: number;
  bytes: number;
}

const BLOCK = 512;

function text(buf: Buffer, start: number, len: number): string {
  const slice = buf.subarray(start, start + len);
  const nul = slice.indexOf(0);
  return slice.subarray(0, nul >= 0 ? nul : slice.length).toString('utf8');
}

function octal(buf: Buffer, start: number, len: number, archive: string, offset: number): number {
  if (buf[start] & 0x80) {
    // GNU base-256 for sizes >= 8 GiB.
    let v = 0;
    for (let i = 1; i < len; i++) v = v * 256 + buf[start + i];
    return v;
  }
  const s = text(buf, start, len).trim();
  if (s === '') return 0;
  if (!/^[0-7]+$/.test(s)) throw new Error(`${archive}: corrupt tar header at byte ${offset} (bad number "${s}")`);
  return parseInt(s, 8);
}

/** The archive path as a safe relative path, or an error naming it. */
export function safeEntryPath(name: string, archive: string): string {
  const clean = name.replace(/\\/g, '/');
  if (clean.includes('\0')) throw new Error(`${archive}: unsafe entry name ${JSON.stringify(name)}`);
  if (clean.startsWith('/') || /^[a-zA-Z]:/.test(clean)) throw new Error(`${archive}: refusing absolute path "${name}"`);
  const parts = clean.split('/').filter((p) => p !== '' && p !== '.');
  if (parts.includes('..')) throw new Error(`${archive}: refusing path with ".." "${name}"`);
  return parts.join('/');
}

function parsePax(data: Buffer): Record<string, string> {
  const out: Record<string, string> = {};
  let i = 0;
  while (i < data.length) {
    const space = data.indexOf(0x20, i);
    if (space < 0) break;
    const len = Number(data.subarray(i, space).toString('ascii'));
    if (!(len > 0)) break;
    const record = data.subarray(space + 1, i + len - 1).toString('utf8');
    const eq = record.indexOf('=');
    if (eq > 0) out[record.slice(0, eq)] = record.slice(eq + 1);
    i += len;
  }
  return out;
}

export async function extractTar(archive: string, destDir: string, opts: ExtractOptions = {}): Promise<ExtractResult> {
  if (!fs.existsSync(archive)) throw new Error(`archive not found: ${archive}`);
  const total = fs.statSync(archive).size;
  const root = path.resolve(destDir);
  fs.mkdirSync(root, { recursive: true });
  const warn = opts.onWarning ?? ((m: string) => process.emitWarning(m, 'WsolDataWarning'));
  const result: ExtractResult = { files: 0, directories: 0, skipped: 0, bytes: 0 };

  const input = fs.createReadStream(archive);
  let readBytes = 0;
  input.on('data', (c) => {
    readBytes += c.length;
    opts.onProgress?.(readBytes, total, result.files);
  });
  const gz = archive.endsWith('.gz') || archive.endsWith('.tgz');
  const stream = gz ? input.pipe(zlib.createGunzip()) : input;
  input.on('error', (err) => stream.destroy(err));

  let pending = Buffer.alloc(0);
  let offset = 0; // position in the uncompressed tar, for error messages
  let zeroBlocks = 0;
  let ended = false;
  // The current entry's payload: where it goes and how much is left.
  let entry: { kind: 'file' | 'meta' | 'skip'; remaining: number; pad: number; fd?: number; tmp?: string; final?: string; meta?: Buffer[]; metaType?: string } | null = null;
  let nextName: string | null = null; // from a pax 'path' record or a GNU long name

  const startEntry = (header: Buffer) => {
    let sum = 0;
    for (let i = 0; i < BLOCK; i++) sum += i >= 148 && i < 156 ? 0x20 : header[i];
    const stored = octal(header, 148, 8, archive, offset);
    if (stored !== sum) throw new Error(`${archive}: corrupt tar header at byte ${offset} (checksum ${stored}, computed ${sum})`);
    const size = octal(header, 124, 12, archive, offset);
    const type = String.fromCharCode(header[156] || 0x30);
    const prefix = header.subarray(257, 262).toString('ascii') === 'ustar' ? text(header, 345, 155) : '';
    const rawName = nextName ?? (prefix ? `${prefix}/${text(header, 0, 100)}` : text(header, 0, 100));
    const pad = (BLOCK - (size % BLOCK)) % BLOCK;
    if (type === 'x' || type === 'L' || type === 'g') {
      entry = { kind: 'meta', remaining: size, pad, meta: [], metaType: type };
      return;
    }
    nextName = null;
    const rel = safeEntryPath(rawName, archive);
    const keep = rel !== '' && (!opts.filter || opts.filter(rel));
    const target = path.join(root, rel);
    if (keep && !(target === root || target.startsWith(root + path.sep))) throw new Error(`${archive}: entry "${rawName}" escapes ${root}`);
    if (type === '5') {
      if (keep) {
        fs.mkdirSync(target, { recursive: true });
        result.directories++;
      }
      entry = { kind: 'skip', remaining: size, pad };
    } else if (type === '0' || type === '7') {
      if (keep) {
        fs.mkdirSync(path.dirname(target), { recursive: true });
        const tmp = `${target}.extract-${process.pid}`;
        entry = { kind: 'file', remaining: size, pad, fd: fs.openSync(tmp, 'w'), tmp, final: target };
      } else entry = { kind: 'skip', remaining: size, pad };
    } else {
      if (keep) {
        warn(`${archive}: skipping "${rawName}" (tar entry type "${type}": links and devices are not extracted)`);
        result.skipped++;
      }
      entry = { kind: 'skip', remaining: size, pad };
    }
  };

  const finishEntry = () => {
    const e = entry!;
    if (e.kind === 'file') {
      fs.closeSync(e.fd!);
      fs.renameSync(e.tmp!, e.final!);
      result.files++;
    } else if (e.kind === 'meta') {
      const data = Buffer.concat(e.meta!);
      if (e.metaType === 'L') nextName = text(data, 0, data.length);
      else if (e.metaType === 'x') nextName = parsePax(data).path ?? nextName;
    }
    entry = null;
  };

  try {
    for await (const chunk of stream as AsyncIterable<Buffer>) {
      let buf = pending.length ? Buffer.concat([pending, chunk]) : chunk;
      let pos = 0;
      while (pos < buf.length && !ended) {
        if (entry) {
          const e: NonNullable<typeof entry> = entry;
          if (e.remaining > 0) {
            const n = Math.min(e.remaining, buf.length - pos);
            const part = buf.subarray(pos, pos + n);
            if (e.kind === 'file') fs.writeSync(e.fd!, part);
            else if (e.kind === 'meta') e.meta!.push(Buffer.from(part));
            if (e.kind === 'file') result.bytes += n;
            e.remaining -= n;
            pos += n;
            offset += n;
            continue;
          }
          const n = Math.min(e.pad, buf.length - pos);
          e.pad -= n;
          pos += n;
          offset += n;
          if (e.pad === 0) finishEntry();
          continue;
        }
        if (buf.length - pos < BLOCK) break;
        const header = buf.subarray(pos, pos + BLOCK);
        if (header.every((b) => b === 0)) {
          zeroBlocks++;
          if (zeroBlocks >= 2) ended = true;
        } else {
          zeroBlocks = 0;
          startEntry(header);
          if (entry && (entry as { remaining: number }).remaining === 0 && (entry as { pad: number }).pad === 0) finishEntry();
        }
        pos += BLOCK;
        offset += BLOCK;
      }
      pending = Buffer.from(buf.subarray(pos));
      buf = pending;
      if (ended) break;
    }
  } catch (err) {
    const e = entry as { fd?: number; tmp?: string } | null;
    if (e?.fd !== undefined) {
      fs.closeSync(e.fd);
      fs.rmSync(e.tmp!, { force: true });
    }
    input.destroy();
    const msg = (err as Error).message;
    throw new Error(msg.startsWith(archive) ? msg : `${archive}: corrupt or truncated archive (${msg})`);
  }
  input.destroy();
  if (entry || (!ended && zeroBlocks === 0 && result.files + result.directories === 0)) {
    const e = entry as { fd?: number; tmp?: string } | null;
    if (e?.fd !== undefined) {
      fs.closeSync(e.fd);
      fs.rmSync(e.tmp!, { force: true });
    }
    throw new Error(`${archive}: truncated archive (ends inside an entry at byte ${offset})`);
  }
  return result;
}
