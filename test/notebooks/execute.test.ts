/**
 * Every notebook in notebooks/ executes headless in quick mode through Jupyter (nbclient) and the
 * tslab kernel: the runner's exit status, its per-notebook verdicts and the saved outputs are all
 * checked. A second test proves the runner does fail on compile and runtime errors.
 */
import { test, before } from 'node:test';
import assert from 'node:assert/strict';
import * as fs from 'node:fs';
import * as path from 'node:path';
import { ARTIFACTS, NOTEBOOKS_DIR, ROOT, joined, missingJupyter, readNotebook, runNotebooks, setupNotebooks, writeNotebook } from './jupyter-harness';

const skip = missingJupyter() ?? false;

before(() => {
  if (!skip) setupNotebooks();
});

test('setup registers the tslab kernel in the project-local JUPYTER_PATH and links the built package', { skip }, () => {
  const kernel = JSON.parse(fs.readFileSync(path.join(ROOT, '.jupyter/share/jupyter/kernels/tslab/kernel.json'), 'utf8')) as { argv: string[] };
  assert.equal(kernel.argv[0], path.join(ROOT, 'node_modules/.bin/tslab'));
  assert.ok(fs.existsSync(path.join(ROOT, 'dist/index.js')) && fs.existsSync(path.join(ROOT, 'dist/index.d.ts')));
  assert.equal(fs.realpathSync(path.join(NOTEBOOKS_DIR, 'node_modules/where-to-look')), fs.realpathSync(ROOT));
});

test('every notebook runs headless in quick mode without errors', { skip }, () => {
  const names = fs.readdirSync(NOTEBOOKS_DIR).filter((f) => f.endsWith('.ipynb')).sort();
  assert.ok(names.includes('00-setup-check.ipynb') && names.includes('02-complementary-dropout.ipynb'));
  const outDir = path.join(ARTIFACTS, 'notebooks');
  const run = runNotebooks(outDir, []);
  assert.equal(run.status, 0, `run_notebooks.py failed:\n${run.stdout}\n${run.stderr.slice(-3000)}`);
  for (const file of names) {
    const name = file.replace(/\.ipynb$/, '');
    assert.match(run.lines.get(name) ?? 'missing', /^ok /, `${name}: ${run.lines.get(name)}`);
    // Independent of the runner's verdict: inspect what the kernel actually produced.
    const nb = readNotebook(path.join(outDir, file));
    const expected = nb.metadata.wsol?.expect_error;
    const code = nb.cells.filter((c) => c.cell_type === 'code');
    const errors = code.flatMap((c) => c.outputs ?? []).filter((o) => o.output_type === 'error');
    const stderr = code.flatMap((c) => c.outputs ?? []).filter((o) => o.output_type === 'stream' && o.name === 'stderr').map((o) => joined(o.text));
    assert.ok(fs.statSync(path.join(outDir, `${name}.html`)).size > 0, `${name}.html written`);
    if (expected !== undefined) {
      assert.ok(stderr.some((t) => t.includes(expected)), `${name} should stop with "${expected}"`);
      continue;
    }
    assert.deepEqual(errors, [], `${name} has error outputs`);
    assert.deepEqual(stderr.filter((t) => /error/i.test(t)), [], `${name} wrote errors to stderr`);
    code.forEach((c, i) => assert.equal(typeof c.execution_count, 'number', `${name}: code cell ${i} did not run`));
    assert.ok(code.some((c) => (c.outputs ?? []).length > 0), `${name} produced output`);
  }
  const outputsOf = (name: string) => readNotebook(path.join(outDir, `${name}.ipynb`)).cells.flatMap((c) => c.outputs ?? []);
  // Figures are inline HTML with plotly, images PNG outputs; the solutions pass their own check.
  assert.ok(outputsOf('05-training').some((o) => joined(o.data?.['text/html']).includes('Plotly.newPlot')));
  assert.ok(outputsOf('02-complementary-dropout').some((o) => o.data?.['image/png'] !== undefined));
  assert.ok(outputsOf('08-exercises-solutions').some((o) => joined(o.text).includes('Both answers match the project implementation.')));
  // The setup notebook drew its plot with the embedded plotly bundle.
  const setup = readNotebook(path.join(outDir, '00-setup-check.ipynb'));
  const html = setup.cells.flatMap((c) => c.outputs ?? []).map((o) => joined(o.data?.['text/html'])).join('');
  assert.match(html, /Plotly\.newPlot/);
  assert.match(html, /window\.define = undefined/);
});

test('the runner fails on a type error and on a runtime error, naming the notebook', { skip }, () => {
  const dir = path.join(ARTIFACTS, 'notebook-failures');
  const typeError = path.join(dir, 'type-error.ipynb');
  const runtimeError = path.join(dir, 'runtime-error.ipynb');
  const fine = path.join(dir, 'fine.ipynb');
  writeNotebook(typeError, ['const n: number = "not a number";']);
  writeNotebook(runtimeError, ['console.log("before");', 'throw new Error("boom from the test");', 'console.log("never");']);
  writeNotebook(fine, ['const x = 6 * 7;\nconsole.log(`answer ${x}`);']);
  const run = runNotebooks(path.join(dir, 'out'), [typeError, runtimeError, fine]);
  assert.equal(run.status, 1);
  assert.match(run.lines.get('type-error') ?? '', /^FAIL type-error .*not assignable to type 'number'/);
  assert.match(run.lines.get('runtime-error') ?? '', /^FAIL runtime-error .*boom from the test/);
  assert.match(run.lines.get('fine') ?? '', /^ok +fine/);
  const executed = readNotebook(path.join(dir, 'out', 'runtime-error.ipynb'));
  assert.equal(joined(executed.cells[0].outputs?.[0]?.text), 'before\n');
  assert.equal(executed.cells[2].execution_count ?? null, null, 'execution stops at the failing cell');
});
