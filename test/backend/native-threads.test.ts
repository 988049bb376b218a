/** The native kernels' thread policy (src/backend/native/thread-policy.ts). */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { chooseThreads, threadSettingFromEnv, ThreadGovernor } from '../../src/backend/native/thread-policy';

test('all threads on an idle machine, one when other programs keep the cores busy', () => {
  // This process alone: its own busy threads do not count as load.
  assert.equal(chooseThreads({ cores: 2, maxThreads: 2, loadAverage: 2, ownCpuRate: 1.9 }), 2);
  assert.equal(chooseThreads({ cores: 2, maxThreads: 2, loadAverage: 0.3, ownCpuRate: 0 }), 2);
  // Another program keeps a core busy, or the machine is oversubscribed.
  assert.equal(chooseThreads({ cores: 2, maxThreads: 2, loadAverage: 2, ownCpuRate: 1 }), 1);
  assert.equal(chooseThreads({ cores: 2, maxThreads: 2, loadAverage: 9, ownCpuRate: 0.5 }), 1);
  // Bigger machines keep the idle cores; never above OpenMP's maximum, never below 1.
  assert.equal(chooseThreads({ cores: 16, maxThreads: 16, loadAverage: 4, ownCpuRate: 0 }), 12);
  assert.equal(chooseThreads({ cores: 16, maxThreads: 8, loadAverage: 0, ownCpuRate: 0 }), 8);
  assert.equal(chooseThreads({ cores: 4, maxThreads: 4, loadAverage: 40, ownCpuRate: 0 }), 1);
});

test('WSOL_NATIVE_THREADS: all threads by default (reproducible), a fixed number, or auto; bad values are named', () => {
  assert.equal(threadSettingFromEnv({}), 'max');
  assert.equal(threadSettingFromEnv({ WSOL_NATIVE_THREADS: '1' }), 1);
  assert.equal(threadSettingFromEnv({ WSOL_NATIVE_THREADS: 'AUTO' }), 'auto');
  assert.throws(() => threadSettingFromEnv({ WSOL_NATIVE_THREADS: 'two' }), /WSOL_NATIVE_THREADS="two" must be a positive integer, "max" or "auto"/);
  const set: number[] = [];
  const fixed = new ThreadGovernor(2, (n) => (set.push(n), n), 1);
  fixed.tick();
  assert.deepEqual(set, [1]);
  const byDefault = new ThreadGovernor(2, (n) => (set.push(n), n), 'max');
  byDefault.tick();
  assert.deepEqual(set, [1, 2]);
  assert.equal(byDefault.adaptive, false);
  assert.equal(new ThreadGovernor(2, (n) => n, 'auto').adaptive, true);
});
