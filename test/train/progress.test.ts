import { test } from 'node:test';
import assert from 'node:assert/strict';
import type { LocalizationMetrics } from '../../src/localize/localization-evaluator';
import { formatEpoch, metricsSummary } from '../../src/train/progress';
import type { EpochRecord } from '../../src/train/snapshot-types';

const rec: EpochRecord = { epoch: 2, steps: 20, loss: 0.123456, terms: {}, trainAcc: 0.5, valTop1Cls: 81.25, valGtKnownLoc: 50, valMaxBoxAccV2: 44.44, imagesPerSec: 100, seconds: 12.34 };

test('one epoch line for the CLI, reproduce and the notebooks', () => {
  assert.equal(formatEpoch(rec), 'epoch 2: loss 0.1235, val Top-1 Cls 81.3  GT-known Loc 50.0  MaxBoxAccV2 44.4 (12.3 s)');
  const m = { top1Cls: 90, top1Loc: 40, gtKnownLoc: 45, maxBoxAcc: 41, maxBoxAccV2: 39.96, pxap: null } as unknown as LocalizationMetrics;
  assert.equal(metricsSummary(m), 'Top-1 Cls 90.0  Top-1 Loc 40.0  GT-known Loc 45.0  MaxBoxAcc 41.0  MaxBoxAccV2 40.0  PxAP n/a');
  assert.equal(formatEpoch(rec, m), `epoch 2: loss 0.1235, val ${metricsSummary(m)} (12.3 s)`);
});
