/**
 * The results as Markdown: per dataset, one row per group (method and settings), mean ± sample
 * std over seeds, every seed's own numbers, and the comparison of a method with CAM, paired by seed.
 * Everything is computed from the rows; nothing is fixed text except what the paper claims.
 */
import { pairedDifference, type PairedDifference } from './paired-difference';
import type { ResultRow } from './results-file';
import { groupRows, settingsDifferences, type ResultGroup } from './results-set';

type Settings = Record<string, Record<string, unknown>>;

export interface TableOptions {
  /** The settings behind each digest, to say how groups of one method differ. */
  settings?: Settings;
  /** 'full': every column and the per-seed tables; 'compact': the main columns only (the README). */
  style?: 'full' | 'compact';
}

type Column = [string, (r: ResultRow) => number | null];

const FULL_COLUMNS: Column[] = [
  ['Top-1 Cls', (r) => r.top1Cls],
  ['Top-1 Loc', (r) => r.top1Loc],
  ['GT-known Loc (fixed thr.)', (r) => r.gtKnownLoc],
  ['GT-known Loc (val thr.)', (r) => r.gtKnownLocValThreshold],
  ['MaxBoxAcc', (r) => r.maxBoxAcc],
  ['MaxBoxAccV2', (r) => r.maxBoxAccV2],
  ['PxAP', (r) => r.pxap],
  ['train img/s', (r) => r.imagesPerSecond],
  ['train s', (r) => r.trainSeconds],
];
const COMPACT_COLUMNS = FULL_COLUMNS.filter(([name]) => ['Top-1 Cls', 'GT-known Loc (fixed thr.)', 'GT-known Loc (val thr.)', 'MaxBoxAccV2', 'PxAP'].includes(name));

const finite = (v: number | null | undefined): v is number => typeof v === 'number' && Number.isFinite(v);
const mean = (v: number[]) => v.reduce((a, b) => a + b, 0) / v.length;
const fmt = (v: number | null) => (finite(v) ? v.toFixed(1) : 'n/a');
const signed = (v: number) => `${v >= 0 ? '+' : ''}${v.toFixed(1)}`;
const short = (hash: string) => hash.slice(0, 8);

function meanStd(values: number[]): string {
  if (values.length === 0) return 'n/a';
  const m = mean(values);
  if (values.length === 1) return m.toFixed(1);
  const sd = Math.sqrt(values.reduce((a, b) => a + (b - m) ** 2, 0) / (values.length - 1));
  return `${m.toFixed(1)} ± ${sd.toFixed(1)}`;
}

function seedList(seeds: number[]): string {
  return seeds.join(', ');
}

/** A group's name in a table: the method, with its settings digest when the method has several. */
function labels(groups: ResultGroup[]): Map<ResultGroup, string> {
  const count = new Map<string, number>();
  for (const g of groups) count.set(g.method, (count.get(g.method) ?? 0) + 1);
  return new Map(groups.map((g) => [g, count.get(g.method)! > 1 ? `${g.method} [${short(g.configHash)}]` : g.method]));
}

function describeValue(v: unknown): string {
  return v === undefined ? 'unset' : JSON.stringify(v);
}

/** Says which settings the dataset's rows ran with and, when there are several, how they differ. */
function settingsNote(groups: ResultGroup[], settings: Settings | undefined): string[] {
  const hashes = [...new Set(groups.map((g) => g.configHash))];
  const methodsOf = (h: string) => groups.filter((g) => g.configHash === h).map((g) => g.method);
  if (hashes.length === 1) return [`All rows ran with the same settings (${short(hashes[0])}).`, ''];
  const out = [`These rows ran with ${hashes.length} different settings; rows with different settings are never averaged together:`, ''];
  for (const h of hashes) {
    const diff = h === hashes[0] ? [] : settingsDifferences(settings?.[hashes[0]], settings?.[h]);
    const how = h === hashes[0] ? '' : diff.length > 0 ? `; differs from ${short(hashes[0])} in ${diff.map((d) => `${d.path} (${describeValue(d.a)} there, ${describeValue(d.b)} here)`).join(', ')}` : '; the stored settings are equal but were recorded differently (an older results file)';
    out.push(`- ${short(h)}: ${methodsOf(h).join(', ')}${how}`);
  }
  out.push('');
  return out;
}

