/**
 * Renders figure specs and images inline in a tslab notebook.
 *
 * plotly.js comes from the plotly.js-dist package (never a CDN) and is embedded in the output of a
 * notebook's first cell (`notebookSetup` shows `plotlyLoaderHtml()`), so a saved notebook and
 * nbconvert's HTML export work offline, and re-running any figure's cell cannot drop it; every
 * figure waits for `window.Plotly`. Without that cell, the first figure of a kernel carries it.
 * Under RequireJS (classic Notebook, nbconvert's templates) plotly's UMD wrapper would register an
 * AMD module instead of setting `window.Plotly`, so `define` is hidden while the bundle runs.
 * The 11 MB bundle is minified once with esbuild (a dependency of tsx) and cached in the temp dir.
 */
import * as fs from 'fs';
import * as os from 'os';
import * as path from 'path';
import type { FigureSpec } from './figures';

let plotlyEmbedded = false;
let counter = 0;
let bundleCache: string | null = null;

function minifiedOrRaw(source: string, cacheFile: string): string {
  if (fs.existsSync(cacheFile)) return fs.readFileSync(cacheFile, 'utf8');
  try {
    // eslint-disable-next-line @typescript-eslint/no-var-requires
    const esbuild = require('esbuild') as { transformSync(code: string, options: { minify: boolean }): { code: string } };
    const code = esbuild.transformSync(source, { minify: true }).code;
    const tmp = `${cacheFile}.${process.pid}.tmp`;
    fs.writeFileSync(tmp, code);
    fs.renameSync(tmp, cacheFile);
    return code;
  } catch {
    return source; // no esbuild: the full bundle works too, it is only larger
  }
}

let scriptCache: string | null = null;

/** The plotly.js bundle, minified where esbuild is available, as a script file's text. */
export function plotlyScript(): string {
  if (scriptCache === null) {
    const file = require.resolve('plotly.js-dist/plotly.js');
    const stat = fs.statSync(file);
    const cacheFile = path.join(os.tmpdir(), `where-to-look-plotly-${stat.size}-${Math.round(stat.mtimeMs)}.min.js`);
    scriptCache = minifiedOrRaw(fs.readFileSync(file, 'utf8'), cacheFile);
  }
  return scriptCache;
}

/** The plotly.js bundle as inline-script-safe text. */
export function plotlyBundle(): string {
  // `</script` inside the code would end the inline <script> element early.
  if (bundleCache === null) bundleCache = plotlyScript().replace(/<\/script/gi, '<\\/script');
  return bundleCache;
}

/** The first and last script of the loader plotlyLoaderHtml() writes around the bundle. */
export const PLOTLY_LOADER_OPEN = '<script>window.__wsolDefine = window.define; window.define = undefined;</script>';
export const PLOTLY_LOADER_CLOSE = '<script>window.define = window.__wsolDefine;</script>';

/**
 * Replaces every inline plotly bundle of an exported page with one `<script src>` to a shared file
 * (published pages share one copy); returns the page and how many bundles it replaced.
 */
export function sharePlotlyBundle(html: string, src: string): { html: string; replaced: number } {
  let replaced = 0;
  const esc = (t: string) => t.replace(/[.*+?^${}()|[\]\\]/g, '\\$&');
  const pattern = new RegExp(`${esc(PLOTLY_LOADER_OPEN)}(\\s*)<script>[\\s\\S]*?</script>(\\s*)${esc(PLOTLY_LOADER_CLOSE)}`, 'g');
  const out = html.replace(pattern, (_m, a: string, b: string) => {
    replaced++;
    return `${PLOTLY_LOADER_OPEN}${a}<script src="${src.replace(/"/g, '&quot;')}"></script>${b}${PLOTLY_LOADER_CLOSE}`;
  });
  return { html: out, replaced };
}

/** Code cells wrap long lines (nbconvert's lab and classic templates, and Jupyter's own editors). */
export const WRAP_CODE_CSS = '.jp-InputArea-editor .highlight pre, .input_area .highlight pre { white-space: pre-wrap; overflow-wrap: anywhere; }';

