/**
 * A user-given output folder (`eval --save-cams DIR`, `localize --out DIR`, `reproduce --out DIR`,
 * a notebook's folder) that never loses a user's file.
 *
 * The folder carries a manifest, `.wsol-output.json`: the command, its settings (and their digest)
 * and every file and folder the command wrote there. Opening a folder:
 *   - missing or empty: it is ours; created.
 *   - holds a manifest of the same command and settings: the files it lists may be rewritten;
 *     any other file already there is left alone, and a planned write onto one is refused.
 *   - anything else (a user's files, or the output of another command or other settings): refused,
 *     unless the caller passes `overwrite`. Then the planned files replace same-named files, the
 *     files of the earlier manifest that this command does not write again are removed when it
 *     finishes (each by name), and every other file stays.
 * Files are recorded in the manifest before they are written, so a crash leaves no file that the
 * manifest does not know. Nothing is deleted recursively unless the manifest records the folder as
 * created whole by the project (`claimTree`).
 */
import { createHash } from 'crypto';
import * as fs from 'fs';
import * as path from 'path';
import { readJson, writeFileAtomic, writeJsonAtomic } from './atomic-write';
import { lockFolder } from './folder-lock';
import { makeDir } from './make-dir';

export const OUTPUT_MANIFEST = '.wsol-output.json';
export const OUTPUT_LOCK = '.wsol-output.lock';
const MANIFEST_VERSION = 1;

export interface OutputManifest {
  version: number;
  /** What wrote the folder, e.g. "wsol localize". */
  command: string;
  /** Digest of `settings` (sorted keys), compared when the folder is opened again. */
  settingsDigest: string;
  settings: Record<string, unknown>;
  /** Files written, relative to the folder, '/'-separated. */
  files: string[];
  /** Parent folders created for those files; removed only when empty. */
  folders: string[];
  /** Folders created whole by the project (e.g. a run folder): these alone may be removed recursively. */
  trees: string[];
  /** False while the command runs (or after it was stopped). */
  complete: boolean;
}

export interface OpenOutputOptions {
  command: string;
  /** Plain JSON data: what decides the folder's content (the inputs and options of the command). */
  settings: Record<string, unknown>;
  /** Let the command write into a folder that holds other files (never deletes those). */
  overwrite?: boolean;
  /** How the user named the folder, for messages (e.g. "--out"). */
  optionName?: string;
  onLog?: (line: string) => void;
}

/** JSON with object keys sorted, so equal settings give equal text. */
function stableJson(v: unknown): string {
  if (Array.isArray(v)) return `[${v.map(stableJson).join(',')}]`;
  if (v && typeof v === 'object') {
    return `{${Object.keys(v)
      .sort()
      .filter((k) => (v as Record<string, unknown>)[k] !== undefined)
      .map((k) => `${JSON.stringify(k)}:${stableJson((v as Record<string, unknown>)[k])}`)
      .join(',')}}`;
  }
  return JSON.stringify(v ?? null);
}

export function settingsDigest(settings: Record<string, unknown>): string {
  return createHash('sha256').update(stableJson(settings)).digest('hex');
}

/** The settings whose values differ, as "name (was A, now B)". */
function settingsDifference(was: Record<string, unknown>, now: Record<string, unknown>): string[] {
  const keys = [...new Set([...Object.keys(was ?? {}), ...Object.keys(now)])].sort();
  return keys
    .filter((k) => stableJson(was?.[k]) !== stableJson(now[k]))
    .map((k) => `${k} (was ${short(was?.[k])}, now ${short(now[k])})`);
}

function short(v: unknown): string {
  const s = v === undefined ? 'unset' : JSON.stringify(v);
  return s.length > 60 ? `${s.slice(0, 57)}...` : s;
}

/** A relative path inside the folder; refuses '..', absolute paths and empty parts. */
function checkRelative(dir: string, rel: string): string {
  const parts = rel.split('/');
  if (rel.length === 0 || path.isAbsolute(rel) || rel.includes('\\') || rel.includes('\0') || parts.some((p) => p === '' || p === '.' || p === '..')) {
    throw new Error(`"${rel}" cannot name a file inside ${dir} (absolute, empty, '.' or '..' parts)`);
  }
  if (rel === OUTPUT_MANIFEST || rel === OUTPUT_LOCK) throw new Error(`"${rel}" is the folder's own bookkeeping file`);
  return rel;
}

