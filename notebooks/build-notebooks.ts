/**
 * Converts the notebook sources in notebooks/src/*.md into the .ipynb files Jupyter opens
 * (tslab TypeScript kernel, committed without outputs).
 *
 * Run: npx tsx notebooks/build-notebooks.ts          (writes notebooks/NN-name.ipynb)
 *      npx tsx notebooks/build-notebooks.ts --check  (exit 1 if a committed .ipynb is stale)
 *
 * Source format (one Markdown file per notebook, so a chapter is edited and reviewed as a diff):
 * - every ```ts fence is one code cell; the prose between two code cells is one Markdown cell
 *   (a line `<!-- cell -->` splits prose into several cells); fences in other languages stay prose;
 * - a leading `<!-- notebook: {...json...} -->` line is merged into the notebook's `wsol` metadata;
 * - graded exercises: a fence ```ts todo is kept only in NAME.ipynb, a fence ```ts solution only in
 *   NAME-solutions.ipynb, and a fence ```ts wrong only in NAME-wrong.ipynb (written for the tests,
 *   which check that every check cell rejects that plausible wrong answer); ```ts check="Exercise 3"
 *   marks the check cell of an exercise (cell metadata wsol.check), so the runner can verify that
 *   each check fails in the TODO version and passes in the solutions;
 * - `__NOTEBOOK__` in code is replaced by the notebook's name (so variants write to their own folders).
 *
 * tslab note: a top-level variable of an earlier cell must not be used as a shorthand property
 * (`{ stats }`): tslab does not rewrite it; write `{ stats: stats }`.
 */
import * as fs from 'fs';
import * as path from 'path';

export type Variant = 'todo' | 'solution' | 'wrong';

export interface SourceCell {
  kind: 'markdown' | 'code';
  text: string;
  /** Only in this variant of an exercise notebook (undefined: in every variant). */
  variant?: Variant;
  /** The exercise this cell checks. */
  check?: string;
}

export interface ParsedSource {
  metadata: Record<string, unknown>;
  cells: SourceCell[];
}

