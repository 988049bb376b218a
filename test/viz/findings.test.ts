import { test } from 'node:test';
import assert from 'node:assert/strict';
import { boxStats, boxVerdict, camFindings, comparisonFindings, fusionTargetFinding, nearChance, ownImagesFindings, samplingErrorPoints, splitBoxFindings, trainingFindings } from '../../src/viz/findings';
import { formatMeanStd, meanCurve, meanStd, statsByMethod } from '../../src/viz/seed-stats';
import type { EpochRecord } from '../../src/train/snapshot-types';

const epoch = (e: number, top1: number, terms: Record<string, number> = {}): EpochRecord => ({ epoch: e, steps: 50 * e, loss: 1, terms, trainAcc: 0, valTop1Cls: top1, valGtKnownLoc: 20, valMaxBoxAccV2: 30, imagesPerSec: 1, seconds: 1 });

test('mean and sample std over seeds, formatted', () => {
  const s = meanStd([10, 12, 14]);
  assert.equal(s.mean, 12);
  assert.equal(s.std, 2);
  assert.equal(formatMeanStd(s), '12.0 ± 2.0');
  assert.equal(formatMeanStd(meanStd([5])), '5.0');
  assert.equal(formatMeanStd(meanStd([])), 'n/a');
  const by = statsByMethod([{ method: 'a', v: 1 }, { method: 'b', v: 3 }, { method: 'a', v: 3 }], ['v']);
  assert.deepEqual([...by.keys()], ['a', 'b']);
  assert.equal(by.get('a')!.v.mean, 2);
  assert.deepEqual(meanCurve([[0, 2], [2, 4]]), [1, 3]);
});

test('training findings quote the measured values and call chance by its name', () => {
  assert.ok(nearChance(15, 8) && !nearChance(40, 8));
  const full = { recall: 1, background: 0.9, iou: 0.2 };
  const lines = trainingFindings({
    history: [epoch(1, 12.5, { fuse: 0, fuseGate: 0 }), epoch(2, 14.1, { fuse: 0, fuseGate: 0 })],
    agreement: [{ step: 0, epoch: -1, maps: { full: { recall: 0.5, background: 0.5, iou: 0.3 } } }, { step: 100, epoch: 1, maps: { full } }],
    numClasses: 8,
    threshold: 0.5,
    quick: false,
  });
  const text = lines.join('\n');
  assert.match(text, /at or near chance: validation Top-1 14\.1% against 12\.5%/);
  assert.match(text, /No image passed the fusion gate/);
  assert.match(text, /covers 100% of the GT box and 90% of the background \(IoU 20%\) — it lights up most of the image/);
  assert.match(text, /30% at the start, 20% at the end \(-10 points\)/);
  assert.doesNotMatch(text, /Quick mode/);
  const learned = trainingFindings({ history: [epoch(1, 80, { fuseGate: 0.2 }), epoch(2, 90, { fuseGate: 0.7 })], agreement: [], numClasses: 8, threshold: 0.5, quick: true }).join('\n');
  assert.match(learned, /Quick mode/);
  assert.match(learned, /learned: validation Top-1 90\.0%/);
  assert.match(learned, /from epoch 1 on \(share per epoch 0\.20, 0\.70\)/);
  // The fusion term is compared only over epochs where most images passed the gate.
  const gated = trainingFindings({ history: [epoch(1, 60, { fuse: 0.05, fuseGate: 0.1 }), epoch(2, 90, { fuse: 0.2, fuseGate: 0.6 }), epoch(3, 95, { fuse: 0.1, fuseGate: 0.9 })], agreement: [], numClasses: 8, threshold: 0.5, quick: false }).join('\n');
  assert.match(gated, /fusion term went from 0\.200 \(epoch 2\) to 0\.100 \(epoch 3\): the full-image maps moved towards the target/);
  assert.match(learned, /fewer than two epochs, too few to tell/);
});

test('comparison findings: a difference within the seed spread is no conclusion, a larger one is', () => {
  const stats = (ours: number[], cam: number[]) =>
    new Map([
      ['cam', { top1Cls: meanStd([90, 91]), maxBoxAccV2: meanStd(cam) }],
      ['ours', { top1Cls: meanStd([90, 92]), maxBoxAccV2: meanStd(ours) }],
    ]);
  const close = comparisonFindings({ stats: stats([50, 54], [49, 51]), numClasses: 8, quick: false, metric: 'maxBoxAccV2', metricName: 'MaxBoxAccV2' }).join('\n');
  assert.match(close, /ours vs cam: \+2\.0 points, within the spread over seeds/);
  assert.match(close, /best first: ours 52\.0 ± 2\.8, cam 50\.0 ± 1\.4/);
  const far = comparisonFindings({ stats: stats([70, 72], [49, 51]), numClasses: 8, quick: false, metric: 'maxBoxAccV2', metricName: 'MaxBoxAccV2' }).join('\n');
  assert.match(far, /ours is ahead of cam by 21\.0 points/);
  const whole = comparisonFindings({ stats: stats([70, 72], [49, 51]), numClasses: 8, quick: true, metric: 'maxBoxAccV2', metricName: 'MaxBoxAccV2', agreement: new Map([['cam', { recall: 1, background: 0.8, iou: 0.3 }]]) }).join('\n');
  assert.match(whole, /Quick mode/);
  assert.match(whole, /light up most of the background on the probes: cam \(80% of the background\)/);
  const chance = comparisonFindings({ stats: new Map([['cam', { top1Cls: meanStd([12, 13]), maxBoxAccV2: meanStd([40]) }]]), numClasses: 8, quick: false, metric: 'maxBoxAccV2', metricName: 'MaxBoxAccV2' }).join('\n');
  assert.match(chance, /near chance in classification .*: cam/);
  assert.match(chance, /Only one seed ran/);
});

