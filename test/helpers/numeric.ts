/** Shared helpers for numeric parity tests. */
import { Rng } from '../../src/common/rng';

/** Seeded uniform values in [-scale, scale) for a tensor of `shape`. */
export function random(shape: number[], seed: number, scale = 1): Float32Array {
  const r = new Rng(seed);
  return Float32Array.from({ length: shape.reduce((a, b) => a * b, 1) }, () => (r.next() * 2 - 1) * scale);
}

/** Largest |a - b| relative to the largest |b| (so near-zero entries do not blow up the ratio). */
export function relError(a: ArrayLike<number>, b: ArrayLike<number>): number {
  if (a.length !== b.length) throw new Error(`relError: lengths differ (${a.length} vs ${b.length})`);
  let num = 0;
  let den = 0;
  for (let i = 0; i < b.length; i++) {
    num = Math.max(num, Math.abs(a[i] - b[i]));
    den = Math.max(den, Math.abs(b[i]));
  }
  return num / Math.max(den, 1e-12);
}
