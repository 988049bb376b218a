/**
 * Executes the notebooks and publishes them as HTML pages that open offline in a browser.
 *
 * Run: npx tsx notebooks/publish-notebooks.ts [--quick] [OUT_DIR] [NOTEBOOK.ipynb ...]
 *      (npm run notebooks:publish writes docs/notebooks/ in class mode)
 *
 * Every notebook runs headless in class mode (WSOL_CLASS=1; --quick runs quick mode instead), one at
 * a time, its training runs in a fresh folder outside the project. Each page's inline plotly bundle
 * (about 4.6 MB) is replaced by one `<script src="plotly.min.js">`, and plotly.min.js is written once
 * beside the pages, and so is nbconvert's large inline JupyterLab style sheet (one jupyter-<digest>.css
 * file); embedded PNGs are re-encoded as WebP where smaller; a page over 1 MB is an error. index.html lists the pages with the time each
 * notebook took and the machine's load average while it ran (also in timings.json). Publishing only
 * some notebooks again keeps the other pages and their entries.
 * Debian's nbconvert points pages at its own files (file:///usr/share/javascript/: requirejs, MathJax),
 * which a browser on another machine or behind a web server cannot load: the parts the pages use are
 * copied into vendor/ beside them and the pages point there.
 * Only NN-*.html, index.html, timings.json, jupyter-*.css, plotly.min.js and vendor/ are written to
 * OUT_DIR; other files in it are left alone.
 */
import { spawnSync } from 'child_process';
import { createHash } from 'crypto';
import * as fs from 'fs';
import * as os from 'os';
import * as path from 'path';
import sharp from 'sharp';
import { plotlyScript, sharePlotlyBundle } from '../src/viz/notebook-display';

const HERE = __dirname;
const ROOT = path.resolve(HERE, '..');
const PYTHON = '/usr/bin/python3';
export const PAGE_LIMIT_BYTES = 1024 * 1024;
export const PLOTLY_FILE = 'plotly.min.js';

export interface PublishedPage {
  name: string;
  seconds: number;
  bytes: number;
  /** The 1-minute load average when the notebook finished (os.loadavg). */
  load: number;
  ok: boolean;
  line: string;
}

export interface PublishResult {
  mode: 'class' | 'quick';
  pages: PublishedPage[];
  totalSeconds: number;
  cpus: number;
  engine: string;
}

/** Inline style sheets at least this large go to a shared file. */
const SHARED_STYLE_MIN = 20_000;

/** Moves every large inline style sheet of a page into a shared file named by its digest. */
export function shareStyles(html: string, outDir: string): { html: string; files: string[] } {
  const files: string[] = [];
  const out = html.replace(/<style type="text\/css">([\s\S]*?)<\/style>/g, (whole, css: string) => {
    if (css.length < SHARED_STYLE_MIN) return whole;
    const file = `jupyter-${createHash('sha256').update(css).digest('hex').slice(0, 10)}.css`;
    const target = path.join(outDir, file);
    if (!fs.existsSync(target)) fs.writeFileSync(target, css);
    files.push(file);
    return `<link rel="stylesheet" href="${file}">`;
  });
  return { html: out, files };
}

/** Debian's script folder, and the files of each package there that the pages need. */
const SYSTEM_SCRIPTS = '/usr/share/javascript';
export const VENDOR_DIR = 'vendor';
const VENDORED: Record<string, string[]> = {
  requirejs: ['require.min.js'],
  // MathJax 2 with the TeX-AMS_CHTML-full configuration loads these on demand.
  mathjax: ['MathJax.js', 'config/TeX-AMS_CHTML-full.js', 'config/Safe.js', 'extensions', 'jax/element', 'jax/input/TeX', 'jax/output/CommonHTML', 'localization/en', 'fonts/HTML-CSS/TeX/woff'],
};

/** Points every file:///usr/share/javascript/ script of a page at a copy in OUT_DIR/vendor/. */
export function vendorSystemScripts(html: string, outDir: string): string {
  return html.replace(/(src=")file:\/\/(\/[^"?]+)([^"]*")/g, (whole, before: string, file: string, after: string) => {
    const rel = path.relative(SYSTEM_SCRIPTS, file);
    const pkg = rel.split(path.sep)[0];
    if (rel.startsWith('..') || !VENDORED[pkg]) throw new Error(`publish: a page loads ${file}, which no published page can reach; add it to VENDORED in notebooks/publish-notebooks.ts`);
    for (const part of VENDORED[pkg]) {
      const target = path.join(outDir, VENDOR_DIR, pkg, part);
      if (!fs.existsSync(target)) fs.cpSync(path.join(SYSTEM_SCRIPTS, pkg, part), target, { recursive: true });
    }
    return `${before}${VENDOR_DIR}/${rel.split(path.sep).join('/')}${after}`;
  });
}

