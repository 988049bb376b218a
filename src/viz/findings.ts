/**
 * "What the numbers show": sentences written from measured values at run time, so a chapter's
 * conclusion always matches the run it follows (never a fixed claim).
 */
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
  } else if (gate.length > 0) {
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
    const whole = [...input.agreement].filter(([, a]) => a.background >= WHOLE_IMAGE_BACKGROUND).map(([m, a]) => `${m} (${pct(a.background)} of the background)`);
    if (whole.length > 0) out.push(`Maps that light up most of the background on the probes: ${whole.join(', ')}. A box around the whole image can still pass IoU 0.5 when objects are large, so check the overlays before trusting those numbers.`);
  }
  return out;
}

/** Markdown for a findings list under a heading. */
export const findingsMarkdown = (title: string, lines: string[]): string => `### ${title}\n\n${lines.map((l) => `- ${l}`).join('\n')}\n`;