const box = (iou: number, areaRatio: number, insideGt: number) => ({ iou, areaRatio, insideGt, coversGt: Math.min(1, insideGt * areaRatio) });
const camInput = (probes: ReturnType<typeof box>[], valTop1 = 90) => ({
  probes, stricter: probes, threshold: 0.2, stricterThreshold: 0.5, valTop1, numClasses: 8, valGtKnownLoc: 60, valMaxBoxAccV2: 55, recall: 0.3, background: 0.1, quick: false,
});

test('box stats: IoU, area ratio and the share inside the GT box, by hand', () => {
  const gt = { x0: 0, y0: 0, x1: 9, y1: 9 }; // 100 px
  const part = boxStats({ x0: 0, y0: 0, x1: 4, y1: 4 }, gt); // 25 px, all inside
  assert.deepEqual(part, { iou: 0.25, areaRatio: 0.25, insideGt: 1, coversGt: 0.25 });
  assert.equal(boxVerdict(part), 'part');
  const off = boxStats({ x0: 20, y0: 20, x1: 24, y1: 24 }, gt);
  assert.deepEqual(off, { iou: 0, areaRatio: 0.25, insideGt: 0, coversGt: 0 });
  assert.equal(boxVerdict(off), 'miss');
  assert.equal(boxVerdict(boxStats(gt, gt)), 'localised');
  assert.equal(boxVerdict(boxStats({ x0: 0, y0: 0, x1: 19, y1: 19 }, gt)), 'too-large'); // 400 px holding the whole GT box
  assert.equal(boxVerdict(boxStats({ x0: 5, y0: 0, x1: 14, y1: 9 }, gt)), 'shifted'); // half on, half off: IoU 1/3
});

test('CAM findings claim the part-only failure only when the boxes sit on the object, small, and the classifier learned', () => {
  const parts = [box(0.2, 0.2, 1), box(0.25, 0.25, 0.9), box(0.3, 0.3, 1), box(0.6, 0.8, 0.9)];
  assert.match(camFindings(camInput(parts)).at(-1)!, /shows the failure: on most probes the box sits on the object but shrinks to a part/);
  // The case seen in a run: IoU 0 on every probe, boxes on distractors outside the GT box; the area ratio alone was < 0.5.
  const misses = [box(0, 0.3, 0), box(0, 0.2, 0), box(0, 0.4, 0.1), box(0.1, 0.3, 0.6)];
  const said = camFindings(camInput(misses));
  assert.doesNotMatch(said.join('\n'), /shows the failure/);
  assert.match(said.at(-1)!, /misses the object: it lies outside the ground truth/);
  assert.match(said[1], /0 localised \(IoU ≥ 0\.5\), 1 on a part of the object, 0 larger than the object, 3 mostly off the object, 0 overlapping but shifted/);
  // At chance no failure is claimed, whatever the boxes.
  assert.match(camFindings(camInput(parts, 13)).at(-1)!, /cannot show the part-only failure/);
  assert.match(camFindings(camInput([box(0.7, 1, 0.8), box(0.6, 0.9, 0.9), box(0.8, 1, 1)])).at(-1)!, /most probes the box is localised/);
});

test('the fusion target finding follows where the target lies', () => {
  // The case seen in a run: the target covered 16% of the box and 14% of the background: not "mostly inside the object".
  const seen = fusionTargetFinding({ recall: 0.16, background: 0.14, iou: 0.1 });
  assert.doesNotMatch(seen, /mostly inside|widens the map over the object/);
  assert.match(seen, /covers as little of the object \(16%\) as of the background \(14%\)/);
  assert.match(fusionTargetFinding({ recall: 0.8, background: 0.1, iou: 0.6 }), /covers most of the object and little of the background/);
  assert.match(fusionTargetFinding({ recall: 0.9, background: 0.7, iou: 0.3 }), /lights up most of the background/);
  assert.match(fusionTargetFinding({ recall: 0.3, background: 0.05, iou: 0.2 }), /only 30% of the object/);
});

