/**
 * Shared by the notebook tests: prepares the project-local Jupyter setup once per test file
 * and runs notebooks headless through notebooks/run_notebooks.py (nbclient + the tslab kernel).
 */
import { spawnSync } from 'node:child_process';
import { createHash } from 'node:crypto';
import { writeRendered } from '../../notebooks/build-notebooks';
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';

export const ROOT = path.resolve(__dirname, '../..');
export const NOTEBOOKS_DIR = path.join(ROOT, 'notebooks');
// Outside the project, like the notebooks' run folders: tslab's watcher follows the project's
// directories, and the executed notebooks appearing there while another kernel runs can stop it.
export const ARTIFACTS = path.join(os.tmpdir(), `wsol-test-artifacts-${createHash('sha256').update(ROOT).digest('hex').slice(0, 12)}`);
const PYTHON = '/usr/bin/python3';

/** Why the notebook tests cannot run here, or null when Jupyter is available. */
export function missingJupyter(): string | null {
  const probe = spawnSync(PYTHON, ['-c', 'import nbclient, nbconvert, nbformat'], { encoding: 'utf8' });
  return probe.status === 0 ? null : `Debian Jupyter not found (${PYTHON} cannot import nbclient/nbconvert): apt-get install jupyter-nbconvert python3-nbclient`;
}

/** Registers the kernel, builds dist/ and links the package (data-scripts/setup-notebooks.sh). */
export function setupNotebooks(): void {
  const r = spawnSync('bash', [path.join(ROOT, 'data-scripts/setup-notebooks.sh')], { cwd: ROOT, encoding: 'utf8' });
  if (r.status !== 0) throw new Error(`setup-notebooks.sh failed (${r.status}):\n${r.stdout}\n${r.stderr}`);
}

/** A small `wsol reproduce` results.json for 06's "longer run" cell: ours 10 points ahead of cam over 2 seeds. */
function writeReproduceFixture(dir: string): void {
  fs.mkdirSync(dir, { recursive: true });
  const row = (method: string, seed: number, box: number) => ({ method, dataset: 'parts', seed, trainSeconds: 60, runDir: 'x', top1Cls: 95, top5Cls: 100, top1Loc: box - 5, top5Loc: box, gtKnownLoc: box, maxBoxAcc: box, maxBoxAccV2: box, pxap: null });
  const rows = [row('cam', 1, 50), row('ours', 1, 61), row('cam', 2, 52), row('ours', 2, 61)];
  fs.writeFileSync(path.join(dir, 'results.json'), JSON.stringify({ createdAt: '2026-01-01T00:00:00Z', quick: false, train: {}, rows }));
}

export interface RunResult {
  status: number | null;
  stdout: string;
  stderr: string;
  /** Notebook name -> the line run_notebooks.py printed for it. */
  lines: Map<string, string>;
}

/**
 * Executes notebooks in quick mode, writing executed .ipynb + .html into outDir. The notebooks'
 * own outputs (training runs) go to a fresh folder, so nothing is reused from an earlier run.
 */
export function runNotebooks(outDir: string, notebooks: string[], jobs = 2, options: { rerun?: boolean; env?: Record<string, string> } = {}): RunResult {
  fs.rmSync(outDir, { recursive: true, force: true });
  // The notebooks' own run folders live outside the project: tslab's TypeScript watcher follows
  // directories of the project, and folders appearing there while a kernel runs can stop it
  // ("Unexpected pending rebuildTimer"). A link keeps them readable at outDir/notebook-out.
  const runs = path.join(os.tmpdir(), `wsol-notebook-out-${createHash('sha256').update(outDir).digest('hex').slice(0, 12)}`);
  fs.rmSync(runs, { recursive: true, force: true });
  fs.mkdirSync(runs, { recursive: true });
  fs.mkdirSync(outDir, { recursive: true });
  fs.symlinkSync(runs, path.join(outDir, 'notebook-out'));
  writeReproduceFixture(path.join(outDir, 'reproduce-fixture'));
  const r = spawnSync(PYTHON, [path.join(NOTEBOOKS_DIR, 'run_notebooks.py'), '--jobs', String(jobs), ...(options.rerun ? ['--rerun'] : []), outDir, ...notebooks], {
    cwd: ROOT,
    encoding: 'utf8',
    env: { ...process.env, WSOL_QUICK: '1', WSOL_NOTEBOOK_OUT: runs, WSOL_REPRODUCE_DIR: path.join(outDir, 'reproduce-fixture'), JUPYTER_PATH: path.join(ROOT, '.jupyter/share/jupyter'), PYTHONWARNINGS: 'ignore', ...(options.env ?? {}) },
    maxBuffer: 64 * 1024 * 1024,
  });
  const lines = new Map<string, string>();
  for (const line of r.stdout.split('\n')) {
    const m = /^(ok|FAIL) +(\S+)/.exec(line);
    if (m) lines.set(m[2], line);
  }
  return { status: r.status, stdout: r.stdout, stderr: r.stderr, lines };
}

