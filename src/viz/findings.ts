/**
 * "What the numbers show": sentences written from measured values at run time, so a chapter's
 * conclusion always matches the run it follows (never a fixed claim).
 */
import type { Box } from '../common/box';
import { iou } from '../localize/boxes';
import type { EpochRecord } from '../train/snapshot-types';
import type { AgreementRow, MapKind } from './agreement-figure';
import type { RegionAgreement } from './region-agreement';
import { formatMeanStd, type MeanStd } from './seed-stats';

const pct = (v: number) => `${(100 * v).toFixed(0)}%`;

/** A classifier at or near chance: within 1.5x of 100/K percent. */
export function nearChance(top1Percent: number, numClasses: number): boolean {
  return top1Percent < 1.5 * (100 / numClasses);
}

/** A thresholded map that lights up most of the background says nothing about where the object is. */
export const WHOLE_IMAGE_BACKGROUND = 0.5;

export const QUICK_BANNER =
  'WSOL_QUICK=1: the models below train for a few steps only, so their maps are essentially untrained. ' +
  'The figures show what the notebook draws, not what the method does; run without WSOL_QUICK for the real chapter.';

/** The methods whose thresholded maps light up most of the background. */
const overBackground = (agreement: Map<string, RegionAgreement>) => [...agreement].filter(([, a]) => a.background >= WHOLE_IMAGE_BACKGROUND);

function describeAgreement(name: string, a: RegionAgreement): string {
  const whole = a.background >= WHOLE_IMAGE_BACKGROUND;
  return (
    `${name}: covers ${pct(a.recall)} of the GT box and ${pct(a.background)} of the background (IoU ${pct(a.iou)})` +
    (whole ? ' — it lights up most of the image, so its high recall is not localisation.' : '.')
  );
}

export interface TrainingFindingsInput {
  history: EpochRecord[];
  agreement: AgreementRow[];
  numClasses: number;
  threshold: number;
  quick: boolean;
  /** The fusion target the run used ('union' = max of the branch maps). */
  fuseTarget?: string;
}

/** Bullet lines (Markdown) about one training run. */
export function trainingFindings(input: TrainingFindingsInput): string[] {
  const { history, agreement, numClasses, quick } = input;
  const out: string[] = [];
  if (quick) out.push(`**Quick mode:** ${history.length} epoch(s), ${history.at(-1)?.steps ?? 0} steps. The maps are untrained; read nothing into the numbers.`);
  const last = history.at(-1);
  if (!last) return [...out, 'No epoch finished, so there is nothing to report.'];
  const chance = 100 / numClasses;
  out.push(
    nearChance(last.valTop1Cls, numClasses)
      ? `Classification is at or near chance: validation Top-1 ${last.valTop1Cls.toFixed(1)}% against ${chance.toFixed(1)}% for guessing among ${numClasses} classes. Maps of a classifier that has not learned the classes cannot localise them.`
      : `The classifier learned: validation Top-1 ${last.valTop1Cls.toFixed(1)}% (chance ${chance.toFixed(1)}%).`,
  );
  out.push(`Validation GT-known Loc ${last.valGtKnownLoc.toFixed(1)}%, MaxBoxAccV2 ${last.valMaxBoxAccV2.toFixed(1)}% after ${last.steps} steps.`);
  const gate = history.map((r) => r.terms.fuseGate).filter((v): v is number => typeof v === 'number');
  if (gate.length > 0) {
    const first = gate.findIndex((v) => v > 0);
    out.push(
      first < 0
        ? `No image passed the fusion gate in any epoch (share ${gate.map((v) => v.toFixed(2)).join(', ')}): the fusion loss never acted on this run.`
        : `The fusion gate let images through from epoch ${first + 1} on (share per epoch ${gate.map((v) => v.toFixed(2)).join(', ')}).`,
    );
  }
  // The fusion term is a mean over the images that passed the gate: compare only epochs where most did.
  const settled = history.map((r, i) => ({ i, fuse: r.terms.fuse, gate: r.terms.fuseGate ?? 1 })).filter((r) => typeof r.fuse === 'number' && r.gate >= 0.5);
  if (settled.length >= 2) {
    const [a, b] = [settled[0], settled[settled.length - 1]];
    out.push(
      `Over the epochs in which most images passed the gate, the fusion term went from ${a.fuse.toFixed(3)} (epoch ${a.i + 1}) to ${b.fuse.toFixed(3)} (epoch ${b.i + 1}): ` +
        (b.fuse < a.fuse ? 'the full-image maps moved towards the target.' : 'it did not fall, so the full-image maps did not move closer to the target.'),
    );
  } else if (gate.some((v) => v > 0)) {
    out.push('Most images passed the gate in fewer than two epochs, too few to tell whether the fusion term fell.');
  }
  const first = agreement[0];
  const end = agreement.at(-1);
  if (end && first) {
    const kinds: [MapKind, string][] = [['full', 'Full-image map (the one evaluated)'], ['fused', 'Fusion target'], ['branchA', 'Branch A'], ['branchB', 'Branch B']];
    for (const [kind, name] of kinds) {
      const a = end.maps[kind];
      if (a) out.push(describeAgreement(`${name}, at the end (threshold ${input.threshold})`, a));
    }
    const f0 = first.maps.full;
    const f1 = end.maps.full;
    if (f0 && f1) {
      const d = f1.iou - f0.iou;
      out.push(`IoU of the full-image map with the GT box: ${pct(f0.iou)} at the start, ${pct(f1.iou)} at the end (${d >= 0 ? '+' : ''}${(100 * d).toFixed(0)} points).`);
    }
    if (end.maps.fused && end.maps.branchA && input.fuseTarget === 'union') {
      out.push('The union covers at least as much as either branch by construction (it is their maximum, at the same threshold); that is not evidence by itself. What matters is whether the full-image map follows the union without spreading into the background.');
    }
  }
  return out;
}

