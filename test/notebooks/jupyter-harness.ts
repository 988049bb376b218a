/**
 * Shared by the notebook tests: prepares the project-local Jupyter setup once per test file
 * and runs notebooks headless through notebooks/run_notebooks.py (nbclient + the tslab kernel).
 */
import { spawnSync } from 'node:child_process';
import * as fs from 'node:fs';
import * as path from 'node:path';

export const ROOT = path.resolve(__dirname, '../..');
export const NOTEBOOKS_DIR = path.join(ROOT, 'notebooks');
export const ARTIFACTS = path.join(ROOT, 'out', 'test-artifacts');
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

export interface RunResult {
  status: number | null;
  stdout: string;
  stderr: string;
  /** Notebook name -> the line run_notebooks.py printed for it. */
  lines: Map<string, string>;
}

/** Executes notebooks in quick mode, writing executed .ipynb + .html into outDir. */
export function runNotebooks(outDir: string, notebooks: string[], jobs = 2): RunResult {
  fs.rmSync(outDir, { recursive: true, force: true });
  const r = spawnSync(PYTHON, [path.join(NOTEBOOKS_DIR, 'run_notebooks.py'), '--jobs', String(jobs), outDir, ...notebooks], {
    cwd: ROOT,
    encoding: 'utf8',
    env: { ...process.env, WSOL_QUICK: '1', JUPYTER_PATH: path.join(ROOT, '.jupyter/share/jupyter'), PYTHONWARNINGS: 'ignore' },
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
  cells: { cell_type: string; execution_count?: number | null; outputs?: Output[]; source: string | string[] }[];
  metadata: { wsol?: { expect_error?: string } };
}
export interface Output {
  output_type: string;
  name?: string;
  text?: string | string[];
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