/**
 * Re-encodes every embedded PNG of a page (figures, overlays, the frames of the attention sliders) as
 * WebP at quality 80 with sharp, where that is smaller: the heatmaps compress poorly as PNG, and a page
 * with two sliders of a dozen frames each would otherwise pass 1 MB. Headless Chromium and every
 * current browser draw WebP.
 */
export async function compactImages(html: string): Promise<{ html: string; converted: number }> {
  const found = [...new Set(html.match(/data:image\/png;base64,[A-Za-z0-9+/=]{2000,}/g) ?? [])];
  const replacement = new Map<string, string>();
  for (const url of found) {
    const png = Buffer.from(url.slice('data:image/png;base64,'.length), 'base64');
    const webp = await sharp(png).webp({ quality: 80 }).toBuffer();
    const next = `data:image/webp;base64,${webp.toString('base64')}`;
    if (next.length < url.length) replacement.set(url, next);
  }
  if (replacement.size === 0) return { html, converted: 0 };
  const out = html.replace(/data:image\/png;base64,[A-Za-z0-9+/=]{2000,}/g, (url) => replacement.get(url) ?? url);
  return { html: out, converted: replacement.size };
}

/** The reader notebooks in notebooks/ (what a class opens), sorted. */
export function readerNotebooks(): string[] {
  return fs.readdirSync(HERE).filter((f) => /^\d\d-.*\.ipynb$/.test(f)).sort().map((f) => path.join(HERE, f));
}

const escapeHtml = (s: string) => s.replace(/&/g, '&amp;').replace(/</g, '&lt;').replace(/>/g, '&gt;');

function indexHtml(result: PublishResult): string {
  const rows = result.pages.map((p) => `<tr><td><a href="${p.name}.html">${escapeHtml(p.name)}</a></td><td>${p.seconds.toFixed(0)}</td><td>${p.load.toFixed(1)}</td><td>${(p.bytes / 1024).toFixed(0)} KB</td></tr>`);
  return `<!DOCTYPE html>
<html><head><meta charset="utf-8"><title>where-to-look notebooks</title>
<style>body{font-family:sans-serif;max-width:50em;margin:2em auto}td,th{padding:2px 10px;text-align:left}td+td{text-align:right}</style></head>
<body><h1>where-to-look notebooks, executed</h1>
<p>Executed in ${result.mode} mode on the ${escapeHtml(result.engine)} engine, one notebook at a time, on a ${result.cpus}-core machine: ${result.totalSeconds.toFixed(0)} s in all.
Every page draws its figures offline with the ${PLOTLY_FILE} beside it.</p>
<table><tr><th>notebook</th><th>seconds</th><th>load average</th><th>page</th></tr>
${rows.join('\n')}
</table></body></html>
`;
}

