import { test } from 'node:test';
import assert from 'node:assert/strict';
import { Rng } from '../../src/common/rng';

test('same seed, same sequence; state save/restore continues exactly', () => {
  const a = new Rng(42);
  const b = new Rng(42);
  const xs = Array.from({ length: 5 }, () => a.next());
  assert.deepEqual(xs, Array.from({ length: 5 }, () => b.next()));
  const saved = a.getState();
  const next = a.next();
  const c = new Rng(0);
  c.setState(saved);
  assert.equal(c.next(), next);
});

test('derived generators differ by key and are uniform enough', () => {
  assert.notEqual(Rng.derive(1, 0).next(), Rng.derive(1, 1).next());
  assert.equal(Rng.derive(1, 5, 7).next(), Rng.derive(1, 5, 7).next());
  const r = new Rng(7);
  const n = 20000;
  let sum = 0;
  const buckets = new Array(10).fill(0);
  for (let i = 0; i < n; i++) {
    const v = r.next();
    assert.ok(v >= 0 && v < 1);
    sum += v;
    buckets[Math.floor(v * 10)]++;
  }
  assert.ok(Math.abs(sum / n - 0.5) < 0.01);
  for (const b of buckets) assert.ok(Math.abs(b - n / 10) < 0.05 * n / 10 * 3);
  const perm = new Rng(3).shuffle([0, 1, 2, 3, 4, 5]);
  assert.deepEqual([...perm].sort(), [0, 1, 2, 3, 4, 5]);
});
