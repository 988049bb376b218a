/**
 * Published notebooks (notebooks/publish-notebooks.ts, `npm run notebooks:publish`): pages of at most
 * 1 MB that load one shared plotly file (and one shared style sheet) from beside them, and still draw
 * every figure offline in headless Chromium. Checked twice: on a small quick-mode publish into a temp
 * folder (00 and 02, which draw plots), and on the pages committed in docs/notebooks/.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import * as fs from 'node:fs';
import * as path from 'node:path';
import { pathToFileURL } from 'node:url';
import { PAGE_LIMIT_BYTES, PLOTLY_FILE, publishNotebooks, readerNotebooks, type PublishResult } from '../../notebooks/publish-notebooks';
import { plotlyScript } from '../../src/viz/notebook-display';
import { CHROMIUM, renderExport, withBrowser } from './chromium';
import { ARTIFACTS, NOTEBOOKS_DIR, ROOT, missingJupyter, setupNotebooks } from './jupyter-harness';

const noChromium = fs.existsSync(CHROMIUM) ? false : `${CHROMIUM} not found: apt-get install chromium`;
const OUT = path.join(ARTIFACTS, 'publish');
const PUBLISHED = path.join(ROOT, 'docs', 'notebooks');

/** What a published folder must hold, page by page; returns the page files. */
function checkFolder(dir: string, names: string[]): string[] {
  assert.ok(fs.existsSync(path.join(dir, PLOTLY_FILE)), `${PLOTLY_FILE} beside the pages`);
  // Pieces of the bundle (start, middle, end) that no page may carry inline.
  const bundle = plotlyScript();
  const pieces = [0.001, 0.5, 0.999].map((at) => bundle.slice(Math.floor(at * bundle.length), Math.floor(at * bundle.length) + 120));
  return names.map((name) => {
    const file = path.join(dir, `${name}.html`);
    assert.ok(fs.existsSync(file), `${name}.html published`);
    const html = fs.readFileSync(file, 'utf8');
    const bytes = fs.statSync(file).size;
    assert.ok(bytes <= PAGE_LIMIT_BYTES, `${name}.html is ${bytes} bytes, over ${PAGE_LIMIT_BYTES}`);
    // Pages with figures load the shared file (08's exercises draw none and load nothing).
    if (html.includes('class="wsol-figure"')) assert.match(html, new RegExp(`<script src="${PLOTLY_FILE.replace('.', '\\.')}"></script>`), `${name} loads the shared plotly file`);
    assert.ok(pieces.every((p) => !html.includes(p)), `${name} still carries the plotly bundle inline`);
    for (const css of html.matchAll(/<link rel="stylesheet" href="([^"]+)">/g)) assert.ok(fs.existsSync(path.join(dir, css[1])), `${name}: ${css[1]} beside it`);
    assert.ok(!html.includes('file://'), `${name} loads a file of this machine`);
    for (const src of html.matchAll(/<script src="([^"?]+)/g)) assert.ok(fs.existsSync(path.join(dir, src[1])), `${name}: ${src[1]} beside it`);
    return file;
  });
}

async function drawsEverything(files: string[], shots: string): Promise<Record<string, number>> {
  fs.mkdirSync(shots, { recursive: true });
  const counts: Record<string, number> = {};
  await withBrowser(async (c) => {
    for (const file of files) {
      const name = path.basename(file, '.html');
      const r = await renderExport(c, file, path.join(shots, `${name}.png`));
      assert.deepEqual(r.consoleErrors, [], `${name}: console errors`);
      assert.deepEqual(r.network, [], `${name}: network requests`);
      assert.equal(r.plots.length, r.expected, `${name}: every figure became a plot`);
      for (const p of r.plots) {
        assert.ok(p.traces > 0, `${name}: a plot without traces`);
        assert.ok(p.inked > 0.02, `${name}: plot ${p.types.join('+')} is nearly blank (${(100 * p.inked).toFixed(1)}% inked)`);
      }
      counts[name] = r.plots.length;
    }
  });
  return counts;
}

