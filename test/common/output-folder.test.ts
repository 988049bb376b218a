import { test } from 'node:test';
import assert from 'node:assert/strict';
import * as fs from 'fs';
import * as os from 'os';
import * as path from 'path';
import { OUTPUT_MANIFEST, openOutputFolder, readOutputManifest } from '../../src/common/output-folder';

function tmp(): string {
  return fs.mkdtempSync(path.join(os.tmpdir(), 'wsol-outdir-'));
}

const localize = (settings: Record<string, unknown>, extra: { overwrite?: boolean } = {}) => ({ command: 'wsol localize', settings, optionName: '--out', ...extra });

test('a missing folder is created and every file written is recorded before it is written', () => {
  const dir = path.join(tmp(), 'new', 'out');
  const out = openOutputFolder(dir, localize({ run: 'r', images: ['a.png'] }));
  out.plan(['a.png-overlay.png', 'sub/deeper/b.npy']);
  const during = readOutputManifest(dir)!;
  assert.deepEqual(during.files, ['a.png-overlay.png', 'sub/deeper/b.npy']);
  assert.equal(during.complete, false);
  assert.deepEqual(during.folders, ['sub', 'sub/deeper']);
  out.writeFile('a.png-overlay.png', 'png');
  out.writeJson('localizations.json', [1]);
  out.finish();
  const m = readOutputManifest(dir)!;
  assert.equal(m.complete, true);
  assert.equal(m.command, 'wsol localize');
  assert.deepEqual(m.files, ['a.png-overlay.png', 'sub/deeper/b.npy', 'localizations.json']);
  assert.equal(fs.readFileSync(path.join(dir, 'localizations.json'), 'utf8'), '[\n  1\n]\n');
});

test("a folder with a user's file and no manifest is refused and the file survives", () => {
  const dir = tmp();
  fs.writeFileSync(path.join(dir, 'localizations.json'), 'my notes');
  assert.throws(() => openOutputFolder(dir, localize({ run: 'r' })), (err: Error) => {
    assert.match(err.message, new RegExp(`${dir} is not empty: it holds files not written by wsol \\(localizations.json\\)`));
    assert.match(err.message, /--overwrite/);
    return true;
  });
  assert.equal(fs.readFileSync(path.join(dir, 'localizations.json'), 'utf8'), 'my notes');
  assert.equal(fs.existsSync(path.join(dir, OUTPUT_MANIFEST)), false);
  // Refusing released the lock: the folder can be opened once the user allows it.
  const out = openOutputFolder(dir, localize({ run: 'r' }, { overwrite: true }));
  out.writeFile('a.png-overlay.png', 'png');
  out.finish();
  assert.equal(fs.readFileSync(path.join(dir, 'localizations.json'), 'utf8'), 'my notes', 'a file the command does not write is never touched');
});

test('the same command and settings rewrite only their own files; a user file added later is refused, not overwritten', () => {
  const dir = tmp();
  const settings = { run: 'r', images: ['a.png', 'b.png'] };
  let out = openOutputFolder(dir, localize(settings));
  out.writeFile('a.png-overlay.png', 'first');
  out.finish();
  fs.writeFileSync(path.join(dir, 'b.png-overlay.png'), 'user drew this');
  fs.writeFileSync(path.join(dir, 'notes.txt'), 'keep me');
  out = openOutputFolder(dir, localize(settings));
  out.writeFile('a.png-overlay.png', 'second');
  assert.throws(() => out.writeFile('b.png-overlay.png', 'x'), /already holds b\.png-overlay\.png, not written by this command; nothing was overwritten/);
  out.finish();
  assert.equal(fs.readFileSync(path.join(dir, 'a.png-overlay.png'), 'utf8'), 'second');
  assert.equal(fs.readFileSync(path.join(dir, 'b.png-overlay.png'), 'utf8'), 'user drew this');
  assert.equal(fs.readFileSync(path.join(dir, 'notes.txt'), 'utf8'), 'keep me');
  assert.deepEqual(readOutputManifest(dir)!.files, ['a.png-overlay.png']);
});

test('output of other settings counts as non-empty: the error names the differing setting', () => {
  const dir = tmp();
  const out = openOutputFolder(dir, localize({ run: 'r', threshold: 0.2 }));
  out.writeFile('x.png-overlay.png', 'old');
  out.finish();
  assert.throws(() => openOutputFolder(dir, localize({ run: 'r', threshold: 0.5 })), /holds the output of wsol localize with other settings: threshold \(was 0\.2, now 0\.5\)/);
  assert.throws(() => openOutputFolder(dir, { command: 'wsol eval --save-cams', settings: {}, optionName: '--save-cams' }), /holds the output of wsol localize\. Nothing was written; choose another --save-cams/);
  assert.equal(fs.readFileSync(path.join(dir, 'x.png-overlay.png'), 'utf8'), 'old');
});