test('training findings never say the gate opened and stayed shut in one breath', () => {
  const shut = trainingFindings({ history: [epoch(1, 50, { fuse: 0, fuseGate: 0 }), epoch(2, 60, { fuse: 0, fuseGate: 0 })], agreement: [], numClasses: 8, threshold: 0.5, quick: false });
  assert.ok(shut.some((l) => /No image passed the fusion gate/.test(l)));
  assert.ok(!shut.some((l) => /passed the gate in fewer than two epochs/.test(l)));
  const once = trainingFindings({ history: [epoch(1, 50, { fuse: 0.2, fuseGate: 0 }), epoch(2, 60, { fuse: 0.2, fuseGate: 0.7 })], agreement: [], numClasses: 8, threshold: 0.5, quick: false });
  assert.ok(once.some((l) => /passed the gate in fewer than two epochs/.test(l)));
});

test('split findings: the part-only failure is claimed from its share of the set, only for a classifier that learned', () => {
  const part = box(0.25, 0.25, 1);
  const good = box(0.8, 1, 0.9);
  const off = box(0, 0.3, 0);
  const set = [part, part, part, good, good, good, good, good, off, off]; // 30% part, 50% localised
  const said = splitBoxFindings(set, 0.2, true);
  assert.match(said[0], /Over 10 validation images at threshold 0\.2: 50% localised \(IoU ≥ 0\.5\), 30% on a part of the object, 0% larger than the object, 20% mostly off the object, 0% overlapping but shifted/);
  assert.match(said.at(-1)!, /part-only failure is real in this run: on 30% of the images .* \(50% fail in all\)/);
  assert.match(splitBoxFindings(set, 0.2, false).at(-1)!, /at or near chance/);
  assert.match(splitBoxFindings([good, good, good, good, off], 0.2, true).at(-1)!, /mostly right \(80% localised\); the part-only failure is rare in this run \(0%\)/);
  assert.match(splitBoxFindings([off, off, off, good], 0.2, true).at(-1)!, /75% of the boxes fail, but mostly not by shrinking to a part \(0% do\)/);
  // The median: even count -> mean of the middle two.
  assert.match(splitBoxFindings([box(0.1, 0.2, 1), box(0.3, 0.4, 1)], 0.2, true)[1], /median box is 0\.30 of its object's box \(median IoU 0\.20\)/);
});

test('own-images findings: a MaxBoxAccV2 difference is read against the sampling error of the val split', () => {
  // 40 val images: sqrt(0.25 / 40) = 0.0791, so ±7.9 points, and twice that is 15.8.
  assert.equal(samplingErrorPoints(40).toFixed(2), '7.91');
  assert.equal(samplingErrorPoints(0), Infinity);
  const run = (top1: number, box: number) => ({ valTop1Cls: top1, valGtKnownLoc: 0, valMaxBoxAccV2: box });
  const tight = { recall: 0.6, background: 0.1, iou: 0.5 };
  const findings = (ours: number, cam: number, agreement: Map<string, { recall: number; background: number; iou: number }>, top1 = 90, quick = false) =>
    ownImagesFindings({ finals: new Map([['cam', run(top1, cam)], ['ours', run(95, ours)]]), valImages: 40, numClasses: 4, agreement, threshold: 0.2, quick }).join('\n');
  const close = findings(60, 50, new Map([['cam', tight], ['ours', { ...tight, recall: 0.62 }]]));
  assert.match(close, /Both classifiers learned: validation Top-1 cam 90\.0%, ours 95\.0% \(chance 25\.0%\)/);
  assert.match(close, /40 images: one image is 2\.5 points, .* about ±7\.9 points/);
  assert.match(close, /ours minus cam in MaxBoxAccV2: \+10\.0 points, less than twice that sampling error \(15\.8\): one seed on this split cannot tell/);
  assert.match(close, /cover about the same share of the object \(ours 62%, cam 60%\)/);
  assert.doesNotMatch(close, /Quick mode|near chance|background:/);
  const far = findings(30, 50, new Map([['cam', tight], ['ours', { ...tight, recall: 0.3 }]]), 30, true);
  assert.match(far, /Quick mode/);
  assert.match(far, /At or near chance in classification \(chance 25\.0%\): cam\./);
  assert.match(far, /-20\.0 points, more than twice that sampling error \(15\.8\); it is still one seed/);
  assert.match(far, /the map of cam covers more of the object \(ours 30%, cam 60%; background 10% and 10%\)/);
  const spread = findings(55, 50, new Map([['cam', tight], ['ours', { recall: 1, background: 0.7, iou: 0.3 }]]));
  assert.match(spread, /ours lights up most of the background/);
  assert.doesNotMatch(spread, /covers more of the object|same share/, 'a map over the background is not compared by its recall');
});