export interface ComparisonFindingsInput {
  /** method -> metric -> mean ± std over seeds (percent). */
  stats: Map<string, Record<string, MeanStd>>;
  numClasses: number;
  quick: boolean;
  /** The main localisation metric to compare (a key of stats' records). */
  metric: string;
  metricName: string;
  /** method -> mean region agreement of its maps on the probes (optional). */
  agreement?: Map<string, RegionAgreement>;
  ours?: string;
  baseline?: string;
}

/** Bullet lines (Markdown) comparing methods over seeds. */
export function comparisonFindings(input: ComparisonFindingsInput): string[] {
  const { stats, numClasses, quick, metric, metricName } = input;
  const ours = input.ours ?? 'ours';
  const baseline = input.baseline ?? 'cam';
  const out: string[] = [];
  const seeds = Math.max(0, ...[...stats.values()].map((r) => r[metric]?.n ?? 0));
  if (quick) out.push('**Quick mode:** every model trained for a few steps; these differences are noise, not results.');
  if (seeds < 2) out.push('Only one seed ran, so there is no spread to judge a difference against.');
  const chance = 100 / numClasses;
  const atChance = [...stats].filter(([, r]) => r.top1Cls && nearChance(r.top1Cls.mean, numClasses)).map(([m]) => m);
  if (atChance.length > 0) out.push(`At or near chance in classification (Top-1 < ${(1.5 * chance).toFixed(1)}%, chance ${chance.toFixed(1)}%): ${atChance.join(', ')}. Their localisation numbers come from maps of an untrained classifier.`);
  const ranked = [...stats].filter(([, r]) => r[metric] && r[metric].n > 0).sort((a, b) => b[1][metric].mean - a[1][metric].mean);
  if (ranked.length > 0) out.push(`${metricName}, best first: ${ranked.map(([m, r]) => `${m} ${formatMeanStd(r[metric])}`).join(', ')}.`);
  const o = stats.get(ours)?.[metric];
  const b = stats.get(baseline)?.[metric];
  if (o && b && o.n > 0 && b.n > 0) {
    const d = o.mean - b.mean;
    const spread = Math.max(o.std, b.std);
    if (seeds < 2 || Math.abs(d) <= spread) {
      out.push(`${ours} vs ${baseline}: ${d >= 0 ? '+' : ''}${d.toFixed(1)} points, ${seeds < 2 ? 'with a single seed' : `within the spread over seeds (std up to ${spread.toFixed(1)})`}: no conclusion either way.`);
    } else {
      out.push(`${ours} is ${d > 0 ? 'ahead of' : 'behind'} ${baseline} by ${Math.abs(d).toFixed(1)} points, more than the spread over seeds (std up to ${spread.toFixed(1)}).`);
    }
  }
  if (input.agreement) {
    const whole = overBackground(input.agreement).map(([m, a]) => `${m} (${pct(a.background)} of the background)`);
    if (whole.length > 0) out.push(`Maps that light up most of the background on the probes: ${whole.join(', ')}. A box around the whole image can still pass IoU 0.5 when objects are large, so check the overlays before trusting those numbers.`);
  }
  return out;
}

