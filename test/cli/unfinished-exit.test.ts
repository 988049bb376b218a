/**
 * Node exits with status 0 when nothing keeps its event loop alive, even while a promise is still
 * awaited. `wsol` must not report such a half-finished command as a success: bin/wsol.js turns it
 * into status 70 and a message. Here setImmediate is replaced (by a preloaded module) by one that never
 * calls back, so the training's first turn of the event loop (its interrupt check) never ends.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import * as fs from 'fs';
import * as os from 'os';
import * as path from 'path';

const repo = path.resolve(__dirname, '../..');

test('a command whose awaited work can no longer complete exits 70 with a message, not 0', () => {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'wsol-unfinished-'));
  try {
    const preload = path.join(dir, 'immediates-never-run.js');
    // setImmediate never calls back: the training's first interrupt check (it waits for one) can never finish.
    fs.writeFileSync(preload, 'globalThis.setImmediate = () => ({ ref() { return this; }, unref() { return this; }, hasRef: () => false });\n');
    const args = ['train', '--dataset', 'parts', '--method', 'cam', '--limit', '4', '--eval-limit', '4', '--epochs', '1', '--image-size', '32', '--batch-size', '2', '--out', path.join(dir, 'run')];
    const stuck = spawnSync(process.execPath, ['-r', preload, 'bin/wsol.js', ...args], { cwd: repo, encoding: 'utf8', timeout: 120_000 });
    assert.equal(stuck.status, 70, `status ${stuck.status}: ${stuck.stderr.slice(-800)}`);
    assert.match(stuck.stderr, /wsol train --dataset parts .*: stopped before it finished: it was waiting on work that can no longer complete/);
    // The same command without the preload finishes normally: status 0 and no such message.
    const ok = spawnSync(process.execPath, ['bin/wsol.js', ...args.slice(0, -1), path.join(dir, 'run2')], { cwd: repo, encoding: 'utf8', timeout: 120_000 });
    assert.equal(ok.status, 0, ok.stderr.slice(-800));
    assert.doesNotMatch(ok.stderr, /stopped before/);
  } finally {
    fs.rmSync(dir, { recursive: true, force: true });
  }
});
