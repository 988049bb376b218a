/**
 * `wsol reproduce` end to end at a tiny budget, through the real command line: folder datasets
 * (real PNGs, wsolevaluation metadata, a comma in a path), checked run lists, a user's folder left
 * alone, stored rows reused exactly after a re-run and a kill -9, and shards that merge into the
 * unsharded run.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { spawn, spawnSync } from 'node:child_process';
import * as fs from 'fs';
import * as path from 'path';
import { loadResultSet } from '../../src/cli/commands/report';
import { datasetSpecs } from '../../src/cli/dataset-specs';
import { resultsSection } from '../../src/train/results-document';
import type { ResultRow, ResultsFile } from '../../src/train/results-file';
import { runMatrix, shardRuns } from '../../src/train/reproduce';
import { tempDir, writeImage } from '../data/fixtures';

const TINY = ['--epochs', '1', '--limit', '16', '--eval-limit', '8', '--image-size', '32', '--batch-size', '8'];

function wsol(args: string[]): { code: number | null; stdout: string; stderr: string } {
  const r = spawnSync(process.execPath, ['bin/wsol.js', ...args], { encoding: 'utf8', timeout: 300_000 });
  return { code: r.status, stdout: r.stdout, stderr: r.stderr };
}

const readResults = (out: string) => JSON.parse(fs.readFileSync(path.join(out, 'results.json'), 'utf8')) as ResultsFile;
/** A row without what depends on the clock or the folder. */
const numbers = (r: ResultRow) => {
  const { trainSeconds: _t, imagesPerSecond: _i, runDir: _d, ...rest } = r;
  return rest;
};

/** A wsolevaluation metadata tree with real PNGs: 2 classes, 8 train, 4 val, 4 test images of 24 px. */
async function writeFolderDataset(root: string): Promise<string> {
  const images = path.join(root, 'images');
  const meta = path.join(root, 'metadata');
  const counts = { train: 8, val: 4, test: 4 };
  let seed = 0;
  for (const [split, n] of Object.entries(counts)) {
    const ids: string[] = [];
    for (let i = 0; i < n; i++) ids.push(`${i % 2 === 0 ? 'round' : 'square'}/${split}-${i}.png`);
    for (const id of ids) await writeImage(path.join(images, id), 24, 24, ++seed);
    const dir = path.join(meta, split);
    fs.mkdirSync(dir, { recursive: true });
    fs.writeFileSync(path.join(dir, 'image_ids.txt'), ids.map((id) => `${id}\n`).join(''));
    fs.writeFileSync(path.join(dir, 'class_labels.txt'), ids.map((id, i) => `${id},${i % 2}\n`).join(''));
    fs.writeFileSync(path.join(dir, 'image_sizes.txt'), ids.map((id) => `${id},24,24\n`).join(''));
    fs.writeFileSync(path.join(dir, 'localization.txt'), ids.map((id, i) => `${id},${2 + (i % 3)},3,${14 + (i % 5)},20\n`).join(''));
  }
  const esc = (p: string) => p.replace(/,/g, '\\,');
  return `folder:${esc(meta)},${esc(images)}`;
}

test('--dataset: each value is one spec and keeps its commas; built-in names may be comma-separated; mixing is an error', () => {
  assert.deepEqual(datasetSpecs(['parts,fashion-clutter']), ['parts', 'fashion-clutter']);
  assert.deepEqual(datasetSpecs(['parts', 'folder:/m,/i', 'folder:/a\\,b/m,/a\\,b/i']), ['parts', 'folder:/m,/i', 'folder:/a\\,b/m,/a\\,b/i']);
  assert.throws(() => datasetSpecs(['parts,folder:/m,/i']), /--dataset "parts,folder:\/m,\/i": give a spec with a colon its own --dataset \(e\.g\. --dataset parts --dataset folder:\/m,\/i\)/);
  assert.throws(() => datasetSpecs(['parts', 'parts']), /--dataset lists "parts" more than once/);
  assert.throws(() => datasetSpecs([',']), /--dataset is empty/);
});