/** Where a predicted box lies against the ground truth, at one threshold. */
export interface BoxStats {
  iou: number;
  /** Predicted box area / GT box area. */
  areaRatio: number;
  /** Share of the predicted box that lies inside the GT box. */
  insideGt: number;
  /** Share of the GT box that the predicted box covers. */
  coversGt: number;
}

/**
 * localised: IoU >= 0.5. part: on the object (most of the box inside the GT box) but under half
 * its size, the failure CAM is known for. too-large: covers most of the object but is larger than
 * it. miss: most of the box lies off the object and covers little of it (a distractor, the
 * background). shifted: anything else (overlapping, off-centre).
 */
export type BoxVerdict = 'localised' | 'part' | 'too-large' | 'miss' | 'shifted';

/** BoxStats of a predicted box against a GT box (inclusive pixel coordinates). */
export function boxStats(pred: Box, gt: Box): BoxStats {
  const area = (b: Box) => Math.max(0, b.x1 - b.x0 + 1) * Math.max(0, b.y1 - b.y0 + 1);
  const inter = area({ x0: Math.max(pred.x0, gt.x0), y0: Math.max(pred.y0, gt.y0), x1: Math.min(pred.x1, gt.x1), y1: Math.min(pred.y1, gt.y1) });
  return { iou: iou(pred, gt), areaRatio: area(pred) / area(gt), insideGt: area(pred) > 0 ? inter / area(pred) : 0, coversGt: inter / area(gt) };
}

export function boxVerdict(b: BoxStats): BoxVerdict {
  if (b.iou >= 0.5) return 'localised';
  if (b.insideGt >= 0.5 && b.areaRatio < 0.5) return 'part';
  if (b.coversGt >= 0.5 && b.areaRatio > 1) return 'too-large';
  if (b.insideGt < 0.5 && b.coversGt < 0.5) return 'miss';
  return 'shifted';
}

const VERDICTS: BoxVerdict[] = ['localised', 'part', 'too-large', 'miss', 'shifted'];
const VERDICT_WORDS: Record<BoxVerdict, string> = { localised: 'localised (IoU ≥ 0.5)', part: 'on a part of the object', 'too-large': 'larger than the object', miss: 'mostly off the object', shifted: 'overlapping but shifted' };

export interface CamFindingsInput {
  /** Per probe, at the chapter's threshold and at a stricter one. */
  probes: BoxStats[];
  stricter: BoxStats[];
  threshold: number;
  stricterThreshold: number;
  valTop1: number;
  numClasses: number;
  valGtKnownLoc: number;
  valMaxBoxAccV2: number;
  /** Mean share of the GT box and of the background above the threshold, on the probes. */
  recall: number;
  background: number;
  quick: boolean;
}

/** 01's conclusion about CAM's boxes: which failure (if any) the probes show, only when the classifier learned. */
export function camFindings(input: CamFindingsInput): string[] {
  const { probes, numClasses } = input;
  const n = probes.length;
  const chance = 100 / numClasses;
  const learned = !nearChance(input.valTop1, numClasses);
  const count = (v: BoxVerdict, list = probes) => list.filter((b) => boxVerdict(b) === v).length;
  const list = (f: (b: BoxStats) => number, bs = probes) => bs.map((b) => f(b).toFixed(2)).join(', ');
  const out: string[] = [];
  if (input.quick) out.push('**Quick mode:** CAM trained for a few steps only; these maps are untrained and the sentences below describe noise.');
  out.push(
    learned
      ? `CAM's classifier learned the classes: validation Top-1 ${input.valTop1.toFixed(1)}% (chance ${chance.toFixed(1)}%).`
      : `CAM's classifier is at or near chance (validation Top-1 ${input.valTop1.toFixed(1)}%, chance ${chance.toFixed(1)}%): its maps do not yet show where the class evidence is.`,
  );
  out.push(`At threshold ${input.threshold}, of ${n} probes: ${VERDICTS.map((v) => `${count(v)} ${VERDICT_WORDS[v]}`).join(', ')} (IoUs ${list((b) => b.iou)}; box / GT area ${list((b) => b.areaRatio)}; share of each box inside the GT box ${list((b) => b.insideGt)}).`);
  out.push(`At the stricter threshold ${input.stricterThreshold} the boxes are ${list((b) => b.areaRatio, input.stricter)} of the GT box (IoUs ${list((b) => b.iou, input.stricter)}): the same map gives a different box at another threshold.`);
  out.push(`At threshold ${input.threshold} the maps cover on average ${pct(input.recall)} of the box and ${pct(input.background)} of the background.`);
  out.push(`On the whole validation set: GT-known Loc ${input.valGtKnownLoc.toFixed(1)}%, MaxBoxAccV2 ${input.valMaxBoxAccV2.toFixed(1)}%.`);
  const most = (v: BoxVerdict) => count(v) > n / 2;
  if (!learned) out.push('So these probes cannot show the part-only failure: a classifier at chance has no evidence to localise.');
  else if (most('part')) out.push('So this run shows the failure: on most probes the box sits on the object but shrinks to a part of it.');
  else if (most('miss')) out.push('So on most probes the box misses the object: it lies outside the ground truth (on a distractor or the background), a different failure from the part-only one.');
  else if (most('localised')) out.push(`So on most probes the box is localised at threshold ${input.threshold}; the set-level numbers above say how often that holds beyond these ${n} images.`);
  else out.push(`So the probes show no single pattern at threshold ${input.threshold}; the set-level numbers above are the better guide.`);
  return out;
}

