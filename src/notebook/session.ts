/**
 * The first cell of every notebook: picks the engine and says which, reads the mode (quick, class or
 * full; see recipes.ts), makes the
 * notebook's one output folder, and loads plotly into the page.
 */
import * as fs from 'fs';
import * as path from 'path';
import { initBackend, type BackendInfo } from '../backend/select';
import { QUICK_BANNER } from '../viz/findings';
import { notebookMode, type NotebookMode } from './recipes';
import { codeStyleHtml, plotlyLoaderHtml, resetFigureSession, showHtml } from '../viz/notebook-display';

export interface NotebookSession {
  /** WSOL_QUICK=1: every run shrinks to seconds (tests, a first look). */
  quick: boolean;
  /** quick (WSOL_QUICK=1), class (WSOL_CLASS=1: the whole set fits a 45-minute class) or full (the default). */
  mode: NotebookMode;
  /** This notebook's output folder (out/<notebook>, relative to the notebook), reused run after run. */
  outDir: string;
  backend: BackendInfo;
}

/**
 * Picks the backend, says which, shows the quick-mode banner. Its output carries the plotly bundle,
 * so every figure of the notebook draws after any cell is re-run, and in the saved notebook and
 * its HTML export (figures wait for it). Notebooks without figures pass `figures: false`.
 */
export async function notebookSetup(name: string, options: { trains?: boolean; figures?: boolean } = {}): Promise<NotebookSession> {
  const mode = notebookMode(process.env);
  const quick = mode === 'quick';
  const backend = await initBackend();
  // WSOL_NOTEBOOK_OUT moves every notebook's outputs (the tests use a fresh folder).
  const outDir = path.join(process.env.WSOL_NOTEBOOK_OUT ?? 'out', name);
  fs.mkdirSync(outDir, { recursive: true });
  console.log(`backend: ${backend.choice}${mode === 'full' ? '' : ` (${mode} mode)`}; outputs in ${path.isAbsolute(outDir) ? outDir : `notebooks/${outDir}`}/`);
  if (options.figures !== false) {
    if (showHtml(codeStyleHtml() + plotlyLoaderHtml()) !== undefined) resetFigureSession(); // not in a kernel: nothing was loaded
  } else showHtml(codeStyleHtml());
  if (quick && options.trains !== false) {
    showHtml(`<div style="border:2px solid #d62728;padding:8px;background:#fff4f4"><b>Quick mode.</b> ${QUICK_BANNER}</div>`);
  }
  return { quick, mode, outDir, backend };
}
