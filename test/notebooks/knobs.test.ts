/**
 * Every "Try changing" knob of every chapter can be changed: each value a chapter tells a student
 * to try is applied to a copy of the notebook (the line it names replaced, or the cell it gives
 * appended) and the copy runs headless in quick mode without an error. The knobs are listed in the
 * sources as `<!-- try: {...} -->` lines beside the prose that names them.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import * as fs from 'node:fs';
import * as path from 'node:path';
import { writeRendered } from '../../notebooks/build-notebooks';
import { ARTIFACTS, NOTEBOOKS_DIR, joined, missingJupyter, readNotebook, runNotebooks, setupNotebooks, type NotebookJson } from './jupyter-harness';

const skip = missingJupyter() ?? false;
const SOURCES = path.join(NOTEBOOKS_DIR, 'src');
const OUT = path.join(ARTIFACTS, 'knobs');

interface Knob {
  replace?: string;
  with?: string;
  append?: string;
  env?: Record<string, string>;
}

function knobsOf(source: string): Knob[] {
  return [...source.matchAll(/^<!-- try: (\{.*\}) -->$/gm)].map((m) => JSON.parse(m[1]) as Knob);
}

const chapters = fs.readdirSync(SOURCES).filter((f) => f.endsWith('.md')).sort().map((f) => f.replace(/\.md$/, ''));

test('every chapter that says "Try changing" lists its knobs', () => {
  for (const name of chapters) {
    const src = fs.readFileSync(path.join(SOURCES, `${name}.md`), 'utf8');
    if (src.includes('**Try changing:**')) assert.ok(knobsOf(src).length > 0, `${name}: a "Try changing" paragraph without a try line`);
  }
});

/** The notebook with one knob applied; throws when the line it names is not in exactly one code cell. */
function applied(name: string, knob: Knob, file: string): void {
  writeRendered(name, file);
  const nb = JSON.parse(fs.readFileSync(file, 'utf8')) as NotebookJson & { cells: { source: string | string[] }[] };
  if (knob.replace !== undefined) {
    const hits = nb.cells.filter((c) => c.cell_type === 'code' && joined(c.source).split(knob.replace!).length === 2);
    if (hits.length !== 1) throw new Error(`${name}: "${knob.replace}" is in ${hits.length} code cells (the knob's text no longer matches the code)`);
    hits[0].source = joined(hits[0].source).replace(knob.replace, knob.with ?? '');
  }
  if (knob.append !== undefined) nb.cells.push({ cell_type: 'code', execution_count: null, outputs: [], source: knob.append, metadata: {} });
  fs.writeFileSync(file, JSON.stringify(nb));
}

test('each knob, applied, runs without an error', { skip }, () => {
  setupNotebooks();
  const groups = new Map<string, string[]>();
  for (const name of chapters) {
    if (name === '08-exercises') continue; // the exercises are checked by their own test
    const knobs = knobsOf(fs.readFileSync(path.join(SOURCES, `${name}.md`), 'utf8'));
    knobs.forEach((knob, k) => {
      const file = path.join(OUT, 'variants', `${name}--try${k + 1}.ipynb`);
      fs.mkdirSync(path.dirname(file), { recursive: true });
      applied(name, knob, file);
      const env = JSON.stringify(knob.env ?? {});
      groups.set(env, [...(groups.get(env) ?? []), file]);
    });
  }
  assert.ok([...groups.values()].flat().length >= 10);
  for (const [env, files] of groups) {
    const saved = { ...process.env };
    Object.assign(process.env, JSON.parse(env));
    try {
      const r = runNotebooks(path.join(OUT, `run-${Object.values(JSON.parse(env)).join('-') || 'default'}`), files, 2);
      for (const f of files) {
        const name = path.basename(f, '.ipynb');
        assert.match(r.lines.get(name) ?? 'missing', /^ok /, `${name} (${env}): ${r.lines.get(name)}`);
      }
      assert.equal(r.status, 0, r.stdout);
    } finally {
      process.env = saved;
    }
  }
  // The 00 variant really ran on the engine it asked for.
  const setup = readNotebook(path.join(OUT, 'run-cpu', '00-setup-check--try1.ipynb'));
  assert.match(setup.cells.flatMap((c) => c.outputs ?? []).map((o) => joined(o.text) + joined(o.data?.['text/markdown'])).join(''), /Engine in use: cpu/);
});
