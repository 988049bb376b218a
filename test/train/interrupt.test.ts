/**
 * Stopping a training: a real SIGINT or SIGTERM on the in-memory `parts` set stops `wsol train`
 * within a step or two and saves a mid-epoch checkpoint; `--resume` (alone: the run's stored
 * options) then ends bit-identical to an uninterrupted run, the interrupted epoch's loss and train
 * accuracy included. A kill -9 mid-epoch resumes exactly too. A notebook's step loop stops the same way.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { spawn, spawnSync, type ChildProcess } from 'node:child_process';
import * as fs from 'fs';
import * as os from 'os';
import * as path from 'path';
import { initBackend } from '../../src/backend/select';
import { partsDataset } from '../../src/data/parts-dataset';
import { TrainingInterruptedError } from '../../src/train/interrupt';
import { TrainingSession } from '../../src/train/training-session';

const ROOT = path.join(__dirname, '..', '..');
const BIN = path.join(ROOT, 'bin', 'wsol.js');
/** 40 steps per epoch, so a signal sent at step 10 of epoch 2 lands mid-epoch. */
const COMMON = ['train', '--dataset', 'parts', '--method', 'cam', '--epochs', '3', '--image-size', '32', '--batch-size', '8', '--limit', '320', '--eval-limit', '32', '--seed', '3'];
const MID_EPOCH_LINE = /epoch 2\/3 \[[#.]+\] 10\/40 /;
const tmp = (tag: string) => fs.mkdtempSync(path.join(os.tmpdir(), `wsol-${tag}-`));

function runCli(args: string[]): { code: number | null; stderr: string } {
  const r = spawnSync(process.execPath, [BIN, ...args], { encoding: 'utf8', timeout: 300_000 });
  return { code: r.status, stderr: r.stderr };
}

/**
 * Starts the CLI with SIGINT at its default disposition: a shell that runs a job in the background
 * starts it with SIGINT ignored, and a test must not depend on how it was started itself.
 */
function launch(args: string[]): ChildProcess {
  const reset = 'import os, signal, sys; signal.signal(signal.SIGINT, signal.SIG_DFL); os.execvp(sys.argv[1], sys.argv[1:])';
  return spawn('python3', ['-c', reset, process.execPath, BIN, ...args], { stdio: ['ignore', 'ignore', 'pipe'] });
}

/** Runs the CLI, sends `signal` as soon as stderr shows step 10 of epoch 2, and waits for the exit. */
async function stopMidEpoch(outDir: string, signal: NodeJS.Signals): Promise<{ code: number | null; signal: NodeJS.Signals | null; stderr: string }> {
  const child = launch([...COMMON, '--out', outDir]);
  let stderr = '';
  let sent = false;
  const timer = setTimeout(() => child.kill('SIGKILL'), 240_000); // never hang the suite
  child.stderr!.on('data', (chunk: Buffer) => {
    stderr += chunk.toString();
    if (!sent && MID_EPOCH_LINE.test(stderr)) {
      sent = true;
      child.kill(signal);
    }
  });
  const [code, sig] = (await new Promise((resolve) => child.on('exit', (c, s) => resolve([c, s])))) as [number | null, NodeJS.Signals | null];
  clearTimeout(timer);
  assert.ok(sent, `the run reached step 10 of epoch 2 (stderr: ${stderr.slice(-400)})`);
  return { code, signal: sig, stderr };
}

interface Record_ {
  [k: string]: unknown;
}
/** history.json without its timings. */
function historyOf(dir: string): Record_[] {
  const rows = JSON.parse(fs.readFileSync(path.join(dir, 'history.json'), 'utf8')) as Record_[];
  return rows.map(({ seconds: _s, imagesPerSec: _i, ...rest }) => rest);
}

function latestState(dir: string): { epochsDone: number; step: number; partialEpoch?: { steps: number } } {
  const { dir: name } = JSON.parse(fs.readFileSync(path.join(dir, 'checkpoints', 'latest.json'), 'utf8')) as { dir: string };
  return JSON.parse(fs.readFileSync(path.join(dir, 'checkpoints', name, 'state.json'), 'utf8'));
}

let reference: string | null = null;
/** The uninterrupted run every stopped run is compared with. */
function uninterrupted(): string {
  if (reference) return reference;
  const dir = path.join(tmp('ref'), 'run');
  const r = runCli([...COMMON, '--out', dir]);
  assert.equal(r.code, 0, r.stderr);
  reference = dir;
  return dir;
}

function assertSameAsUninterrupted(dir: string): void {
  const ref = uninterrupted();
  assert.ok(fs.readFileSync(path.join(ref, 'model', 'weights.bin')).equals(fs.readFileSync(path.join(dir, 'model', 'weights.bin'))), 'identical final weights');
  assert.deepEqual(JSON.parse(fs.readFileSync(path.join(dir, 'metrics.json'), 'utf8')), JSON.parse(fs.readFileSync(path.join(ref, 'metrics.json'), 'utf8')), 'identical metrics');
  // The interrupted epoch's loss, terms and train accuracy cover all 40 of its steps.
  assert.deepEqual(historyOf(dir), historyOf(ref), 'identical history, timings aside');
}

for (const [signal, exitCode] of [['SIGINT', 130], ['SIGTERM', 143]] as const) {
  test(`${signal} on the in-memory parts set stops within a step or two, exits ${exitCode} with a mid-epoch checkpoint; --resume alone ends identical`, async () => {
    const dir = path.join(tmp(`sig-${signal}`), 'run');
    const stopped = await stopMidEpoch(dir, signal);
    assert.equal(stopped.code, exitCode, `exit status (signal ${stopped.signal}); stderr: ${stopped.stderr.slice(-600)}`);
    assert.match(stopped.stderr, new RegExp(`${signal === 'SIGINT' ? 'interrupt' : 'SIGTERM'}: finishing this step and saving a checkpoint`));
    assert.match(stopped.stderr, /stopped at epoch 2, step \d+; checkpoint .*ckpt-e0001-s\d+ \(to continue, run the same command again \(wsol train: add --resume\)\)/);
    // It stopped before the next progress line (step 20 of epoch 2): within a few steps of the signal.
    assert.doesNotMatch(stopped.stderr, /epoch 2\/3 \[[#.]+\] 20\/40 /);
    const state = latestState(dir);
    assert.equal(state.epochsDone, 1);
    assert.ok(state.step >= 50 && state.step < 60, `stopped mid-epoch 2, at step ${state.step}`);
    assert.equal(state.partialEpoch?.steps, state.step - 40, 'the checkpoint carries the sums of the steps done in epoch 2');
    assert.equal(fs.existsSync(path.join(dir, 'metrics.json')), false);

    const resumed = runCli(['train', '--out', dir, '--resume']);
    assert.equal(resumed.code, 0, resumed.stderr);
    assert.match(resumed.stderr, /resumed from/);
    assertSameAsUninterrupted(dir);
  });
}

test('kill -9 in the middle of an epoch, then --resume: weights, metrics and history identical to an uninterrupted run', async () => {
  const dir = path.join(tmp('kill9'), 'run');
  const killed = await stopMidEpoch(dir, 'SIGKILL');
  assert.equal(killed.signal, 'SIGKILL');
  assert.equal(latestState(dir).epochsDone, 1, 'killed inside epoch 2');
  const resumed = runCli([...COMMON, '--out', dir, '--resume']);
  assert.equal(resumed.code, 0, resumed.stderr);
  assertSameAsUninterrupted(dir);
});

test('wsol reproduce stops on SIGINT inside a training, exits 130 without writing results, and the same command continues', async () => {
  const out = path.join(tmp('rep-sigint'), 'out');
  const args = ['reproduce', '--methods', 'cam', '--seeds', '1', '--epochs', '3', '--image-size', '32', '--batch-size', '8', '--limit', '320', '--eval-limit', '32', '--out', out];
  const child = launch(args);
  let stderr = '';
  let sent = false;
  const timer = setTimeout(() => child.kill('SIGKILL'), 240_000);
  child.stderr!.on('data', (chunk: Buffer) => {
    stderr += chunk.toString();
    if (!sent && /\] epoch 1: loss/.test(stderr)) {
      sent = true;
      child.kill('SIGINT');
    }
  });
  const code = await new Promise((resolve) => child.on('exit', (c) => resolve(c)));
  clearTimeout(timer);
  assert.equal(code, 130, stderr.slice(-600));
  assert.match(stderr, /interrupt: finishing this step and saving a checkpoint/);
  assert.doesNotMatch(stderr, /\] epoch 2: loss/, 'it stopped inside epoch 2');
  // The run folder sits under runs/ (reproduce chooses the layout): find the one checkpointed run.
  const runs = (fs.readdirSync(path.join(out, 'runs'), { recursive: true }) as string[]).filter((p) => p.endsWith(path.join('checkpoints', 'latest.json')));
  assert.equal(runs.length, 1, `one stopped run: ${runs.join(', ')}`);
  const run = path.dirname(path.dirname(path.join(out, 'runs', runs[0])));
  assert.equal(latestState(run).epochsDone, 1);
  assert.equal(fs.existsSync(path.join(out, 'results.json')), false, 'no results table from a stopped run');
  const again = runCli(args);
  assert.equal(again.code, 0, again.stderr);
  assert.match(again.stderr, /resumed from/);
  assert.equal(JSON.parse(fs.readFileSync(path.join(out, 'results.json'), 'utf8')).rows.length, 1);
});

test('--resume with another option names it; a longer --epochs on a finished run says how to go on', () => {
  const ref = uninterrupted();
  const copy = path.join(tmp('mismatch'), 'run');
  fs.cpSync(ref, copy, { recursive: true });
  const lr = runCli([...COMMON, '--lr', '0.01', '--out', copy, '--resume']);
  assert.equal(lr.code, 1);
  assert.match(lr.stderr, /--resume: the options differ from the run's config\.json in .*: optimizer\.learningRate \(run: 0\.002, now: 0\.01\)\. Resume with the run's own options/);
  const longer = runCli(['train', '--out', copy, '--resume', '--epochs', '5']);
  assert.equal(longer.code, 1);
  assert.match(longer.stderr, /is a run of 3 epochs and its learning-rate schedule \(cosine\) spans those steps; it cannot be extended to 5 epochs .*Train a new run with --epochs 5 and another --out/);
  const noRun = runCli(['train', '--out', path.join(tmp('norun'), 'x'), '--resume']);
  assert.equal(noRun.code, 1);
  assert.match(noRun.stderr, /--resume: .* holds no run to resume/);
});

test("a notebook's step loop stops at the next step after SIGINT, with a checkpoint, and can go on", async () => {
  await initBackend();
  const dir = path.join(tmp('nb-sigint'), 'run');
  const dataset = partsDataset({ seed: 2, imageSize: 32, sizes: { train: 64, val: 8, test: 8 } });
  const s = await TrainingSession.open(
    { method: 'cam', epochs: 1, imageSize: 32, batchSize: 8, evalLimit: 8, probes: 0, methodOptions: { tinyWidth: 4, headWidth: 8 }, backboneInit: 'scratch' },
    { outDir: dir, dataset },
  );
  try {
    await s.step();
    await s.step();
    process.kill(process.pid, 'SIGINT'); // what "interrupt kernel" sends
    await assert.rejects(s.step(), (err: Error) => err instanceof TrainingInterruptedError && err.signal === 'SIGINT' && err.step === 2 && /checkpoint .*ckpt-e0000-s2/.test(err.message));
    assert.equal(s.progress.step, 2, 'no step after the signal');
    assert.ok(fs.existsSync(path.join(dir, 'checkpoints', 'ckpt-e0000-s2', 'state.json')));
    // The session is still usable: the epoch goes on from step 2 and its record covers all 8 steps.
    const rec = await s.finishEpoch();
    assert.equal(rec.steps, 8);
    assert.ok(Number.isFinite(rec.loss));
  } finally {
    s.model.net.dispose();
    s.close();
  }
  assert.equal(process.listenerCount('SIGINT'), 0, 'closing the session removes its signal handlers');
});
