import { test } from 'node:test';
import assert from 'node:assert/strict';
import { comparisonMarkdown, resultsMarkdown, valChosenGtKnown, type ResultRow } from '../../src/train/reproduce';
import type { LocalizationMetrics } from '../../src/localize/localization-evaluator';

function row(method: string, seed: number, maxBoxAccV2: number, gtVal: number): ResultRow {
  return {
    method, dataset: 'parts', seed, trainSeconds: 10, imagesPerSecond: 100, valThreshold: 0.3, gtKnownLocValThreshold: gtVal, runDir: 'x',
    top1Cls: 90, top5Cls: 100, top1Loc: 50, top5Loc: 50, gtKnownLoc: 50, maxBoxAcc: 50, maxBoxAccV2, pxap: null,
  };
}

test('results table: mean ± sample std over seeds and every seed listed', () => {
  const md = resultsMarkdown([row('cam', 1, 50, 40), row('cam', 2, 54, 44), row('ours', 1, 60, 52), row('ours', 2, 62, 58)]);
  // cam MaxBoxAccV2: mean 52, sample std sqrt(((50-52)^2 + (54-52)^2) / 1) = 2.83
  assert.match(md, /\| cam \|.*\| 52\.0 ± 2\.8 \|/);
  assert.match(md, /\| ours \| 2 \|/, 'per-seed rows');
});

test('comparison with CAM is computed per seed and checks the acceptance rules', () => {
  const rows = [row('cam', 1, 50, 40), row('cam', 2, 54, 44), row('ours', 1, 60, 52), row('ours', 2, 53, 58), row('acol', 1, 70, 0), row('acol', 2, 70, 0)];
  const md = comparisonMarkdown(rows);
  // ours - cam MaxBoxAccV2: +10, -1 -> mean +4.5; GT-known: +12, +14 -> +13
  assert.match(md, /MaxBoxAccV2 \+10\.0 \/ -1\.0 \(mean \+4\.5\)/);
  assert.match(md, /threshold \+12\.0 \/ \+14\.0 \(mean \+13\.0\)/);
  assert.match(md, /NOT met: MaxBoxAccV2 at least 5 points above CAM/);
  assert.match(md, /- met: GT-known \(val thr\.\) at least 10 points above CAM/);
  assert.match(md, /NOT met: no seed below CAM/);
  assert.match(md, /NOT met: MaxBoxAccV2 at least the best other baseline \(acol, 70\.0\)/);
});

test('GT-known at the val-chosen threshold reads the test curve at val\'s best threshold', () => {
  const curves = (gtKnown: number[]) => ({ curves: { thresholds: [0, 0.1, 0.2, 0.3], gtKnown } }) as unknown as LocalizationMetrics;
  const chosen = valChosenGtKnown(curves([10, 30, 20, 5]), curves([40, 25, 60, 1]));
  assert.deepEqual(chosen, { threshold: 0.1, gtKnown: 25 }, 'test\'s own best (60) is never used');
  assert.deepEqual(valChosenGtKnown(null, curves([1, 2, 3, 4])), { threshold: null, gtKnown: null });
});
