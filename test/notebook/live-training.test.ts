/**
 * Live training: steps drawn in place, calls that continue, the plan's end, a real SIGINT, and a
 * finished run reopened from disk. The display is a recorder of the HTML each redraw sends (the
 * Jupyter test counts the kernel's real update_display_data messages).
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import * as tf from '@tensorflow/tfjs-core';
import { initBackend } from '../../src/backend/select';
import { partsDataset } from '../../src/data/parts-dataset';
import { LiveTraining, pastPlanNote, type LiveDisplay } from '../../src/notebook/live-training';
import { resolveTrainConfig } from '../../src/train/config';
import { learningRateAt } from '../../src/train/schedule';

const sizes = { train: 32, val: 8, test: 0 };
const tiny = { method: 'ours', epochs: 2, batchSize: 8, probes: 2, evalLimit: 8, snapshotEvery: 1 };

/** Every redraw of every display, as [display index, data-step]. */
function recorder() {
  const updates: { display: number; step: number; html: string }[] = [];
  let n = 0;
  const factory = (): LiveDisplay => {
    const display = n++;
    return { update: (html) => updates.push({ display, step: Number(/data-step="(\d+)"/.exec(html)![1]), html }) };
  };
  return { updates, factory };
}

test('train(n) runs n steps redrawn in one display, a second call continues, the plan end runs nothing and says what the learning rate does', async () => {
  await initBackend();
  const dir = path.join(fs.mkdtempSync(path.join(os.tmpdir(), 'wsol-live-')), 'run');
  const dataset = partsDataset({ sizes });
  const rec = recorder();
  const tensorsBefore = tf.memory().numTensors;
  const live = await LiveTraining.open(dir, tiny, { dataset, dataKey: 'a', display: rec.factory });
  assert.equal(live.totalSteps, 8);
  const first = await live.train(5);
  assert.deepEqual([first.from, first.to, first.interrupted], [0, 5, false]);
  const d0 = rec.updates.filter((u) => u.display === 0);
  assert.ok(d0.length >= 6, `one redraw before and after each step, got ${d0.length}`);
  assert.deepEqual(d0.map((u) => u.step), [0, 1, 2, 3, 4, 5, 5]);
  const last = d0.at(-1)!.html;
  for (const title of ['A on image A', 'B on image B', 'target', 'full image']) assert.ok(last.includes(title), `probe column ${title}`);
  assert.match(last, /IoU \d\.\d\d/);
  assert.match(last, /<path d="M[^"]+L/, 'the loss curve has a line');
  assert.match(last, /epoch 1: loss [\d.]+, val Top-1/, 'the first epoch (4 steps) was validated');
  // Continues where it stopped, in a new display; stops at the plan's end and finishes the run.
  const second = await live.train(10);
  assert.deepEqual([second.from, second.to], [5, 8]);
  assert.ok(live.done);
  assert.equal(second.note, `Finished: 8 steps; the model is saved in ${live.outDir}. ${pastPlanNote(resolveTrainConfig(tiny), 8, 4, 7)}`);
  assert.match(second.note!, /7 of the steps asked for did not run/);
  assert.ok(rec.updates.filter((u) => u.display === 1).every((u, i, a) => i === 0 || u.step >= a[i - 1].step));
  assert.ok(fs.existsSync(path.join(live.outDir, 'model', 'model.json')));
  assert.equal(path.dirname(live.outDir), dir, 'the run lives inside the folder the notebook named');
  // Past the plan: nothing runs, and the note's learning rate is the schedule's value past the end.
  const third = await live.train(3);
  assert.deepEqual([third.from, third.to], [8, 8]);
  const config = resolveTrainConfig(tiny);
  const beyond = learningRateAt(config.optimizer.learningRate, config.schedule, 11, 8, 4);
  assert.equal(config.schedule.name, 'cosine');
  assert.equal(beyond, 0);
  assert.match(third.note!, /cosine schedule keeps the learning rate at its last value, 0\.00+, so more steps would not change the weights/);
  const run = await live.result();
  assert.equal(run.history.length, 2);
  // The branches' coverage was recorded before training and after each epoch, over the validation images.
  const coverage = live.branchCoverage;
  assert.deepEqual(coverage.map((r) => [r.epoch, r.step, r.images]), [[0, 0, 8], [1, 4, 8], [2, 8, 8]]);
  for (const r of coverage) assert.ok(r.recallUnion >= Math.max(r.recallA, r.recallB) - 1e-12 && r.overlap >= 0 && r.overlap <= 1, JSON.stringify(r));
  run.model.net.dispose();
  assert.equal(tf.memory().numTensors, tensorsBefore, 'no tensor left behind');
  // Reopened: the finished run is loaded, and drawn with its losses.
  const reopened = await LiveTraining.open(dir, tiny, { dataset, dataKey: 'a', display: rec.factory });
  assert.ok(reopened.done);
  const r = await reopened.train();
  assert.match(r.note!, /finished earlier with the same settings/);
  assert.equal((rec.updates.at(-1)!.html.match(/L/g) ?? []).length > 7, true);
  (await reopened.result()).model.net.dispose();
});

test('the plan-end note states each schedule\'s last learning rate', () => {
  const constant = resolveTrainConfig({ schedule: { name: 'constant', milestones: [], gamma: 0.1, warmupSteps: 0 } });
  assert.match(pastPlanNote(constant, 10, 5, 1), new RegExp(`constant schedule keeps the learning rate at its last value, ${constant.optimizer.learningRate.toPrecision(3)}\\.`));
  const step = resolveTrainConfig({ epochs: 4, schedule: { name: 'step', milestones: [2], gamma: 0.1, warmupSteps: 0 } });
  assert.match(pastPlanNote(step, 20, 5, 1), new RegExp(`last value, ${(step.optimizer.learningRate * 0.1).toPrecision(3)}\\.`));
});

test('a real SIGINT stops training within two steps with a checkpoint, and the next call continues', async () => {
  await initBackend();
  const dir = path.join(fs.mkdtempSync(path.join(os.tmpdir(), 'wsol-live-int-')), 'run');
  const dataset = partsDataset({ sizes: { train: 64, val: 8, test: 0 } });
  let sentAt = -1;
  const display = (): LiveDisplay => ({
    update: (html) => {
      const step = Number(/data-step="(\d+)"/.exec(html)![1]);
      if (step === 2 && sentAt < 0) {
        sentAt = step;
        process.kill(process.pid, 'SIGINT');
      }
    },
  });
  const live = await LiveTraining.open(dir, { ...tiny, method: 'cam', epochs: 1 }, { dataset, dataKey: 'a', display });
  const r = await live.train(8);
  assert.equal(r.interrupted, true);
  assert.ok(r.to >= sentAt && r.to <= sentAt + 2, `stopped at step ${r.to}, signal after step ${sentAt}`);
  assert.match(r.note!, new RegExp(`Interrupted at step ${r.to}: a checkpoint is saved`));
  assert.ok(fs.readdirSync(path.join(live.outDir, 'checkpoints')).some((c) => new RegExp(`-s0*${r.to}$`).test(c)), 'a checkpoint at the step it stopped');
  const next = await live.train(2);
  assert.deepEqual([next.from, next.to, next.interrupted], [r.to, r.to + 2, false]);
  await live.close();
});