test('reproduce trains on folder datasets given as specs, one with a comma in its paths, and report reads them', async () => {
  const root = tempDir('rep-folder');
  const plain = await writeFolderDataset(path.join(root, 'set-a'));
  const comma = await writeFolderDataset(path.join(root, 'set,b'));
  assert.match(comma, /set\\,b/);
  const out = path.join(root, 'out');
  const r = wsol(['reproduce', '--dataset', plain, '--dataset', comma, '--methods', 'cam', '--seeds', '1', ...TINY, '--out', out]);
  assert.equal(r.code, 0, r.stderr);
  const results = readResults(out);
  assert.equal(results.version, 1);
  assert.deepEqual(results.rows.map((x) => x.dataset), [plain, comma]);
  assert.deepEqual(results.matrix.datasets, [plain, comma]);
  for (const row of results.rows) {
    assert.ok(Number.isFinite(row.top1Cls) && Number.isFinite(row.maxBoxAccV2), JSON.stringify(row));
    assert.ok(row.valThreshold !== null && row.trainSeconds! > 0);
    assert.ok(fs.existsSync(path.join(row.runDir, 'model', 'model.json')), row.runDir);
  }
  assert.notEqual(results.rows[0].runDir, results.rows[1].runDir, 'long specs get distinct run folders');
  const report = wsol(['report', path.join(out, 'results.json'), '--dataset', comma]);
  assert.equal(report.code, 0, report.stderr);
  assert.ok(report.stdout.includes(`### ${comma} (seeds 1;`), report.stdout);
  assert.ok(!report.stdout.includes(`### ${plain} `));
});

test('empty or repeated seed, method and dataset lists are errors, before anything is written', () => {
  const out = path.join(tempDir('rep-lists'), 'out');
  const cases: [string[], RegExp][] = [
    [['--seeds', ''], /--seeds is empty; give at least one value/],
    [['--methods', ','], /--methods is empty/],
    [['--seeds', '1,1'], /--seeds lists "1" more than once/],
    [['--methods', 'cam,has,cam'], /--methods lists "cam" more than once/],
    [['--dataset', 'parts', '--dataset', 'parts'], /--dataset lists "parts" more than once/],
    [['--shard', '3/2'], /--shard: shard must be K\/N with 1 <= K <= N, got "3\/2"/],
    [['--shard', '0/2'], /--shard: shard must be K\/N/],
    [['--methods', 'cam', '--shard', '2/2'], /--shard 2\/2: the matrix has only 1 runs, so this shard has none/],
  ];
  for (const [args, expected] of cases) {
    const r = wsol(['reproduce', ...args, '--out', out]);
    assert.equal(r.code, 2, `${args.join(' ')}: ${r.stderr}`);
    assert.match(r.stderr, expected);
    assert.doesNotMatch(r.stdout, /results:/);
  }
  assert.ok(!fs.existsSync(out));
});

test("reproduce --out refuses a folder with a user's files and leaves them as they were", () => {
  const out = tempDir('rep-user');
  fs.writeFileSync(path.join(out, 'results.md'), 'my paper draft\n');
  fs.writeFileSync(path.join(out, 'results.json'), '{"mine": true}\n');
  const r = wsol(['reproduce', '--methods', 'cam', ...TINY, '--out', out]);
  assert.equal(r.code, 1, r.stderr);
  assert.match(r.stderr, /is not empty: it holds files not written by wsol \(.*results\.json.*\)\. Nothing was written/);
  assert.equal(fs.readFileSync(path.join(out, 'results.md'), 'utf8'), 'my paper draft\n');
  assert.equal(fs.readFileSync(path.join(out, 'results.json'), 'utf8'), '{"mine": true}\n');
  assert.deepEqual(fs.readdirSync(out).sort(), ['results.json', 'results.md']);
});

test('other settings in the same --out are refused, naming the setting; --overwrite replaces only what reproduce wrote', () => {
  const out = path.join(tempDir('rep-settings'), 'out');
  assert.equal(wsol(['reproduce', '--methods', 'cam', ...TINY, '--out', out]).code, 0);
  const oldRuns = fs.readdirSync(path.join(out, 'runs'));
  fs.writeFileSync(path.join(out, 'notes.txt'), 'mine\n');
  const longer = ['reproduce', '--methods', 'cam', ...TINY, '--epochs', '2', '--out', out];
  const refused = wsol(longer);
  assert.equal(refused.code, 1);
  assert.match(refused.stderr, /holds the output of wsol reproduce with other settings: epochs \(was 1, now 2\)\. Nothing was written/);
  assert.doesNotMatch(refused.stderr, /--resume/);
  const replaced = wsol([...longer, '--overwrite']);
  assert.equal(replaced.code, 0, replaced.stderr);
  const results = readResults(out);
  assert.equal(results.rows.length, 1);
  assert.equal(Object.values(results.settings)[0].epochs, 2);
  assert.equal(fs.readFileSync(path.join(out, 'notes.txt'), 'utf8'), 'mine\n', "the user's file stays");
  const runs = fs.readdirSync(path.join(out, 'runs'));
  assert.equal(runs.length, 1);
  assert.ok(!oldRuns.includes(runs[0]), 'the 1-epoch run folder was removed, the 2-epoch one trained afresh');
});

