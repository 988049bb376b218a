/**
 * Every notebook in notebooks/ executes headless in quick mode through Jupyter (nbclient) and the
 * tslab kernel: the runner's exit status, its per-notebook verdicts and the saved outputs are all
 * checked. The graded exercises are checked three ways: every check cell fails on the TODO version,
 * passes on the solutions, and rejects a plausible wrong answer. A last test proves the runner does
 * fail on compile and runtime errors.
 */
import { test, before } from 'node:test';
import assert from 'node:assert/strict';
import * as fs from 'node:fs';
import * as path from 'node:path';
import { ARTIFACTS, NOTEBOOKS_DIR, QUICK_RUN_DIR, ROOT, allNotebookFiles, joined, missingJupyter, notebookRunStamp, quickRunAll, readNotebook, runNotebooks, setupNotebooks, writeNotebook, type RunResult } from './jupyter-harness';

const skip = missingJupyter() ?? false;
let run: RunResult;

before(() => {
  if (skip) return;
  setupNotebooks();
  run = quickRunAll();
});

test('setup registers the tslab kernel in the project-local JUPYTER_PATH and links the built package', { skip }, () => {
  const kernel = JSON.parse(fs.readFileSync(path.join(ROOT, '.jupyter/share/jupyter/kernels/tslab/kernel.json'), 'utf8')) as { argv: string[] };
  assert.equal(kernel.argv[0], path.join(ROOT, 'node_modules/.bin/tslab'));
  assert.ok(fs.existsSync(path.join(ROOT, 'dist/index.js')) && fs.existsSync(path.join(ROOT, 'dist/index.d.ts')));
  assert.equal(fs.realpathSync(path.join(NOTEBOOKS_DIR, 'node_modules/where-to-look')), fs.realpathSync(ROOT));
});

const outputsOf = (name: string) => readNotebook(path.join(QUICK_RUN_DIR, `${name}.ipynb`)).cells.flatMap((c) => c.outputs ?? []);
const textOf = (name: string) => outputsOf(name).map((o) => joined(o.text) + joined(o.data?.['text/markdown']) + joined(o.data?.['text/html'])).join('\n');

test('every notebook runs headless in quick mode without errors', { skip }, () => {
  const names = fs.readdirSync(NOTEBOOKS_DIR).filter((f) => f.endsWith('.ipynb')).sort();
  assert.ok(names.length >= 10, `notebooks found: ${names.join(', ')}`);
  assert.equal(run.status, 0, `run_notebooks.py failed:\n${run.stdout}\n${run.stderr.slice(-3000)}`);
  for (const file of names) {
    const name = file.replace(/\.ipynb$/, '');
    assert.match(run.lines.get(name) ?? 'missing', /^ok /, `${name}: ${run.lines.get(name)}`);
    // Independent of the runner's verdict: inspect what the kernel actually produced.
    const nb = readNotebook(path.join(QUICK_RUN_DIR, file));
    assert.ok(fs.statSync(path.join(QUICK_RUN_DIR, `${name}.html`)).size > 0, `${name}.html written`);
    if (nb.metadata.wsol?.graded) continue; // checked below
    const code = nb.cells.filter((c) => c.cell_type === 'code');
    const errors = code.flatMap((c) => c.outputs ?? []).filter((o) => o.output_type === 'error');
    const stderr = code.flatMap((c) => c.outputs ?? []).filter((o) => o.output_type === 'stream' && o.name === 'stderr').map((o) => joined(o.text));
    assert.deepEqual(errors, [], `${name} has error outputs`);
    assert.deepEqual(stderr.filter((t) => /error/i.test(t)), [], `${name} wrote errors to stderr`);
    code.forEach((c, i) => assert.equal(typeof c.execution_count, 'number', `${name}: code cell ${i} did not run`));
    assert.ok(code.some((c) => (c.outputs ?? []).length > 0), `${name} produced output`);
  }
});