const FENCE = /^```(\S*)\s*(.*)$/;

/** Splits a notebook source into cells; errors name the file and line. */
export function parseSource(text: string, file = '<source>'): ParsedSource {
  const lines = text.replace(/\r\n/g, '\n').split('\n');
  const cells: SourceCell[] = [];
  let metadata: Record<string, unknown> = {};
  let prose: string[] = [];
  const flushProse = () => {
    const t = prose.join('\n').trim();
    if (t) cells.push({ kind: 'markdown', text: t });
    prose = [];
  };
  for (let i = 0; i < lines.length; i++) {
    const line = lines[i];
    const meta = /^<!--\s*notebook:\s*(\{.*\})\s*-->\s*$/.exec(line);
    if (meta) {
      try {
        metadata = { ...metadata, ...(JSON.parse(meta[1]) as Record<string, unknown>) };
      } catch (e) {
        throw new Error(`${file}:${i + 1}: the notebook metadata is not valid JSON (${(e as Error).message})`);
      }
      continue;
    }
    if (/^<!--\s*cell\s*-->\s*$/.test(line)) {
      flushProse();
      continue;
    }
    const fence = FENCE.exec(line);
    if (fence && (fence[1] === 'ts' || fence[1] === 'typescript')) {
      flushProse();
      const attrs = fence[2];
      const cell: SourceCell = { kind: 'code', text: '' };
      const variant = /\b(todo|solution|wrong)\b/.exec(attrs.replace(/check="[^"]*"/, ''));
      if (variant) cell.variant = variant[1] as Variant;
      const check = /check="([^"]+)"/.exec(attrs);
      if (check) cell.check = check[1];
      const body: string[] = [];
      let j = i + 1;
      for (; j < lines.length && !/^```\s*$/.test(lines[j]); j++) body.push(lines[j]);
      if (j === lines.length) throw new Error(`${file}:${i + 1}: the code fence opened here is never closed`);
      cell.text = body.join('\n').replace(/\s+$/, '');
      if (!cell.text) throw new Error(`${file}:${i + 1}: empty code cell`);
      cells.push(cell);
      i = j;
      continue;
    }
    if (fence && fence[1] !== '') {
      // A fence in another language (bash, json...) stays in the Markdown cell, closing fence included.
      prose.push(line);
      let j = i + 1;
      for (; j < lines.length && !/^```\s*$/.test(lines[j]); j++) prose.push(lines[j]);
      if (j === lines.length) throw new Error(`${file}:${i + 1}: the code fence opened here is never closed`);
      prose.push(lines[j]);
      i = j;
      continue;
    }
    prose.push(line);
  }
  flushProse();
  return { metadata, cells };
}

/** The variants a source produces: an exercise source gives the TODO, solution and wrong notebooks. */
export function variantsOf(src: ParsedSource): (Variant | null)[] {
  return src.cells.some((c) => c.variant) ? ['todo', 'solution', 'wrong'] : [null];
}

export function notebookName(base: string, variant: Variant | null): string {
  return variant === null || variant === 'todo' ? base : `${base}-${variant === 'solution' ? 'solutions' : 'wrong'}`;
}

const sourceLines = (text: string): string[] => text.split('\n').map((l, i, a) => (i < a.length - 1 ? l + '\n' : l));

/** The .ipynb JSON of one variant (stable cell ids, so rebuilding gives a clean diff). */
export function toIpynb(name: string, src: ParsedSource, variant: Variant | null): object {
  const cells = src.cells.filter((c) => !c.variant || c.variant === variant || (variant === 'wrong' && c.variant === 'todo' && !hasWrongTwin(src, c)));
  const wsol: Record<string, unknown> = { ...src.metadata };
  if (variant === 'todo' || variant === 'wrong') wsol.graded = variant;
  if (variant === 'solution') wsol.graded = 'solution';
  return {
    cells: cells.map((c, k) => {
      const id = `${name}-${k}`;
      if (c.kind === 'markdown') return { cell_type: 'markdown', id, metadata: {}, source: sourceLines(c.text) };
      const text = c.text.replace(/__NOTEBOOK__/g, name);
      return { cell_type: 'code', id, metadata: c.check ? { wsol: { check: c.check } } : {}, execution_count: null, outputs: [], source: sourceLines(text) };
    }),
    metadata: {
      kernelspec: { display_name: 'TypeScript', language: 'typescript', name: 'tslab' },
      language_info: { name: 'typescript', file_extension: '.ts', mimetype: 'text/typescript' },
      ...(Object.keys(wsol).length > 0 ? { wsol } : {}),
    },
    nbformat: 4,
    nbformat_minor: 5,
  };
}

/** A todo cell that is directly followed (after its solution) by a wrong cell is replaced by it. */
function hasWrongTwin(src: ParsedSource, todo: SourceCell): boolean {
  const i = src.cells.indexOf(todo);
  for (let j = i + 1; j < src.cells.length && src.cells[j].kind === 'code' && src.cells[j].variant; j++) {
    if (src.cells[j].variant === 'wrong') return true;
    if (src.cells[j].variant === 'todo') return false;
  }
  return false;
}

export const SOURCE_DIR = path.join(__dirname, 'src');

/** name -> JSON text of every notebook the sources produce (the wrong variants go to `wrongDir`). */
export function renderAll(sourceDir = SOURCE_DIR): Map<string, string> {
  const out = new Map<string, string>();
  for (const file of fs.readdirSync(sourceDir).filter((f) => f.endsWith('.md')).sort()) {
    const base = file.replace(/\.md$/, '');
    const src = parseSource(fs.readFileSync(path.join(sourceDir, file), 'utf8'), path.join('notebooks/src', file));
    for (const v of variantsOf(src)) {
      const name = notebookName(base, v);
      out.set(name, JSON.stringify(toIpynb(name, src, v), null, 1) + '\n');
    }
  }
  return out;
}

/** Only the notebooks a reader opens (the -wrong variants are test fixtures, written elsewhere). */
export const isReaderNotebook = (name: string): boolean => !name.endsWith('-wrong');

function writeAtomic(file: string, text: string): void {
  fs.mkdirSync(path.dirname(file), { recursive: true });
  const tmp = `${file}.${process.pid}.tmp`;
  fs.writeFileSync(tmp, text);
  fs.renameSync(tmp, file); // a half-written notebook never replaces a good one
}

/** Writes the reader notebooks into `dir`; returns their paths. */
export function buildNotebooks(dir = __dirname, sourceDir = SOURCE_DIR): string[] {
  const files: string[] = [];
  for (const [name, text] of renderAll(sourceDir)) {
    if (!isReaderNotebook(name)) continue;
    const file = path.join(dir, `${name}.ipynb`);
    writeAtomic(file, text);
    files.push(file);
  }
  return files;
}

/** Writes one rendered notebook (e.g. a -wrong test fixture) to `file`. */
export function writeRendered(name: string, file: string, sourceDir = SOURCE_DIR): void {
  const text = renderAll(sourceDir).get(name);
  if (text === undefined) throw new Error(`build-notebooks: no source produces ${name}`);
  writeAtomic(file, text);
}

/** Reader notebooks whose committed .ipynb differs from its source, and .ipynb files without a source. */
export function staleNotebooks(dir = __dirname, sourceDir = SOURCE_DIR): string[] {
  const rendered = renderAll(sourceDir);
  const problems: string[] = [];
  for (const [name, text] of rendered) {
    if (!isReaderNotebook(name)) continue;
    const file = path.join(dir, `${name}.ipynb`);
    if (!fs.existsSync(file)) problems.push(`${name}.ipynb is missing (run npm run notebooks:build)`);
    else if (fs.readFileSync(file, 'utf8') !== text) problems.push(`${name}.ipynb differs from notebooks/src (edit the source, then npm run notebooks:build)`);
  }
  for (const f of fs.readdirSync(dir).filter((x) => x.endsWith('.ipynb'))) {
    if (!rendered.has(f.replace(/\.ipynb$/, ''))) problems.push(`${f} has no source in notebooks/src`);
  }
  return problems;
}

if (require.main === module) {
  if (process.argv.includes('--check')) {
    const problems = staleNotebooks();
    for (const p of problems) console.error(p);
    process.exit(problems.length === 0 ? 0 : 1);
  }
  for (const f of buildNotebooks()) console.log(`wrote ${path.relative(process.cwd(), f)}`);
}