test('a finished reproduce run again reuses every row exactly; a row lost after training is rebuilt with the same numbers; a kill -9 loses no row', async () => {
  const out = path.join(tempDir('rep-again'), 'out');
  const args = ['reproduce', '--methods', 'cam,has', '--seeds', '1', ...TINY, '--out', out];
  assert.equal(wsol(args).code, 0);
  const first = fs.readFileSync(path.join(out, 'results.json'), 'utf8');
  const firstMd = fs.readFileSync(path.join(out, 'results.md'), 'utf8');
  const again = wsol(args);
  assert.equal(again.code, 0, again.stderr);
  assert.match(again.stderr, /kept cam parts seed 1 as stored/);
  assert.equal(fs.readFileSync(path.join(out, 'results.json'), 'utf8'), first, 'results.json byte for byte');
  assert.equal(fs.readFileSync(path.join(out, 'results.md'), 'utf8'), firstMd);
  assert.doesNotMatch(firstMd, /n\/a|NaN/);

  // The process died after training `has` but before writing its row: the row comes back from the run folder.
  const stored = JSON.parse(first) as ResultsFile;
  fs.writeFileSync(path.join(out, 'results.json'), JSON.stringify({ ...stored, rows: stored.rows.slice(0, 1) }));
  const rebuilt = wsol(args);
  assert.equal(rebuilt.code, 0, rebuilt.stderr);
  assert.deepEqual(readResults(out).rows, stored.rows, 'every number, val threshold and train seconds included');

  // kill -9 in the middle of the second run, then the same command again.
  const killed = path.join(tempDir('rep-kill'), 'out');
  const killArgs = ['reproduce', '--methods', 'cam,ours', '--seeds', '1', '--epochs', '2', '--limit', '48', '--eval-limit', '8', '--image-size', '32', '--batch-size', '8', '--out', killed];
  const child = spawn(process.execPath, ['bin/wsol.js', ...killArgs], { stdio: ['ignore', 'ignore', 'pipe'] });
  await new Promise<void>((resolve, reject) => {
    const deadline = setTimeout(() => reject(new Error('the first row never came')), 240_000);
    child.stderr!.on('data', (d: Buffer) => {
      if (/\[ours parts seed 1\] epoch 1:/.test(d.toString())) {
        clearTimeout(deadline);
        child.kill('SIGKILL');
        resolve();
      }
    });
  });
  await new Promise((resolve) => child.on('exit', resolve));
  const before = readResults(killed);
  assert.equal(before.rows.length, 1, 'killed during the second run');
  const resumed = wsol(killArgs);
  assert.equal(resumed.code, 0, resumed.stderr);
  const after = readResults(killed);
  assert.deepEqual(after.rows[0], before.rows[0], 'the finished row is kept as it was');
  const second = after.rows[1];
  assert.equal(second.method, 'ours');
  for (const f of ['valThreshold', 'gtKnownLocValThreshold', 'trainSeconds', 'imagesPerSecond', 'maxBoxAccV2'] as const) {
    assert.ok(typeof second[f] === 'number' && Number.isFinite(second[f]), `${f}: ${second[f]}`);
  }
  assert.ok(second.trainSeconds! > 0);
});

test('shards 1..N merged by wsol report equal the unsharded run, metrics bit for bit', () => {
  const root = tempDir('rep-shards');
  const common = ['--methods', 'cam,has', '--seeds', '1,2', ...TINY];
  // The slices cover the matrix once: every run in exactly one shard.
  const matrix = runMatrix(['parts'], ['cam', 'has'], [1, 2]);
  const slices = [1, 2, 3].map((index) => shardRuns(matrix, { index, count: 3 }));
  assert.deepEqual(slices.map((s) => s.length), [2, 1, 1]);
  assert.deepEqual(slices.flat().map((k) => JSON.stringify(k)).sort(), matrix.map((k) => JSON.stringify(k)).sort());

  const whole = path.join(root, 'whole');
  assert.equal(wsol(['reproduce', ...common, '--out', whole]).code, 0);
  const shardFiles: string[] = [];
  for (const k of [3, 1, 2]) {
    const out = path.join(root, `shard-${k}`);
    const r = wsol(['reproduce', ...common, '--shard', `${k}/3`, '--out', out]);
    assert.equal(r.code, 0, r.stderr);
    assert.match(r.stdout, new RegExp(`This is shard ${k} of 3`));
    shardFiles.push(path.join(out, 'results.json'));
  }
  const merged = loadResultSet(shardFiles);
  const unsharded = loadResultSet([path.join(whole, 'results.json')]);
  assert.equal(merged.rows.length, 4);
  assert.deepEqual(merged.rows.map(numbers), unsharded.rows.map(numbers));
  const opts = { methods: ['cam'], style: 'compact' as const, baselines: [] };
  assert.equal(resultsSection(merged, opts), resultsSection(unsharded, opts), 'the same tables');
  const report = wsol(['report', ...shardFiles]);
  assert.equal(report.code, 0, report.stderr);
  assert.match(report.stdout, /\| cam \| 1, 2 \|/);
});
