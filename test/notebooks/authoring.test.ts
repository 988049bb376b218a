/**
 * Notebook sources: one Markdown file per notebook in notebooks/src, converted to the committed
 * .ipynb by notebooks/build-notebooks.ts. The committed notebooks must match their sources and
 * carry no outputs; the converter's rules are checked on small hand-written sources.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { buildNotebooks, parseSource, staleNotebooks, toIpynb, variantsOf } from '../../notebooks/build-notebooks';
import { NOTEBOOKS_DIR, readNotebook } from './jupyter-harness';

test('every committed notebook is its source converted, with no outputs', () => {
  assert.deepEqual(staleNotebooks(), []);
  for (const f of fs.readdirSync(NOTEBOOKS_DIR).filter((x) => x.endsWith('.ipynb'))) {
    const nb = readNotebook(path.join(NOTEBOOKS_DIR, f));
    for (const c of nb.cells.filter((x) => x.cell_type === 'code')) {
      assert.deepEqual(c.outputs, [], `${f} has outputs`);
      assert.equal(c.execution_count, null, `${f} has an execution count`);
    }
  }
});

test('prose becomes Markdown cells, ts fences code cells; other fences stay prose', () => {
  const src = parseSource(['# Title', '', 'Some text.', '', '```bash', 'npm test', '```', '', '```ts', 'const x = 1;', '```', 'More.', '<!-- cell -->', 'Second.', '```typescript', 'x;', '```'].join('\n'));
  assert.deepEqual(src.cells.map((c) => [c.kind, c.text]), [
    ['markdown', '# Title\n\nSome text.\n\n```bash\nnpm test\n```'],
    ['code', 'const x = 1;'],
    ['markdown', 'More.'],
    ['markdown', 'Second.'],
    ['code', 'x;'],
  ]);
});

test('exercise sources give a TODO, a solution and a wrong variant; checks are marked; the name token is filled', () => {
  const text = ['<!-- notebook: {"exercises": 1} -->', '```ts', "setup('__NOTEBOOK__');", '```', '```ts todo', 'todo();', '```', '```ts solution', 'solution();', '```', '```ts wrong', 'wrong();', '```', '```ts check="Exercise 1"', 'check();', '```'].join('\n');
  const src = parseSource(text);
  assert.deepEqual(variantsOf(src), ['todo', 'solution', 'wrong']);
  const code = (v: 'todo' | 'solution' | 'wrong', name: string) =>
    (toIpynb(name, src, v) as { cells: { source: string[]; metadata: object }[] }).cells.map((c) => c.source.join(''));
  assert.deepEqual(code('todo', 'ex'), ["setup('ex');", 'todo();', 'check();']);
  assert.deepEqual(code('solution', 'ex-solutions'), ["setup('ex-solutions');", 'solution();', 'check();']);
  assert.deepEqual(code('wrong', 'ex-wrong'), ["setup('ex-wrong');", 'wrong();', 'check();']);
  const nb = toIpynb('ex', src, 'todo') as { cells: { metadata: { wsol?: { check: string } } }[]; metadata: { wsol: object } };
  assert.deepEqual(nb.cells[2].metadata, { wsol: { check: 'Exercise 1' } });
  assert.deepEqual(nb.metadata.wsol, { exercises: 1, graded: 'todo' });
  // Without a wrong answer the wrong variant keeps the TODO cell.
  const noWrong = parseSource(['```ts todo', 'todo();', '```', '```ts solution', 'solution();', '```'].join('\n'));
  assert.deepEqual((toIpynb('x', noWrong, 'wrong') as { cells: { source: string[] }[] }).cells.map((c) => c.source.join('')), ['todo();']);
});

test('source errors name the file and line', () => {
  assert.throws(() => parseSource('text\n```ts\nconst x = 1;\n', 'notebooks/src/x.md'), /notebooks\/src\/x\.md:2: the code fence opened here is never closed/);
  assert.throws(() => parseSource('<!-- notebook: {oops} -->', 'y.md'), /y\.md:1: the notebook metadata is not valid JSON/);
  assert.throws(() => parseSource('```ts\n```', 'z.md'), /z\.md:1: empty code cell/);
});

test('building writes the reader notebooks only, atomically, and reports stale or orphan files', () => {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'wsol-nb-'));
  const srcDir = path.join(dir, 'src');
  fs.mkdirSync(srcDir);
  fs.writeFileSync(path.join(srcDir, '01-a.md'), '# A\n```ts\n1;\n```\n');
  fs.writeFileSync(path.join(srcDir, '02-ex.md'), '```ts todo\nt;\n```\n```ts solution\ns;\n```\n');
  const written = buildNotebooks(dir, srcDir).map((f) => path.basename(f)).sort();
  assert.deepEqual(written, ['01-a.ipynb', '02-ex-solutions.ipynb', '02-ex.ipynb']);
  assert.deepEqual(staleNotebooks(dir, srcDir), []);
  fs.writeFileSync(path.join(srcDir, '01-a.md'), '# A changed\n```ts\n1;\n```\n');
  fs.writeFileSync(path.join(dir, '99-orphan.ipynb'), '{}');
  assert.deepEqual(staleNotebooks(dir, srcDir), ['01-a.ipynb differs from notebooks/src (edit the source, then npm run notebooks:build)', '99-orphan.ipynb has no source in notebooks/src']);
  assert.deepEqual(fs.readdirSync(dir).filter((f) => f.includes('.tmp')), []);
  fs.rmSync(dir, { recursive: true, force: true });
});
