import { test } from 'node:test';
import assert from 'node:assert/strict';
import * as fs from 'fs';
import { createRequire } from 'module';
import * as os from 'os';
import * as path from 'path';
import { writeFileAtomic } from '../../src/common/atomic-write';
import { makeDir } from '../../src/common/make-dir';

/** Runs `fn` while fs.writeSync writes at most `cap(callIndex)` bytes per call (a short write). */
function withShortWrites(cap: (call: number) => number, fn: () => void): void {
  // The module object itself (an `import * as` namespace is a copy that cannot be patched).
  const nodeFs = createRequire(__filename)('fs') as typeof fs;
  const real = nodeFs.writeSync;
  let call = 0;
  (nodeFs as { writeSync: unknown }).writeSync = (fd: number, buf: Uint8Array, offset?: number, length?: number) => {
    const n = Math.min(length ?? buf.length - (offset ?? 0), cap(call++));
    return n > 0 ? real(fd, buf, offset ?? 0, n) : 0;
  };
  try {
    fn();
  } finally {
    (nodeFs as { writeSync: unknown }).writeSync = real;
  }
}

test('writeFileAtomic keeps writing after a short write', () => {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'wsol-atomic-'));
  const file = path.join(dir, 'a.bin');
  const data = Uint8Array.from({ length: 1000 }, (_, i) => i % 251);
  withShortWrites(() => 7, () => writeFileAtomic(file, data));
  assert.deepEqual(new Uint8Array(fs.readFileSync(file)), data);
});

test('writeFileAtomic fails on a write that makes no progress, leaving the old file and no temp file', () => {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'wsol-atomic-'));
  const file = path.join(dir, 'a.txt');
  fs.writeFileSync(file, 'old');
  // The first call writes 10 bytes, then the "disk is full".
  assert.throws(() => withShortWrites((c) => (c === 0 ? 10 : 0), () => writeFileAtomic(file, 'x'.repeat(100))), /no progress after 10 of 100 bytes/);
  assert.equal(fs.readFileSync(file, 'utf8'), 'old');
  assert.deepEqual(fs.readdirSync(dir), ['a.txt']);
});

test('makeDir creates parents, and fails at once (no hang) under /proc', () => {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'wsol-mkdir-'));
  makeDir(path.join(dir, 'a', 'b', 'c'));
  assert.ok(fs.statSync(path.join(dir, 'a', 'b', 'c')).isDirectory());
  fs.writeFileSync(path.join(dir, 'f'), '');
  assert.throws(() => makeDir(path.join(dir, 'f', 'g')), /cannot use folder .*f\/g: .*not a directory/);
  if (fs.existsSync('/proc/self')) assert.throws(() => makeDir('/proc/wsol-x/y'), /cannot create folder \/proc\/wsol-x/);
});