function isManifest(v: unknown): v is OutputManifest {
  const m = v as Partial<OutputManifest> | null;
  const strings = (a: unknown) => Array.isArray(a) && a.every((s) => typeof s === 'string');
  return (
    typeof m === 'object' && m !== null && typeof m.command === 'string' && typeof m.settingsDigest === 'string' &&
    strings(m.files) && strings(m.folders) && strings(m.trees ?? [])
  );
}

/** The folder's manifest, or null when it has none. A manifest that is not one of ours is an error. */
export function readOutputManifest(dir: string): OutputManifest | null {
  const file = path.join(dir, OUTPUT_MANIFEST);
  if (!fs.existsSync(file)) return null;
  const m = readJson<unknown>(file);
  if (!isManifest(m)) throw new Error(`${file} is not a wsol output manifest (no command, settingsDigest, files and folders)`);
  return { ...m, trees: m.trees ?? [], settings: m.settings ?? {} };
}

export class OutputFolder {
  readonly dir: string;
  private readonly manifest: OutputManifest;
  /** Files and trees of an earlier manifest (another command or settings) that this one may replace. */
  private readonly earlier: { files: Set<string>; folders: string[]; trees: Set<string> };
  private readonly overwrite: boolean;
  private readonly optionName: string;
  private unlock: (() => void) | null;

  /** Use `openOutputFolder`. `earlier` is the manifest of another command or other settings (or null). */
  constructor(dir: string, manifest: OutputManifest, earlier: OutputManifest | null, overwrite: boolean, optionName: string, unlock: () => void) {
    this.dir = dir;
    this.manifest = manifest;
    this.overwrite = overwrite;
    this.optionName = optionName;
    this.unlock = unlock;
    // Another run's files may be replaced only with overwrite, and are removed when this run finishes.
    this.earlier = { files: new Set(earlier?.files ?? []), folders: earlier?.folders ?? [], trees: new Set(earlier?.trees ?? []) };
  }

  /** Absolute path of a file inside the folder. */
  path(rel: string): string {
    return path.join(this.dir, ...checkRelative(this.dir, rel).split('/'));
  }

  /** The files written so far (relative paths). */
  get files(): string[] {
    return [...this.manifest.files];
  }

  /**
   * Records the files this command is about to write, after checking that none of them is a file
   * it does not own (a user's, or another run's without overwrite). Saves the manifest before any
   * of them is written.
   */
  plan(rels: string[]): void {
    const conflicts: string[] = [];
    const fresh: string[] = [];
    const recorded = new Set(this.manifest.files);
    for (const rel of rels) {
      checkRelative(this.dir, rel);
      if (recorded.has(rel) || this.manifest.trees.some((t) => rel.startsWith(`${t}/`))) continue;
      if (!this.overwrite && fs.existsSync(this.path(rel))) conflicts.push(rel);
      fresh.push(rel);
      recorded.add(rel);
    }
    if (conflicts.length > 0) {
      const list = conflicts.slice(0, 5).join(', ') + (conflicts.length > 5 ? ` and ${conflicts.length - 5} more` : '');
      throw new Error(`${this.dir} already holds ${list}, not written by this command; nothing was overwritten (pass --overwrite to replace them, or choose another ${this.optionName})`);
    }
    if (fresh.length === 0) return;
    for (const rel of fresh) this.recordParents(rel);
    this.manifest.files.push(...fresh);
    this.save();
  }

  /**
   * Claims a subfolder that the project fills whole (e.g. a training run): recorded as created by
   * the project, so it may later be removed recursively. Refuses one that exists and is not ours.
   */
  claimTree(rel: string): string {
    checkRelative(this.dir, rel);
    const full = this.path(rel);
    if (!this.manifest.trees.includes(rel)) {
      if (!this.overwrite && fs.existsSync(full)) {
        throw new Error(`${full} already exists and was not made by this command; nothing was overwritten (pass --overwrite, or choose another ${this.optionName})`);
      }
      this.recordParents(rel);
      this.manifest.trees.push(rel);
      this.save();
    }
    makeDir(full);
    return full;
  }

  /** Plans (when needed) and writes one file atomically. */
  writeFile(rel: string, data: string | Uint8Array): string {
    this.plan([rel]);
    const file = this.path(rel);
    writeFileAtomic(file, data);
    return file;
  }

  writeJson(rel: string, value: unknown): string {
    return this.writeFile(rel, JSON.stringify(value, null, 2) + '\n');
  }

