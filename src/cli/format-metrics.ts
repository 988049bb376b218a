import type { LocalizationMetrics } from '../localize/localization-evaluator';

/** One line with the headline numbers (percent). */
export function metricsSummary(m: LocalizationMetrics): string {
  const f = (v: number | null) => (v === null || !Number.isFinite(v) ? 'n/a' : v.toFixed(1));
  return (
    `Top-1 Cls ${f(m.top1Cls)}  Top-1 Loc ${f(m.top1Loc)}  GT-known Loc ${f(m.gtKnownLoc)}  ` +
    `MaxBoxAcc ${f(m.maxBoxAcc)}  MaxBoxAccV2 ${f(m.maxBoxAccV2)}  PxAP ${f(m.pxap)}`
  );
}