/** One Markdown table per dataset (mean ± sample std over seeds), per-seed tables, and a settings note. */
export function resultsMarkdown(rows: ResultRow[], opts: TableOptions = {}): string {
  const full = (opts.style ?? 'full') === 'full';
  const columns = full ? FULL_COLUMNS : COMPACT_COLUMNS;
  const groups = groupRows(rows.map((r) => ({ ...r, configHash: r.configHash ?? '' })));
  const out: string[] = [];
  for (const dataset of [...new Set(groups.map((g) => g.dataset))]) {
    const mine = groups.filter((g) => g.dataset === dataset);
    const name = labels(mine);
    const seeds = [...new Set(mine.flatMap((g) => g.rows.map((r) => r.seed)))].sort((a, b) => a - b);
    out.push(`### ${dataset} (seeds ${seedList(seeds)}; mean ± std in %)`, '');
    out.push(`| method | seeds | ${columns.map((c) => c[0]).join(' | ')} |`, `| --- | --- | ${columns.map(() => '---:').join(' | ')} |`);
    for (const g of mine) {
      const cells = columns.map(([, pick]) => meanStd(g.rows.map(pick).filter(finite)));
      out.push(`| ${name.get(g)} | ${seedList(g.rows.map((r) => r.seed))} | ${cells.join(' | ')} |`);
    }
    out.push('');
    out.push(...settingsNote(mine, opts.settings));
    if (full && mine.some((g) => g.rows.length > 1)) {
      // Every seed's own numbers, so a mean never hides a collapsed run.
      out.push(`Per seed (${dataset}):`, '', `| method | seed | ${columns.map((c) => c[0]).join(' | ')} |`, `| --- | ---: | ${columns.map(() => '---:').join(' | ')} |`);
      for (const g of mine) for (const r of g.rows) out.push(`| ${name.get(g)} | ${r.seed} | ${columns.map(([, pick]) => fmt(pick(r))).join(' | ')} |`);
      out.push('');
    }
  }
  return out.join('\n');
}

/** What the paper says, and only that: its abstract gives no numbers to hold a run against. */
export const PAPER_CLAIM =
  'The paper reports, in its abstract, a clear gain in localization over CAM and other weakly supervised methods on CUB-200-2011 and ILSVRC; it gives no numbers for the datasets here.';

export interface ComparisonOptions {
  settings?: Settings;
  /** The other methods the method is held against (the best of them on MaxBoxAccV2 is named). */
  baselines?: readonly string[];
  /** Start with what the paper claims (default true; a document with several comparisons says it once). */
  withClaim?: boolean;
}

/** A group of `method` that ran with the same settings as `g`, or failing that, differing only in method options. */
function partner(groups: ResultGroup[], g: ResultGroup, method: string, settings: Settings | undefined): { group: ResultGroup; optionsDiffer: string[] } | null {
  const candidates = groups.filter((x) => x.dataset === g.dataset && x.method === method);
  const same = candidates.find((x) => x.configHash === g.configHash);
  if (same) return { group: same, optionsDiffer: [] };
  for (const x of candidates) {
    const diff = settingsDifferences(settings?.[x.configHash], settings?.[g.configHash]);
    if (diff.length > 0 && diff.every((d) => d.path.startsWith('methodOptions.'))) return { group: x, optionsDiffer: diff.map((d) => d.path) };
  }
  return null;
}

const MEASURES: [string, (r: ResultRow) => number | null][] = [
  ['MaxBoxAccV2', (r) => r.maxBoxAccV2],
  ['GT-known Loc (val thr.)', (r) => r.gtKnownLocValThreshold],
  ['Top-1 Cls', (r) => r.top1Cls],
];

/** `method` minus CAM on each shared seed, per measure (seeds where a value is missing are left out). */
export function differencesFromCam(mine: ResultGroup, cam: ResultGroup): { measure: string; seeds: number[]; diff: PairedDifference }[] {
  return MEASURES.map(([measure, pick]) => {
    const seeds: number[] = [];
    const d: number[] = [];
    for (const r of mine.rows) {
      const c = cam.rows.find((x) => x.seed === r.seed);
      const a = pick(r);
      const b = c ? pick(c) : null;
      if (finite(a) && finite(b)) {
        seeds.push(r.seed);
        d.push(a - b);
      }
    }
    return { measure, seeds, diff: pairedDifference(d) };
  });
}

function intervalText(d: PairedDifference): string {
  return d.interval ? `${signed(d.interval.low)} to ${signed(d.interval.high)}` : 'n/a (one seed)';
}