  /**
   * Marks the output complete, removes what an earlier run (other settings, with overwrite) wrote
   * and this one did not write again, and releases the folder.
   */
  finish(): void {
    const now = new Set(this.manifest.files);
    const nowTrees = new Set(this.manifest.trees);
    for (const rel of this.earlier.files) if (!now.has(rel)) fs.rmSync(this.path(rel), { force: true });
    for (const rel of this.earlier.trees) if (!nowTrees.has(rel)) fs.rmSync(this.path(rel), { recursive: true, force: true });
    removeEmptyFolders(this.dir, this.earlier.folders.filter((f) => !this.manifest.folders.includes(f)));
    this.manifest.complete = true;
    this.save();
    this.close();
  }

  /** Releases the folder without marking it complete (after an error or an interrupt). */
  close(): void {
    this.unlock?.();
    this.unlock = null;
  }

  private recordParents(rel: string): void {
    const parts = rel.split('/');
    for (let i = 1; i < parts.length; i++) {
      const folder = parts.slice(0, i).join('/');
      if (this.manifest.folders.includes(folder) || this.manifest.trees.includes(folder)) continue;
      if (!fs.existsSync(this.path(folder))) this.manifest.folders.push(folder);
    }
  }

  private save(): void {
    // The earlier run's files stay listed until finish() removes them, so a crash loses track of nothing.
    const keep = { files: [...this.earlier.files], folders: this.earlier.folders, trees: [...this.earlier.trees] };
    const union = (a: string[], b: string[]) => [...new Set([...a, ...b])];
    const m = this.manifest.complete
      ? this.manifest
      : {
          ...this.manifest,
          files: union(this.manifest.files, keep.files),
          folders: union(this.manifest.folders, keep.folders),
          trees: union(this.manifest.trees, keep.trees),
        };
    writeJsonAtomic(path.join(this.dir, OUTPUT_MANIFEST), m);
  }
}

/** Removes the given folders (relative to dir), deepest first, each only when empty. */
function removeEmptyFolders(dir: string, folders: string[]): void {
  for (const rel of [...folders].sort((a, b) => b.split('/').length - a.split('/').length)) {
    try {
      fs.rmdirSync(path.join(dir, ...rel.split('/')));
    } catch {
      // not empty (a user's file) or already gone: left as it is
    }
  }
}

/**
 * Opens `dir` for the output of `opts.command` with `opts.settings`, creating it when missing and
 * locking it while the command runs; see the top of this file for what is refused.
 */
export function openOutputFolder(dir: string, opts: OpenOutputOptions): OutputFolder {
  const optionName = opts.optionName ?? 'output folder';
  makeDir(dir);
  const unlock = lockFolder(dir, OUTPUT_LOCK, opts.command, opts.onLog);
  try {
    const digest = settingsDigest(opts.settings);
    const earlier = readOutputManifest(dir);
    const others = fs.readdirSync(dir).filter((e) => e !== OUTPUT_MANIFEST && e !== OUTPUT_LOCK);
    const sameRun = earlier !== null && earlier.command === opts.command && earlier.settingsDigest === digest;
    if (!sameRun && others.length > 0 && !opts.overwrite) {
      const what = earlier
        ? earlier.command === opts.command
          ? `the output of ${earlier.command} with other settings: ${settingsDifference(earlier.settings, opts.settings).join('; ')}`
          : `the output of ${earlier.command}`
        : `files not written by wsol (${others.slice(0, 3).join(', ')}${others.length > 3 ? ', ...' : ''})`;
      throw new Error(`${dir} is not empty: it holds ${what}. Nothing was written; choose another ${optionName} or pass --overwrite (files of other commands are kept, same-named ones replaced)`);
    }
    // The same command and settings carry on with what they wrote before: those files are theirs to rewrite.
    const kept = sameRun && earlier ? earlier : null;
    const manifest: OutputManifest = {
      version: MANIFEST_VERSION,
      command: opts.command,
      settingsDigest: digest,
      settings: opts.settings,
      files: [...(kept?.files ?? [])],
      folders: [...(kept?.folders ?? [])],
      trees: [...(kept?.trees ?? [])],
      complete: false,
    };
    return new OutputFolder(dir, manifest, sameRun ? null : earlier, opts.overwrite === true, optionName, unlock);
  } catch (err) {
    unlock();
    throw err;
  }
}