/** 04: what pulling the full-image map towards the fusion target does, from where the target lies. */
export function fusionTargetFinding(target: RegionAgreement): string {
  if (target.background >= WHOLE_IMAGE_BACKGROUND) return 'The target itself lights up most of the background: pulling the full-image map towards it spreads the map, not onto the object but over the image. A target needs something that keeps the background low.';
  if (target.recall >= 0.5) return 'The target covers most of the object and little of the background, so pulling the full-image map towards it widens the map over the object.';
  if (target.recall >= 2 * target.background) return `The target covers only ${pct(target.recall)} of the object, though little of the background (${pct(target.background)}): pulling towards it keeps the map on a part of the object rather than widening it.`;
  return `The target covers as little of the object (${pct(target.recall)}) as of the background (${pct(target.background)}): it is not on the object, so pulling the full-image map towards it does not help localisation.`;
}

/** Markdown for a findings list under a heading. */
export const findingsMarkdown = (title: string, lines: string[]): string => `### ${title}\n\n${lines.map((l) => `- ${l}`).join('\n')}\n`;

const median = (v: number[]) => {
  const s = [...v].sort((a, b) => a - b);
  return s.length === 0 ? NaN : s.length % 2 ? s[(s.length - 1) / 2] : (s[s.length / 2 - 1] + s[s.length / 2]) / 2;
};

/** Over a whole split: how often each kind of box occurs, and what that says about the part-only failure. */
export function splitBoxFindings(boxes: BoxStats[], threshold: number, learned: boolean): string[] {
  const n = boxes.length;
  if (n === 0) return ['No image was evaluated.'];
  const share = (v: BoxVerdict) => boxes.filter((b) => boxVerdict(b) === v).length / n;
  const failed = 1 - share('localised');
  const out = [
    `Over ${n} validation images at threshold ${threshold}: ${VERDICTS.map((v) => `${pct(share(v))} ${VERDICT_WORDS[v]}`).join(', ')}.`,
    `The median box is ${median(boxes.map((b) => b.areaRatio)).toFixed(2)} of its object's box (median IoU ${median(boxes.map((b) => b.iou)).toFixed(2)}).`,
  ];
  if (!learned) out.push('The classifier is at or near chance, so these boxes say nothing yet about where CAM looks.');
  else if (share('part') >= 0.25) out.push(`So the part-only failure is real in this run: on ${pct(share('part'))} of the images the box sits on the object but covers less than half of it (${pct(failed)} fail in all).`);
  else if (failed >= 0.25) out.push(`So ${pct(failed)} of the boxes fail, but mostly not by shrinking to a part (${pct(share('part'))} do): look at the chosen images below to see how they fail.`);
  else out.push(`So at this threshold the boxes are mostly right (${pct(1 - failed)} localised); the part-only failure is rare in this run (${pct(share('part'))}).`);
  return out;
}

/** Whether the two branches find different parts: what the union adds over the better branch. */
export function branchCoverageFindings(c: { recallA: number; recallB: number; recallUnion: number; overlap: number }, threshold: number, images: number, learned: boolean): string[] {
  const better = Math.max(c.recallA, c.recallB);
  const gain = c.recallUnion - better;
  const measured = `On the full image, over ${images} validation images at threshold ${threshold}: A's region covers ${pct(c.recallA)} of the object, B's ${pct(c.recallB)}, the two together ${pct(c.recallUnion)}; A's and B's regions overlap with IoU ${pct(c.overlap)}.`;
  if (!learned) return [measured, 'The classifier is at or near chance, so these are regions of untrained maps: they say nothing yet about whether the branches learned different parts.'];
  return [
    measured,
    gain >= 0.1
      ? `The union covers ${(100 * gain).toFixed(0)} points more of the object than the better branch alone: the branches do find different parts.`
      : `The union adds only ${(100 * gain).toFixed(0)} points over the better branch: the two branches mostly cover the same region${c.overlap >= 0.5 ? ' (their regions overlap heavily)' : ''}, so the complementary training has not split the object between them.`,
  ];
}