test('a quick publish writes small pages that share one plotly file and draw every figure offline', { skip: missingJupyter() ?? noChromium }, async () => {
  setupNotebooks();
  fs.rmSync(OUT, { recursive: true, force: true });
  fs.mkdirSync(OUT, { recursive: true });
  fs.writeFileSync(path.join(OUT, 'notes.md'), 'mine');
  const names = ['00-setup-check', '02-complementary-dropout'];
  const lines: string[] = [];
  const result = await publishNotebooks(OUT, { quick: true, notebooks: names.map((n) => path.join(NOTEBOOKS_DIR, `${n}.ipynb`)), log: (l) => lines.push(l) });
  assert.deepEqual(result.pages.filter((p) => !p.ok), [], lines.join('\n'));
  assert.equal(result.mode, 'quick');
  assert.equal(fs.readFileSync(path.join(OUT, PLOTLY_FILE), 'utf8'), plotlyScript(), 'the shared file is the bundle the notebooks embed');
  assert.equal(fs.readFileSync(path.join(OUT, 'notes.md'), 'utf8'), 'mine', 'a file of yours in the folder is left alone');
  const files = checkFolder(OUT, names);
  const timings = JSON.parse(fs.readFileSync(path.join(OUT, 'timings.json'), 'utf8')) as PublishResult;
  assert.deepEqual(timings.pages.map((p) => p.name), names);
  assert.match(fs.readFileSync(path.join(OUT, 'index.html'), 'utf8'), /href="02-complementary-dropout\.html"/);
  assert.deepEqual(await drawsEverything(files, path.join(OUT, 'shots')), { '00-setup-check': 1, '02-complementary-dropout': 2 });
  // Without the shared file beside it, the page draws nothing: the figures really come from it.
  const alone = path.join(OUT, 'alone');
  fs.mkdirSync(alone, { recursive: true });
  fs.copyFileSync(files[0], path.join(alone, '00-setup-check.html'));
  const drawnAlone = await withBrowser(async (c) => {
    const page = await c.newPage();
    await page.goto(pathToFileURL(path.join(alone, '00-setup-check.html')).href, { waitUntil: 'load' });
    await page.waitForTimeout(3000);
    const n = await page.$$eval('.js-plotly-plot', (els) => els.length);
    await page.close();
    return n;
  });
  assert.equal(drawnAlone, 0);
});

test('the committed pages in docs/notebooks: one per notebook, class mode, each within 1 MB, every figure drawn offline', { skip: noChromium }, async () => {
  const names = readerNotebooks().map((f) => path.basename(f, '.ipynb'));
  const timings = JSON.parse(fs.readFileSync(path.join(PUBLISHED, 'timings.json'), 'utf8')) as PublishResult;
  assert.equal(timings.mode, 'class');
  assert.deepEqual(timings.pages.map((p) => p.name), names, 'published from the notebooks there are now (npm run notebooks:publish)');
  assert.deepEqual(timings.pages.filter((p) => !p.ok).map((p) => p.line), []);
  // The set a class runs (00-08) took at most 20 minutes when these pages were made.
  const classSet = timings.pages.filter((p) => /^0[0-8]-/.test(p.name)).reduce((a, p) => a + p.seconds, 0);
  assert.ok(classSet <= 20 * 60, `00-08 took ${classSet.toFixed(0)} s in class mode`);
  // In class mode, 01's CAM has learned the classes (seed 1, the standard parts set): at least 80% Top-1 on val.
  const top1 = /validation Top-1 ([\d.]+)%/.exec(fs.readFileSync(path.join(PUBLISHED, '01-the-problem.html'), 'utf8'));
  assert.ok(top1 && Number(top1[1]) >= 80, `01's CAM: validation Top-1 ${top1?.[1] ?? 'not found'}%, needs >= 80%`);
  const counts = await drawsEverything(checkFolder(PUBLISHED, names), path.join(ARTIFACTS, 'published-shots'));
  assert.ok(Object.values(counts).reduce((a, b) => a + b, 0) >= 18, `figures drawn: ${JSON.stringify(counts)}`);
});