test('chapters show overlays, the quick-mode banner and findings written from the run', { skip }, () => {
  for (const name of ['01-the-problem', '03-caam-ssam', '04-fusion-loss', '05-training', '06-evaluation']) {
    const text = textOf(name);
    assert.match(text, /Quick mode\./, `${name} shows the quick-mode banner`);
    assert.match(text, /What the numbers show/, `${name} has generated findings`);
    assert.match(text, /"type":"image"/, `${name} draws image overlays`);
  }
  for (const name of ['00-setup-check', '02-complementary-dropout', '07-cub']) assert.doesNotMatch(textOf(name), /Quick mode\./, `${name} trains nothing: no banner`);
  // Findings quote the measured numbers of this run, e.g. the final Top-1 of 05's history.
  const shared = path.join(QUICK_RUN_DIR, 'notebook-out', 'shared', 'ours-quick');
  const runs = fs.readdirSync(shared).filter((d) => d.startsWith('run-'));
  assert.equal(runs.length, 1, `one run of the shared recipe: ${runs.join(', ')}`);
  const history = JSON.parse(fs.readFileSync(path.join(shared, runs[0], 'history.json'), 'utf8')) as { valTop1Cls: number }[];
  assert.ok(textOf('05-training').includes(`${history[history.length - 1].valTop1Cls.toFixed(1)}%`));
  // 06 reports mean ± std over two seeds and draws every method's sweep on one set of axes.
  assert.match(textOf('06-evaluation'), /\| cam \| [\d.]+ ± [\d.]+ \|/);
  assert.match(textOf('06-evaluation'), /Every method's threshold sweep/);
  // With a reproduce results file, 06 writes the same findings for that longer run (fixture: ours 61.0 vs cam 51.0 ± 1.4).
  assert.match(textOf('06-evaluation'), /What the longer run shows[\s\S]*ours is ahead of cam by 10\.0 points/);
  // One reusable folder per notebook, no timestamped piles.
  const out = fs.readdirSync(path.join(QUICK_RUN_DIR, 'notebook-out')).sort();
  assert.deepEqual(out.filter((d) => !d.endsWith('.lock')), ['00-setup-check', '01-the-problem', '02-complementary-dropout', '03-caam-ssam', '04-fusion-loss', '05-training', '06-evaluation', '07-cub', '08-exercises', '08-exercises-solutions', '08-exercises-wrong', '09-your-own-images', 'shared']);
  // 09 made its example folder, the folder: metadata, and trained both methods on it.
  const own = path.join(QUICK_RUN_DIR, 'notebook-out', '09-your-own-images');
  for (const f of ['example-images/boxes.csv', 'metadata/train/image_ids.txt', 'metadata/val/localization.txt', 'metadata/class_names.txt']) assert.ok(fs.existsSync(path.join(own, f)), `09 wrote ${f}`);
  assert.deepEqual(fs.readdirSync(path.join(own, 'quick')).filter((d) => !d.endsWith('.lock')).sort(), ['cam', 'ours']);
  assert.match(textOf('09-your-own-images'), /\| cam \| [\d.]+ \| [\d.]+ \| [\d.]+ \|[\s\S]*\| ours \|/);
  assert.match(textOf('09-your-own-images'), /Quick mode\./);
  // 07 skips cleanly without CUB and says how to get the data and the weights.
  assert.match(textOf('07-cub'), /prepare-cub\.sh/);
  assert.match(textOf('07-cub'), /skipping/);
});

test('graded exercises: each check fails on the TODO version, passes on the solution and rejects a wrong answer', { skip }, () => {
  for (const [name, variant] of [['08-exercises', 'todo'], ['08-exercises-solutions', 'solution'], ['08-exercises-wrong', 'wrong']] as const) {
    assert.match(run.lines.get(name) ?? 'missing', /^ok /, `${name}: ${run.lines.get(name)}`);
    const nb = readNotebook(path.join(QUICK_RUN_DIR, `${name}.ipynb`));
    assert.equal(nb.metadata.wsol?.graded, variant);
    const checks = nb.cells.filter((c) => c.metadata?.wsol?.check);
    assert.equal(checks.length, 7);
    assert.ok(checks.length >= 6 && checks.length === nb.metadata.wsol?.exercises);
    for (const c of checks) {
      const exercise = c.metadata!.wsol!.check!;
      const text = (c.outputs ?? []).map((o) => joined(o.text) + joined(o.evalue)).join('');
      // (tslab gives a failed cell no execution count: the error text is the proof it ran.)
      if (variant === 'solution') assert.match(text, new RegExp(`^${exercise}: correct`), `${name}: ${exercise}`);
      else assert.match(text, new RegExp(`Error: (TODO: )?${exercise}`), `${name}: ${exercise} should fail, got: ${text.slice(0, 200)}`);
      if (variant === 'wrong') assert.match(text, /is not right yet|change exactly one/, `${name}: ${exercise} fails on the answer, not on a missing one`);
    }
  }
});

test("01's live-training cell redraws one output in place, at least 5 times, with the step rising", { skip }, () => {
  const log = JSON.parse(fs.readFileSync(path.join(QUICK_RUN_DIR, '01-the-problem.displays.json'), 'utf8')) as { cell: number; display_id: string; update: boolean; step: number | null }[];
  const nb = readNotebook(path.join(QUICK_RUN_DIR, '01-the-problem.ipynb'));
  const cell = nb.cells.findIndex((c) => joined(c.source).includes('await live.train('));
  assert.ok(cell > 0, 'the live cell');
  const ids = [...new Set(log.filter((e) => e.cell === cell).map((e) => e.display_id))];
  // Run twice in a row and once more at the end: three outputs, each redrawn in place.
  assert.equal(ids.length, 3, `one display per execution of the cell, got ${ids.length}`);
  const steps = log.filter((e) => e.display_id === ids[0]).map((e) => e.step!);
  assert.ok(log.filter((e) => e.display_id === ids[0] && e.update).length >= 5, `first execution's redraws: ${steps.join(',')}`);
  assert.ok(steps.every((v, i) => i === 0 || v >= steps[i - 1]) && steps.at(-1)! > steps[0], `steps rise: ${steps.join(',')}`);
  // The second execution continued where the first stopped.
  const firstEnd = log.filter((e) => e.display_id === ids[0]).at(-1)!.step!;
  assert.equal(log.filter((e) => e.display_id === ids[1])[0].step, firstEnd);
  // The saved output is the last redraw, not a pile of them; the last execution came after the plan's end and says so.
  const outs = (nb.cells[cell].outputs ?? []).filter((o) => joined(o.data?.['text/html']).includes('wsol-live'));
  assert.equal(outs.length, 1);
  assert.match(joined(outs[0].data?.['text/html']), /The plan&#39;s 8 steps|The plan's 8 steps/);
  assert.match(joined(outs[0].data?.['text/html']), /keeps the learning rate at its last value/);
});

test('the stamp that lets the notebook tests reuse a run covers every source file, not only the built package', { skip }, () => {
  const files = allNotebookFiles();
  const before = notebookRunStamp(files);
  const probe = path.join(ROOT, 'src', 'method', `.stamp-probe-${process.pid}.ts`);
  fs.writeFileSync(probe, '// a change under src/method\n');
  try {
    assert.notEqual(notebookRunStamp(files), before, 'a change under src/method/ runs the notebooks again');
  } finally {
    fs.rmSync(probe);
  }
  assert.equal(notebookRunStamp(files), before);
});

test('the TODO comments do not give the answers away', () => {
  const src = fs.readFileSync(path.join(NOTEBOOKS_DIR, 'src', '08-exercises.md'), 'utf8');
  const todos = [...src.matchAll(/```ts todo\n([\s\S]*?)```/g)].map((m) => m[1]);
  assert.equal(todos.length, 7);
  for (const t of todos) {
    const comments = t.split('\n').filter((l) => l.includes('//')).join('\n');
    assert.doesNotMatch(comments, /\*|max\(|Math\.|tf\.|1 - M|sigmoid|=>/, `a TODO comment holds code: ${comments}`);
  }
});

test('the runner fails on a type error and on a runtime error, naming the notebook', { skip }, () => {
  const dir = path.join(ARTIFACTS, 'notebook-failures');
  const typeError = path.join(dir, 'type-error.ipynb');
  const runtimeError = path.join(dir, 'runtime-error.ipynb');
  const fine = path.join(dir, 'fine.ipynb');
  writeNotebook(typeError, ['const n: number = "not a number";']);
  writeNotebook(runtimeError, ['console.log("before");', 'throw new Error("boom from the test");', 'console.log("never");']);
  writeNotebook(fine, ['const x = 6 * 7;\nconsole.log(`answer ${x}`);']);
  const r = runNotebooks(path.join(dir, 'out'), [typeError, runtimeError, fine]);
  assert.equal(r.status, 1);
  assert.match(r.lines.get('type-error') ?? '', /^FAIL type-error .*not assignable to type 'number'/);
  assert.match(r.lines.get('runtime-error') ?? '', /^FAIL runtime-error .*boom from the test/);
  assert.match(r.lines.get('fine') ?? '', /^ok +fine/);
  // --rerun: each code cell twice in a row, then all once more, in one kernel.
  const counter = path.join(dir, 'counter.ipynb');
  writeNotebook(counter, ['var runs: number[] = (globalThis as any).__runs ??= [];\nruns.push(1);\nconsole.log(`a ${runs.length}`);', 'console.log(`b ${runs.length}`);']);
  const again = runNotebooks(path.join(dir, 'out-rerun'), [counter], 1, { rerun: true });
  assert.equal(again.status, 0, again.stdout);
  const rerun = readNotebook(path.join(dir, 'out-rerun', 'counter.ipynb'));
  assert.deepEqual(rerun.cells.map((c) => joined(c.outputs?.[0]?.text)), ['a 3\n', 'b 3\n']);
  const executed = readNotebook(path.join(dir, 'out', 'runtime-error.ipynb'));
  assert.equal(joined(executed.cells[0].outputs?.[0]?.text), 'before\n');
  assert.equal(executed.cells[2].execution_count ?? null, null, 'execution stops at the failing cell');
});
