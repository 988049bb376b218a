/**
 * The difference between two methods run on the same seeds: per seed, its mean, and a 95%
 * interval from Student's t distribution with n - 1 degrees of freedom (the seeds are the pairs).
 */

/**
 * P(|T| < t) for Student's t with `df` (a positive integer) degrees of freedom: the closed form
 * for integer df (a finite series in cos(theta), theta = atan(t / sqrt(df))).
 */
export function studentTCentralProbability(t: number, df: number): number {
  if (!Number.isInteger(df) || df < 1) throw new Error(`degrees of freedom must be a positive integer, got ${df}`);
  const theta = Math.atan(Math.abs(t) / Math.sqrt(df));
  const c2 = Math.cos(theta) ** 2;
  const s = Math.sin(theta);
  if (df % 2 === 1) {
    // (2/pi) (theta + sin cos (1 + 2/3 cos^2 + (2*4)/(3*5) cos^4 + ...)), df - 1 terms of cos in all
    let term = Math.cos(theta);
    let sum = df > 1 ? term : 0;
    for (let k = 3; k <= df - 2; k += 2) {
      term *= ((k - 1) / k) * c2;
      sum += term;
    }
    return (2 / Math.PI) * (theta + s * sum);
  }
  // sin (1 + 1/2 cos^2 + (1*3)/(2*4) cos^4 + ...)
  let term = 1;
  let sum = 1;
  for (let k = 2; k <= df - 2; k += 2) {
    term *= ((k - 1) / k) * c2;
    sum += term;
  }
  return s * sum;
}

/** The t with P(|T| < t) = `level` (0.95 gives the two-sided 95% critical value), by bisection. */
export function studentTCritical(df: number, level = 0.95): number {
  if (!(level > 0 && level < 1)) throw new Error(`level must be in (0, 1), got ${level}`);
  let lo = 0;
  let hi = 1;
  while (studentTCentralProbability(hi, df) < level) hi *= 2;
  for (let i = 0; i < 200 && hi - lo > 1e-12 * hi; i++) {
    const mid = (lo + hi) / 2;
    if (studentTCentralProbability(mid, df) < level) lo = mid;
    else hi = mid;
  }
  return (lo + hi) / 2;
}

export interface PairedDifference {
  /** a - b, one value per seed, in the order given. */
  perSeed: number[];
  n: number;
  mean: number;
  /** The 95% interval of the mean difference; null with fewer than 2 seeds. */
  interval: { low: number; high: number } | null;
}

/** Summarises per-seed differences: the mean and the paired t interval. */
export function pairedDifference(perSeed: number[], level = 0.95): PairedDifference {
  const n = perSeed.length;
  const mean = n > 0 ? perSeed.reduce((a, b) => a + b, 0) / n : NaN;
  if (n < 2) return { perSeed, n, mean, interval: null };
  const sd = Math.sqrt(perSeed.reduce((a, d) => a + (d - mean) ** 2, 0) / (n - 1));
  const half = (studentTCritical(n - 1, level) * sd) / Math.sqrt(n);
  return { perSeed, n, mean, interval: { low: mean - half, high: mean + half } };
}
