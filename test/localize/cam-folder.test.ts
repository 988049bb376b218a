import { test } from 'node:test';
import assert from 'node:assert/strict';
import * as fs from 'fs';
import * as os from 'os';
import * as path from 'path';
import { camFile, loadCam, readCamsManifest, saveCam, writeCamsManifest } from '../../src/localize/cam-folder';
import { encodeNpyFloat32 } from '../../src/localize/npy';

const tmp = () => fs.mkdtempSync(path.join(os.tmpdir(), 'wsol-cams-'));
const map = { width: 3, height: 2, data: Float32Array.from([0, 0.5, 1, 0.25, 0.75, 0.125]) };

test('maps go to DIR/<image id>.npy (subfolders for ids with /) and read back unchanged; no temp files remain', () => {
  const dir = tmp();
  const file = saveCam(dir, 'val2/995/0.jpeg', map);
  assert.equal(file, path.join(dir, 'val2', '995', '0.jpeg.npy'));
  assert.deepEqual(fs.readdirSync(path.join(dir, 'val2', '995')), ['0.jpeg.npy']);
  assert.deepEqual(loadCam(dir, 'val2/995/0.jpeg', 3, 2), map);
  writeCamsManifest(dir, { dataset: 'parts', seed: 3, split: 'test', evalSize: 64, count: 1 });
  assert.deepEqual(readCamsManifest(dir), { dataset: 'parts', seed: 3, split: 'test', evalSize: 64, count: 1 });
  assert.equal(readCamsManifest(tmp()), null);
});

test('missing, mis-shaped, not 2-D or out-of-range maps, and ids leaving the folder, are errors that name the file', () => {
  const dir = tmp();
  assert.throws(() => loadCam(dir, 'a/b', 3, 2), new RegExp(`^Error: ${path.join(dir, 'a', 'b.npy').replace(/[.]/g, '\\.')}: missing \\(no score map for image "a/b"\\)`));
  saveCam(dir, 'm', map);
  assert.throws(() => loadCam(dir, 'm', 2, 3), /m\.npy: shape \(2, 3\), expected \(3, 2\) for image "m" at the evaluation size/);
  fs.writeFileSync(path.join(dir, 'flat.npy'), encodeNpyFloat32(new Float32Array(6), [6]));
  assert.throws(() => loadCam(dir, 'flat', 3, 2), /flat\.npy: a score map must be 2-D \(height, width\), this one has shape \(6\)/);
  fs.writeFileSync(path.join(dir, 'big.npy'), encodeNpyFloat32(Float32Array.from([0, 1, 1.5, 0, 0, Number.NaN]), [2, 3]));
  assert.throws(() => loadCam(dir, 'big', 3, 2), /big\.npy: value 1\.5 at row 0, column 2 is not in \[0, 1\]/);
  for (const id of ['../x', '/etc/x', 'a//b', 'a/./b', '']) assert.throws(() => camFile(dir, id), /cannot name a file under/);
});