/** Executes `notebooks` (default: every reader notebook) and writes the pages to outDir. */
export async function publishNotebooks(outDir: string, options: { quick?: boolean; notebooks?: string[]; log?: (line: string) => void } = {}): Promise<PublishResult> {
  const log = options.log ?? ((l: string) => console.log(l));
  const notebooks = options.notebooks ?? readerNotebooks();
  const mode = options.quick ? 'quick' : 'class';
  const tag = createHash('sha256').update(path.resolve(outDir)).digest('hex').slice(0, 12);
  const executed = path.join(os.tmpdir(), `wsol-publish-${tag}`);
  const runs = path.join(os.tmpdir(), `wsol-publish-runs-${tag}`);
  for (const d of [executed, runs]) {
    fs.rmSync(d, { recursive: true, force: true });
    fs.mkdirSync(d, { recursive: true });
  }
  const env = { ...process.env, WSOL_QUICK: options.quick ? '1' : '0', WSOL_CLASS: '1', WSOL_NOTEBOOK_OUT: runs, JUPYTER_PATH: path.join(ROOT, '.jupyter/share/jupyter'), PYTHONWARNINGS: 'ignore' };
  const pages: PublishedPage[] = [];
  let engine = 'unknown';
  for (const nb of notebooks) {
    const name = path.basename(nb, '.ipynb');
    const t0 = Date.now();
    // One notebook per runner call: each gets its own time and load average.
    const r = spawnSync(PYTHON, [path.join(HERE, 'run_notebooks.py'), executed, nb], { cwd: ROOT, env, encoding: 'utf8', maxBuffer: 64 * 1024 * 1024 });
    const seconds = (Date.now() - t0) / 1000;
    const line = r.stdout.split('\n').find((l) => /^(ok|FAIL) /.test(l)) ?? `FAIL ${name}: ${(r.stderr || 'no output').trim().split('\n').at(-1)}`;
    log(`${line} [load ${os.loadavg()[0].toFixed(1)}]`);
    const htmlFile = path.join(executed, `${name}.html`);
    if (!fs.existsSync(htmlFile)) {
      pages.push({ name, seconds, bytes: 0, load: os.loadavg()[0], ok: false, line });
      continue;
    }
    const ipynb = fs.readFileSync(path.join(executed, `${name}.ipynb`), 'utf8');
    const m = /backend: (\w+)/.exec(ipynb);
    if (m) engine = m[1];
    fs.mkdirSync(outDir, { recursive: true });
    const compact = await compactImages(sharePlotlyBundle(fs.readFileSync(htmlFile, 'utf8'), PLOTLY_FILE).html);
    const shared = shareStyles(vendorSystemScripts(compact.html, outDir), outDir);
    const bytes = Buffer.byteLength(shared.html);
    const tmp = path.join(outDir, `.${name}.html.${process.pid}.tmp`);
    fs.writeFileSync(tmp, shared.html);
    fs.renameSync(tmp, path.join(outDir, `${name}.html`));
    pages.push({ name, seconds, bytes, load: os.loadavg()[0], ok: /^ok /.test(line) && bytes <= PAGE_LIMIT_BYTES, line: bytes > PAGE_LIMIT_BYTES ? `${line}; page ${bytes} bytes, over the ${PAGE_LIMIT_BYTES}-byte limit` : line });
  }
  fs.mkdirSync(outDir, { recursive: true });
  const script = path.join(outDir, PLOTLY_FILE);
  const text = plotlyScript();
  if (!fs.existsSync(script) || fs.readFileSync(script, 'utf8') !== text) fs.writeFileSync(script, text);
  // Publishing some notebooks again keeps the other pages' entries of the same mode.
  const timingsFile = path.join(outDir, 'timings.json');
  const before = fs.existsSync(timingsFile) ? (JSON.parse(fs.readFileSync(timingsFile, 'utf8')) as PublishResult) : null;
  const kept = before && before.mode === mode ? before.pages.filter((p) => !pages.some((q) => q.name === p.name) && fs.existsSync(path.join(outDir, `${p.name}.html`))) : [];
  const order = readerNotebooks().map((f) => path.basename(f, '.ipynb'));
  const rank = (n: string) => (order.includes(n) ? order.indexOf(n) : order.length);
  const all = [...kept, ...pages].sort((a, b) => rank(a.name) - rank(b.name) || (a.name < b.name ? -1 : 1));
  const result: PublishResult = { mode, pages: all, totalSeconds: all.reduce((a, p) => a + p.seconds, 0), cpus: os.cpus().length, engine };
  fs.writeFileSync(timingsFile, JSON.stringify(result, null, 1) + '\n');
  fs.writeFileSync(path.join(outDir, 'index.html'), indexHtml(result));
  fs.rmSync(runs, { recursive: true, force: true });
  return result;
}

if (require.main === module) {
  const args = process.argv.slice(2);
  const quick = args[0] === '--quick';
  if (quick) args.shift();
  const outDir = path.resolve(args.shift() ?? path.join(ROOT, 'docs', 'notebooks'));
  void publishNotebooks(outDir, { quick, notebooks: args.length ? args.map((a) => path.resolve(a)) : undefined }).then((result) => {
    const failed = result.pages.filter((p) => !p.ok);
    console.log(`${result.pages.length} pages in ${outDir} (${result.totalSeconds.toFixed(0)} s in all); ${failed.length ? `failed: ${failed.map((p) => p.line).join('; ')}` : 'all ok'}`);
    process.exit(failed.length ? 1 : 0);
  });
}