/** The plain-words reading of the MaxBoxAccV2 difference. */
function verdict(method: string, d: PairedDifference): string {
  const above = d.perSeed.filter((v) => v > 0).length;
  const where = `${method} is above CAM on MaxBoxAccV2 on ${above} of ${d.n} seed${d.n > 1 ? 's' : ''}, by ${signed(d.mean)} points on average`;
  if (!d.interval) return `${where}; one seed cannot tell a difference from seed-to-seed spread (run more seeds, e.g. --seeds 1,2,3).`;
  if (d.interval.low > 0) return `${where}, and the 95% interval lies above 0: at this budget ${method} localizes better than CAM.`;
  if (d.interval.high < 0) return `${where}, and the 95% interval lies below 0: at this budget ${method} localizes worse than CAM.`;
  return `${where}; the 95% interval includes 0, so these ${d.n} seeds do not show whether ${method} localizes better or worse than CAM.`;
}

/**
 * `method` against CAM on every dataset, paired by seed: the difference per seed, its mean and a
 * 95% t interval (n - 1 degrees of freedom), then what that means in plain words, and where the
 * method stands against the best other method.
 */
export function comparisonMarkdown(rows: ResultRow[], method = 'ours', opts: ComparisonOptions = {}): string {
  const groups = groupRows(rows.map((r) => ({ ...r, configHash: r.configHash ?? '' })));
  const out: string[] = [];
  for (const mine of groups.filter((g) => g.method === method)) {
    const all = groups.filter((g) => g.dataset === mine.dataset && g.method === method);
    const title = `**${mine.dataset}**${all.length > 1 ? ` (${method} with settings ${short(mine.configHash)})` : ''}`;
    const cam = partner(groups, mine, 'cam', opts.settings);
    if (!cam) {
      out.push(`${title}: no CAM run with the same settings, so no comparison.`, '');
      continue;
    }
    const diffs = differencesFromCam(mine, cam.group);
    const box = diffs[0];
    if (box.diff.n === 0) {
      out.push(`${title}: CAM and ${method} share no seed, so no comparison.`, '');
      continue;
    }
    out.push(
      `${title}: ${method} minus CAM, paired by seed (seeds ${seedList(box.seeds)}; n = ${box.diff.n}${box.diff.n > 1 ? `; 95% interval from the t distribution with ${box.diff.n - 1} degree${box.diff.n > 2 ? 's' : ''} of freedom` : ''}):`,
      '',
      '| measure | per seed | mean | 95% interval |',
      '| --- | --- | ---: | --- |',
      ...diffs.map((x) => `| ${x.measure} | ${x.diff.n > 0 ? x.diff.perSeed.map(signed).join(' / ') : 'n/a'} | ${x.diff.n > 0 ? signed(x.diff.mean) : 'n/a'} | ${intervalText(x.diff)} |`),
      '',
    );
    const said = [verdict(method, box.diff)];
    const cls = diffs[2].diff;
    if (cls.n > 0) said.push(`Its classification (Top-1 Cls) is ${Math.abs(cls.mean).toFixed(1)} points ${cls.mean >= 0 ? 'above' : 'below'} CAM's.`);
    const others = (opts.baselines ?? [])
      .filter((b) => b !== method && b !== 'cam')
      .map((b) => partner(groups, mine, b, opts.settings)?.group)
      .filter((g): g is ResultGroup => g !== undefined)
      .map((g) => ({ method: g.method, v: g.rows.map((r) => r.maxBoxAccV2).filter(finite) }))
      .filter((x) => x.v.length > 0)
      .map((x) => ({ method: x.method, mean: mean(x.v) }))
      .sort((a, b) => b.mean - a.mean);
    const own = mine.rows.map((r) => r.maxBoxAccV2).filter(finite);
    if (others.length > 0 && own.length > 0) {
      const gap = mean(own) - others[0].mean;
      said.push(`Of the other methods, ${others[0].method} has the best MaxBoxAccV2 (${others[0].mean.toFixed(1)}); ${method} (${mean(own).toFixed(1)}) is ${Math.abs(gap).toFixed(1)} points ${gap >= 0 ? 'above' : 'below'} it.`);
    }
    if (cam.optionsDiffer.length > 0) said.push(`CAM ran with other method options (${cam.optionsDiffer.join(', ')}); the training budget is the same.`);
    out.push(`What these runs show: ${said.join(' ')}`, '');
  }
  if (out.length > 0 && opts.withClaim !== false) out.unshift(PAPER_CLAIM, '');
  return out.join('\n');
}