/** A style block: long code lines wrap instead of running off the page in the HTML export (and in the notebook). */
export const codeStyleHtml = (): string => `<style>${WRAP_CODE_CSS}</style>`;

/** The plotly bundle as an output of its own (the notebook's first cell shows it). */
export function plotlyLoaderHtml(): string {
  plotlyEmbedded = true;
  return (
    `${PLOTLY_LOADER_OPEN}\n` +
    `<script>${plotlyBundle()}</script>\n` +
    `${PLOTLY_LOADER_CLOSE}\n` +
    '<div class="wsol-plotly-loader" style="display:none"></div>'
  );
}

/** HTML for one figure; includes the plotly bundle when asked, or when nothing loaded it in this kernel yet. */
export function figureHtml(spec: FigureSpec, options: { includePlotly?: boolean } = {}): string {
  const include = options.includePlotly ?? !plotlyEmbedded;
  const loader = include ? plotlyLoaderHtml() + '\n' : '';
  const id = `wsol-plot-${process.pid}-${++counter}`;
  const height = Number(spec.layout.height ?? 360);
  // JSON is embedded in a script: escape `<` so a string such as "</script>" cannot close it.
  const json = (v: unknown) => JSON.stringify(v).replace(/</g, '\\u003c');
  const draw =
    `<div id="${id}" class="wsol-figure" style="width:100%;min-height:${height}px"></div>\n` +
    // Polls for window.Plotly: outputs can be rendered before the cell holding the bundle ran.
    `<script>(function draw(tries){ if (!window.Plotly) { if (tries < 400) setTimeout(function(){ draw(tries + 1); }, 50); return; } ` +
    `window.Plotly.newPlot(${json(id)}, ${json({ data: spec.data, layout: spec.layout, frames: spec.frames ?? [], config: { responsive: true } })}); })(0);</script>`;
  return loader + draw;
}

interface TslabDisplay {
  html(s: string): void;
  markdown(s: string): void;
  png(b: Uint8Array): void;
  text(s: string): void;
}

/** tslab's display, or null outside a kernel (tslab throws "Not ready" there). */
function tslabDisplay(): TslabDisplay | null {
  try {
    // Loaded lazily: tslab is only meaningful inside a running kernel.
    // eslint-disable-next-line @typescript-eslint/no-var-requires
    return (require('tslab') as { display: TslabDisplay }).display;
  } catch {
    return null;
  }
}

function tryDisplay(show: (d: TslabDisplay) => void): boolean {
  const d = tslabDisplay();
  if (!d) return false;
  try {
    show(d);
    return true;
  } catch {
    return false;
  }
}

/**
 * Shows a figure inline inside tslab and returns undefined (so the cell does not also print the
 * HTML); outside a kernel returns the HTML instead.
 */
export function showFigure(spec: FigureSpec): string | undefined {
  const html = figureHtml(spec);
  if (tryDisplay((d) => d.html(html))) return undefined;
  plotlyEmbedded = false; // nothing was shown, so the next figure must carry the bundle again
  return html;
}

/** Shows a PNG inline inside tslab; outside a kernel returns the bytes. */
export function showPng(png: Uint8Array): Uint8Array | undefined {
  return tryDisplay((d) => d.png(png)) ? undefined : png;
}

/** Shows preformatted text (e.g. a Markdown table) inline; outside a kernel returns it. */
export function showText(text: string): string | undefined {
  return tryDisplay((d) => d.text(text)) ? undefined : text;
}

/** Shows HTML (a banner, an SVG diagram) inline; outside a kernel returns it. */
export function showHtml(html: string): string | undefined {
  return tryDisplay((d) => d.html(html)) ? undefined : html;
}

/** Shows Markdown (e.g. generated findings, a results table) inline; outside a kernel returns it. */
export function showMarkdown(markdown: string): string | undefined {
  return tryDisplay((d) => d.markdown(markdown)) ? undefined : markdown;
}

/** Forgets that plotly was embedded (a new notebook in the same process). */
export function resetFigureSession(): void {
  plotlyEmbedded = false;
}