export interface NotebookJson {
  cells: { cell_type: string; execution_count?: number | null; outputs?: Output[]; source: string | string[]; metadata?: { wsol?: { check?: string } } }[];
  metadata: { wsol?: { expect_error?: string; graded?: string; exercises?: number } };
}
export interface Output {
  output_type: string;
  name?: string;
  text?: string | string[];
  evalue?: string;
  data?: Record<string, string | string[]>;
}

export const readNotebook = (file: string): NotebookJson => JSON.parse(fs.readFileSync(file, 'utf8')) as NotebookJson;
export const joined = (v: string | string[] | undefined): string => (Array.isArray(v) ? v.join('') : (v ?? ''));

/** Writes a throwaway notebook (tslab kernel) from code cells. */
export function writeNotebook(file: string, codeCells: string[]): void {
  const nb = {
    cells: codeCells.map((code, i) => ({ cell_type: 'code', id: `c${i}`, metadata: {}, execution_count: null, outputs: [], source: code })),
    metadata: { kernelspec: { display_name: 'TypeScript', language: 'typescript', name: 'tslab' } },
    nbformat: 4,
    nbformat_minor: 5,
  };
  fs.mkdirSync(path.dirname(file), { recursive: true });
  fs.writeFileSync(file, JSON.stringify(nb));
}

/** The reader notebooks (notebooks/*.ipynb) plus the wrong-answer variant of the exercises. */
export function allNotebookFiles(): string[] {
  const reader = fs.readdirSync(NOTEBOOKS_DIR).filter((f) => f.endsWith('.ipynb')).sort().map((f) => path.join(NOTEBOOKS_DIR, f));
  const wrong = path.join(ARTIFACTS, 'fixtures', '08-exercises-wrong.ipynb');
  writeRendered('08-exercises-wrong', wrong);
  return [...reader, wrong];
}

export const QUICK_RUN_DIR = path.join(ARTIFACTS, 'notebooks');

/** Every source file under `dir` (recursively, sorted), leaving out build output and dependencies. */
export function sourceFiles(dir: string): string[] {
  const out: string[] = [];
  for (const e of fs.readdirSync(dir, { withFileTypes: true }).sort((a, b) => (a.name < b.name ? -1 : 1))) {
    const full = path.join(dir, e.name);
    if (e.isDirectory()) {
      if (e.name !== 'build' && e.name !== 'node_modules') out.push(...sourceFiles(full));
    } else if (e.isFile()) out.push(full);
  }
  return out;
}

/**
 * The stamp of everything an executed notebook depends on: the notebooks, the runner, and every
 * file under src/ (the built package is made from them; a change in method/, train/ or localize/
 * must run the notebooks again, not reuse their outputs).
 */
export function notebookRunStamp(files: string[]): string {
  const hash = createHash('sha256');
  for (const f of [...files, path.join(NOTEBOOKS_DIR, 'run_notebooks.py'), ...sourceFiles(path.join(ROOT, 'src'))]) hash.update(path.relative(ROOT, f)).update(fs.existsSync(f) ? fs.readFileSync(f) : '');
  return hash.digest('hex');
}

/**
 * Every notebook executed in quick mode, each code cell twice in a row and then all cells once
 * more in the same kernel (the exercise variants whose checks must fail run once), shared by the
 * test files of this folder: the run is repeated only when a notebook or a source file changed since.
 */
export function quickRunAll(): RunResult {
  const files = allNotebookFiles();
  const stamp = notebookRunStamp(files);
  const stampFile = path.join(QUICK_RUN_DIR, 'run-stamp.json');
  if (fs.existsSync(stampFile)) {
    const saved = JSON.parse(fs.readFileSync(stampFile, 'utf8')) as { stamp: string; result: Omit<RunResult, 'lines'> & { lines: [string, string][] } };
    if (saved.stamp === stamp) return { ...saved.result, lines: new Map(saved.result.lines) };
  }
  const result = runNotebooks(QUICK_RUN_DIR, files, 2, { rerun: true });
  fs.writeFileSync(stampFile, JSON.stringify({ stamp, result: { ...result, stderr: result.stderr.slice(-20000), lines: [...result.lines] } }));
  return result;
}