test('overwrite replaces an earlier run: its files that are not written again are removed one by one, user files stay', () => {
  const dir = tmp();
  let out = openOutputFolder(dir, localize({ images: ['x.png', 'y.png'] }));
  out.plan(['x.png-overlay.png', 'maps/y.npy']);
  out.writeFile('x.png-overlay.png', 'old x');
  out.writeFile('maps/y.npy', 'old y');
  out.finish();
  fs.writeFileSync(path.join(dir, 'paper.md'), 'draft');
  fs.writeFileSync(path.join(dir, 'maps', 'mine.npy'), 'user map');

  out = openOutputFolder(dir, localize({ images: ['x.png'] }, { overwrite: true }));
  out.writeFile('x.png-overlay.png', 'new x');
  // Until the new run finishes, the manifest still lists the earlier files (a crash forgets nothing).
  assert.ok(readOutputManifest(dir)!.files.includes('maps/y.npy'));
  out.finish();
  assert.equal(fs.readFileSync(path.join(dir, 'x.png-overlay.png'), 'utf8'), 'new x');
  assert.equal(fs.existsSync(path.join(dir, 'maps', 'y.npy')), false, "the earlier run's own file is removed");
  assert.equal(fs.readFileSync(path.join(dir, 'maps', 'mine.npy'), 'utf8'), 'user map', 'a folder holding a user file is not removed');
  assert.equal(fs.readFileSync(path.join(dir, 'paper.md'), 'utf8'), 'draft');
  assert.deepEqual(readOutputManifest(dir)!.files, ['x.png-overlay.png']);
});

test('only trees the manifest records as created by the project are removed recursively', () => {
  const dir = tmp();
  fs.mkdirSync(path.join(dir, 'runs', 'user-run'), { recursive: true });
  fs.writeFileSync(path.join(dir, 'runs', 'user-run', 'keep.txt'), 'mine');
  let out = openOutputFolder(dir, { command: 'wsol reproduce', settings: { seeds: [1] }, overwrite: true });
  assert.throws(() => openOutputFolder(dir, { command: 'wsol reproduce', settings: {} }), /in use by wsol reproduce process/);
  const run = out.claimTree('runs/cam-1');
  fs.mkdirSync(path.join(run, 'checkpoints'));
  fs.writeFileSync(path.join(run, 'checkpoints', 'w.bin'), 'w');
  out.finish();
  assert.deepEqual(readOutputManifest(dir)!.trees, ['runs/cam-1']);

  out = openOutputFolder(dir, { command: 'wsol reproduce', settings: { seeds: [2] }, overwrite: true });
  out.claimTree('runs/cam-2');
  out.finish();
  assert.equal(fs.existsSync(path.join(dir, 'runs', 'cam-1')), false, 'the recorded run folder of the earlier settings is removed');
  assert.equal(fs.readFileSync(path.join(dir, 'runs', 'user-run', 'keep.txt'), 'utf8'), 'mine');
  assert.ok(fs.existsSync(path.join(dir, 'runs', 'cam-2')));
});

test('a claimed tree that exists and is not ours is refused', () => {
  const dir = tmp();
  const out = openOutputFolder(dir, { command: 'wsol reproduce', settings: {} });
  fs.mkdirSync(path.join(dir, 'cam-1'));
  assert.throws(() => out.claimTree('cam-1'), /cam-1 already exists and was not made by this command/);
  out.close();
});

test('paths that leave the folder, and the bookkeeping files, cannot be planned', () => {
  const dir = tmp();
  const out = openOutputFolder(dir, localize({}));
  for (const bad of ['../x', '/etc/passwd', 'a//b', './a', 'a\\b', '']) assert.throws(() => out.plan([bad]), /cannot name a file inside/);
  assert.throws(() => out.plan([OUTPUT_MANIFEST]), /bookkeeping/);
  out.close();
});

test('a run stopped before finish can be redone with the same settings', () => {
  const dir = tmp();
  let out = openOutputFolder(dir, localize({ n: 1 }));
  out.plan(['a', 'b']);
  out.writeFile('a', '1');
  out.close(); // stopped: b never written, the manifest is not complete
  assert.equal(readOutputManifest(dir)!.complete, false);
  out = openOutputFolder(dir, localize({ n: 1 }));
  out.writeFile('a', '2');
  out.writeFile('b', '2');
  out.finish();
  assert.equal(readOutputManifest(dir)!.complete, true);
});

test('settings compare by value, whatever the key order', () => {
  const dir = tmp();
  let out = openOutputFolder(dir, localize({ a: 1, b: { c: 2, d: 3 } }));
  out.writeFile('f', 'x');
  out.finish();
  out = openOutputFolder(dir, localize({ b: { d: 3, c: 2 }, a: 1 }));
  out.finish();
});

test('a manifest that is not ours is an error naming it', () => {
  const dir = tmp();
  fs.writeFileSync(path.join(dir, OUTPUT_MANIFEST), '{"hello": 1}');
  assert.throws(() => openOutputFolder(dir, localize({})), new RegExp(`${OUTPUT_MANIFEST.replace('.', '\\.')} is not a wsol output manifest`));
});
