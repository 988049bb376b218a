/**
 * The results as a document section: the tables and the comparisons with CAM, written between two
 * HTML comments in a Markdown file (the README, docs/results/summary.md), so everything outside
 * them stays as its author wrote it. The opening comment records the compared methods, so a check
 * can regenerate the section exactly.
 */
import { comparisonMarkdown, PAPER_CLAIM, resultsMarkdown } from './results-table';
import type { ResultSet } from './results-set';

export const SECTION_END = '<!-- wsol report end -->';
const BEGIN = /^<!-- wsol report begin((?: --method \S+)*) -->$/;

export interface SectionOptions {
  /** The methods compared with CAM, each in its own part. */
  methods: readonly string[];
  style: 'full' | 'compact';
  baselines: readonly string[];
}

/** The section's Markdown (without the markers). */
export function resultsSection(set: ResultSet, opts: SectionOptions): string {
  const parts = [resultsMarkdown(set.rows, { settings: set.settings, style: opts.style }).trimEnd()];
  const comparisons = opts.methods
    .map((m) => ({ m, text: comparisonMarkdown(set.rows, m, { settings: set.settings, baselines: opts.baselines, withClaim: false }) }))
    .filter((c) => c.text.length > 0);
  if (comparisons.length > 0) parts.push(PAPER_CLAIM);
  for (const c of comparisons) parts.push(`#### ${c.m} against CAM`, c.text.trimEnd());
  return parts.join('\n\n') + '\n';
}

export function beginMarker(methods: readonly string[]): string {
  return `<!-- wsol report begin${methods.map((m) => ` --method ${m}`).join('')} -->`;
}

export interface MarkedSection {
  /** Offsets of the whole section, markers included. */
  start: number;
  end: number;
  methods: string[];
  body: string;
}

/** Finds the one marked section of `text`; null when there is none. Half a pair, or two, is an error naming the file. */
export function findSection(text: string, file: string): MarkedSection | null {
  const lines = text.split('\n');
  const begins = lines.map((l, i) => (BEGIN.test(l.trim()) ? i : -1)).filter((i) => i >= 0);
  const ends = lines.map((l, i) => (l.trim() === SECTION_END ? i : -1)).filter((i) => i >= 0);
  if (begins.length === 0 && ends.length === 0) return null;
  if (begins.length !== 1 || ends.length !== 1 || ends[0] < begins[0]) {
    throw new Error(`${file}: needs exactly one "${beginMarker([])}" line followed by one "${SECTION_END}" line (found ${begins.length} and ${ends.length})`);
  }
  const offset = (line: number) => lines.slice(0, line).reduce((a, l) => a + l.length + 1, 0);
  const methods = [...BEGIN.exec(lines[begins[0]].trim())![1].matchAll(/--method (\S+)/g)].map((m) => m[1]);
  return {
    start: offset(begins[0]),
    end: offset(ends[0]) + SECTION_END.length,
    methods,
    body: lines.slice(begins[0] + 1, ends[0]).join('\n'),
  };
}

/** `text` with its marked section replaced by `body` (the methods recorded in the opening marker). */
export function replaceSection(text: string, file: string, body: string, methods: readonly string[]): string {
  const s = findSection(text, file);
  if (!s) throw new Error(`${file} has no "${beginMarker([])}" ... "${SECTION_END}" section; add the two lines where the tables go`);
  return text.slice(0, s.start) + `${beginMarker(methods)}\n${body.trimEnd()}\n${SECTION_END}` + text.slice(s.end);
}
