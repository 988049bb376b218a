import { test } from 'node:test';
import assert from 'node:assert/strict';
import { spawn, spawnSync } from 'node:child_process';
import * as fs from 'fs';
import * as os from 'os';
import * as path from 'path';
import * as tf from '@tensorflow/tfjs-core';
import { initBackend } from '../../src/backend/select';
import { partsDataset } from '../../src/data/parts-dataset';
import type { TrainConfig } from '../../src/train/config';
import type { SnapshotFile } from '../../src/train/snapshot-types';
import { train, TrainingDivergedError } from '../../src/train/trainer';

const tiny: Partial<TrainConfig> = {
  method: 'ours',
  epochs: 2,
  imageSize: 32,
  batchSize: 8,
  seed: 5,
  methodOptions: { tinyWidth: 4, headWidth: 8 },
  backboneInit: 'scratch',
  probes: 2,
};
const smallParts = () => partsDataset({ imageSize: 32, sizes: { train: 48, val: 16, test: 16 } });

test('training records history, snapshots, coverage and a final model; tensors do not grow across epochs', async () => {
  await initBackend();
  const out = fs.mkdtempSync(path.join(os.tmpdir(), 'wsol-train-'));
  const counts: number[] = [];
  // The union target (max of both branch maps), so that the coverage check below has a known answer.
  const result = await train({ ...tiny, epochs: 3, methodOptions: { ...tiny.methodOptions, loss: { fuseTarget: 'union' } } }, {
    outDir: out,
    dataset: smallParts(),
    callbacks: { onEpoch: () => counts.push(tf.memory().numTensors) },
  });
  assert.equal(result.history.length, 3);
  assert.equal(counts[1], counts[0], `tensors after epoch 1 and 2: ${counts}`);
  assert.equal(counts[2], counts[1]);
  for (const f of ['config.json', 'history.json', 'snapshots.json', 'metrics.json', 'model/model.json', 'model/weights.bin']) {
    assert.ok(fs.existsSync(path.join(out, f)), f);
  }
  const snaps = JSON.parse(fs.readFileSync(path.join(out, 'snapshots.json'), 'utf8')) as SnapshotFile;
  assert.equal(snaps.probes.length, 2);
  assert.equal(snaps.snapshots.length, 4); // initial + one per epoch
  const s = snaps.snapshots[3];
  assert.equal(s.probes[0].branchA!.length, s.mapWidth * s.mapHeight);
  assert.equal(snaps.coverage.length, 3);
  const c = snaps.coverage[2];
  assert.ok(c.union! >= Math.max(c.branchA!, c.branchB!) - 1e-12, 'the union covers at least what each branch covers');
  result.model.net.dispose();
  await assert.rejects(train(tiny, { outDir: out, dataset: smallParts() }), /already holds a run.*--resume/);
});

test('a NaN loss stops training with a clear message and keeps the last good checkpoint', async () => {
  await initBackend();
  const out = fs.mkdtempSync(path.join(os.tmpdir(), 'wsol-nan-'));
  await assert.rejects(
    train({ ...tiny, method: 'cam', epochs: 3, optimizer: { learningRate: 1e30 } as TrainConfig['optimizer'] }, { outDir: out, dataset: smallParts() }),
    (err: Error) => err instanceof TrainingDivergedError && /training diverged: loss is (NaN|Infinity)/.test(err.message) && /--lr/.test(err.message),
  );
});

function runCli(args: string[]): { code: number | null; stdout: string; stderr: string } {
  const r = spawnSync(process.execPath, ['bin/wsol.js', ...args], { encoding: 'utf8' });
  return { code: r.status, stdout: r.stdout, stderr: r.stderr };
}

test('a run killed mid-epoch and resumed ends with the same metrics as an uninterrupted run', async () => {
  const root = fs.mkdtempSync(path.join(os.tmpdir(), 'wsol-resume-'));
  const common = ['train', '--method', 'cam', '--epochs', '3', '--image-size', '32', '--batch-size', '8', '--limit', '96', '--eval-limit', '32', '--seed', '3'];
  const full = runCli([...common, '--out', path.join(root, 'full')]);
  assert.equal(full.code, 0, full.stderr);
  // Kill the second run once its first checkpoint exists and it is inside epoch 2.
  const killedDir = path.join(root, 'killed');
  const child = spawn(process.execPath, ['bin/wsol.js', ...common, '--out', killedDir], { stdio: 'ignore' });
  const exited = new Promise((r) => child.on('exit', r));
  await new Promise<void>((resolve, reject) => {
    // Give up (and end the child) rather than hang when no checkpoint ever appears.
    const deadline = Date.now() + 180_000;
    const timer = setInterval(() => {
      const pointer = path.join(killedDir, 'checkpoints', 'latest.json');
      if (fs.existsSync(pointer)) {
        clearInterval(timer);
        setTimeout(() => {
          child.kill('SIGKILL');
          resolve();
        }, 300);
      } else if (Date.now() > deadline || child.exitCode !== null) {
        clearInterval(timer);
        child.kill('SIGKILL');
        reject(new Error(`no checkpoint in ${killedDir} after ${child.exitCode !== null ? `the run exited (${child.exitCode})` : '180 s'}`));
      }
    }, 50);
  });
  await exited;
  assert.ok(!fs.existsSync(path.join(killedDir, 'metrics.json')), 'the killed run did not finish');
  const resumed = runCli([...common, '--out', killedDir, '--resume']);
  assert.equal(resumed.code, 0, resumed.stderr);
  assert.match(resumed.stderr, /resumed from/);
  const a = JSON.parse(fs.readFileSync(path.join(root, 'full', 'metrics.json'), 'utf8'));
  const b = JSON.parse(fs.readFileSync(path.join(killedDir, 'metrics.json'), 'utf8'));
  for (const k of ['top1Cls', 'gtKnownLoc', 'maxBoxAcc', 'maxBoxAccV2', 'pxap']) assert.equal(b[k], a[k], k);
  const wa = fs.readFileSync(path.join(root, 'full', 'model', 'weights.bin'));
  const wb = fs.readFileSync(path.join(killedDir, 'model', 'weights.bin'));
  assert.ok(wa.equals(wb), 'identical final weights');
});