export interface OwnImagesFindingsInput {
  /** method -> its last epoch's validation numbers (percent). */
  finals: Map<string, Pick<EpochRecord, 'valTop1Cls' | 'valGtKnownLoc' | 'valMaxBoxAccV2'>>;
  valImages: number;
  numClasses: number;
  /** method -> mean region agreement of its maps on the probes, at `threshold`. */
  agreement: Map<string, RegionAgreement>;
  threshold: number;
  quick: boolean;
  ours?: string;
  baseline?: string;
}

/**
 * Roughly how far one accuracy measured on n images moves with another draw of those images: the
 * binomial standard error, in points, at the worst case p = 0.5. A difference between two methods on
 * the same images is read against twice this (about a 95% band for one accuracy).
 */
export const samplingErrorPoints = (n: number): number => (n > 0 ? 100 * Math.sqrt(0.25 / n) : Infinity);

/** 09: what one seed on a small folder of your own images can and cannot say about CAM and ours. */
export function ownImagesFindings(input: OwnImagesFindingsInput): string[] {
  const { finals, valImages, numClasses } = input;
  const ours = input.ours ?? 'ours';
  const baseline = input.baseline ?? 'cam';
  const out: string[] = [];
  if (input.quick) out.push('**Quick mode:** both models trained for a few steps only; the numbers and maps below are noise.');
  const chance = 100 / numClasses;
  const untrained = [...finals].filter(([, r]) => nearChance(r.valTop1Cls, numClasses)).map(([m]) => m);
  out.push(
    untrained.length === 0
      ? `Both classifiers learned: validation Top-1 ${[...finals].map(([m, r]) => `${m} ${r.valTop1Cls.toFixed(1)}%`).join(', ')} (chance ${chance.toFixed(1)}%).`
      : `At or near chance in classification (chance ${chance.toFixed(1)}%): ${untrained.join(', ')}. The maps of a classifier that has not learned the classes cannot localise them.`,
  );
  const se = samplingErrorPoints(valImages);
  out.push(`The validation split has ${valImages} images: one image is ${(100 / Math.max(1, valImages)).toFixed(1)} points, and a single accuracy moves by about ±${se.toFixed(1)} points with another draw of the images.`);
  const o = finals.get(ours);
  const b = finals.get(baseline);
  if (o && b) {
    const d = o.valMaxBoxAccV2 - b.valMaxBoxAccV2;
    const signed = `${d >= 0 ? '+' : ''}${d.toFixed(1)}`;
    out.push(
      Math.abs(d) < 2 * se
        ? `${ours} minus ${baseline} in MaxBoxAccV2: ${signed} points, less than twice that sampling error (${(2 * se).toFixed(1)}): one seed on this split cannot tell the two apart.`
        : `${ours} minus ${baseline} in MaxBoxAccV2: ${signed} points, more than twice that sampling error (${(2 * se).toFixed(1)}); it is still one seed, so train more seeds before calling it a result.`,
    );
  }
  const whole = overBackground(input.agreement).map(([m]) => m);
  if (whole.length > 0) out.push(`On the probes at threshold ${input.threshold}, ${whole.join(' and ')} light${whole.length === 1 ? 's' : ''} up most of the background: a box around most of the image, not localisation.`);
  const a = input.agreement.get(ours);
  const c = input.agreement.get(baseline);
  if (a && c && whole.length === 0) {
    const wider = a.recall - c.recall;
    out.push(
      Math.abs(wider) < 0.05
        ? `On the probes at threshold ${input.threshold} the two maps cover about the same share of the object (${ours} ${pct(a.recall)}, ${baseline} ${pct(c.recall)}).`
        : `On the probes at threshold ${input.threshold}, the map of ${wider > 0 ? ours : baseline} covers more of the object (${ours} ${pct(a.recall)}, ${baseline} ${pct(c.recall)}; background ${pct(a.background)} and ${pct(c.background)}).`,
    );
  }
  return out;
}
