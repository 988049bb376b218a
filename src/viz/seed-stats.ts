/** Mean and sample standard deviation over seeds, per method, of any numeric result field. */

export interface MeanStd {
  mean: number;
  /** Sample standard deviation (0 with a single seed). */
  std: number;
  n: number;
}

export function meanStd(values: number[]): MeanStd {
  const v = values.filter((x) => Number.isFinite(x));
  if (v.length === 0) return { mean: NaN, std: NaN, n: 0 };
  const mean = v.reduce((a, b) => a + b, 0) / v.length;
  const std = v.length > 1 ? Math.sqrt(v.reduce((a, b) => a + (b - mean) ** 2, 0) / (v.length - 1)) : 0;
  return { mean, std, n: v.length };
}

export const formatMeanStd = (s: MeanStd, digits = 1): string =>
  s.n === 0 ? 'n/a' : s.n === 1 ? s.mean.toFixed(digits) : `${s.mean.toFixed(digits)} ± ${s.std.toFixed(digits)}`;

/** method -> field -> mean ± std over the rows of that method (methods in first-seen order). */
export function statsByMethod<R extends { method: string }>(rows: R[], fields: (keyof R & string)[]): Map<string, Record<string, MeanStd>> {
  const out = new Map<string, Record<string, MeanStd>>();
  for (const method of [...new Set(rows.map((r) => r.method))]) {
    const mine = rows.filter((r) => r.method === method);
    const rec: Record<string, MeanStd> = {};
    for (const f of fields) rec[f] = meanStd(mine.map((r) => r[f] as unknown as number).filter((x) => typeof x === 'number'));
    out.set(method, rec);
  }
  return out;
}

/** Element-wise mean of equally long curves (e.g. one threshold sweep per seed). */
export function meanCurve(curves: number[][]): number[] {
  if (curves.length === 0) return [];
  const n = curves[0].length;
  if (curves.some((c) => c.length !== n)) throw new Error('meanCurve: curves differ in length');
  return Array.from({ length: n }, (_, i) => curves.reduce((a, c) => a + c[i], 0) / curves.length);
}
