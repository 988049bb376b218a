/**
 * The HTML export of executed notebooks, opened offline in headless Chromium, renders its plotly
 * figures: every `.js-plotly-plot` has traces, the animated figure has its frames, nothing is
 * fetched from the network and the console stays clean. Screenshots go to out/test-artifacts/.
 *
 * Two notebooks: 02-complementary-dropout (a real one) and a gallery written here with every
 * figure kind from src/viz/figures.ts on synthetic data.
 */
import { test, before } from 'node:test';
import assert from 'node:assert/strict';
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { pathToFileURL } from 'node:url';
import { chromium } from 'playwright-core';
import { ARTIFACTS, NOTEBOOKS_DIR, missingJupyter, runNotebooks, setupNotebooks, writeNotebook } from './jupyter-harness';

const CHROMIUM = '/usr/bin/chromium';
const skip = missingJupyter() ?? (fs.existsSync(CHROMIUM) ? false : `${CHROMIUM} not found: apt-get install chromium`);
const OUT = path.join(ARTIFACTS, 'browser');

const GALLERY = [
  `import * as wsol from 'where-to-look';
const { figures } = wsol;
const epochs = [0, 1, 2].map((epoch) => ({ epoch, steps: 10, loss: 2 - epoch / 2, terms: {}, trainAcc: 50, valTop1Cls: 40 + 10 * epoch, valGtKnownLoc: 30 + 5 * epoch, valMaxBoxAccV2: 25 + 5 * epoch, imagesPerSec: 90, seconds: 3 }));
wsol.showFigure(figures.trainingCurves(epochs));`,
  `const size = 7;
const blob = (cx: number, cy: number, r: number) => Array.from({ length: size * size }, (_, p) => Math.exp(-(((p % size) - cx) ** 2 + (Math.floor(p / size) - cy) ** 2) / (2 * r * r)));
const snapshots = [0, 1, 2, 3].map((k) => ({ epoch: k - 1, step: 5 * k, mapWidth: size, mapHeight: size,
  probes: [{ probeId: 'p0', branchA: blob(2, 3, 1 + k / 2), branchB: blob(4, 3, 1 + k / 2), fused: blob(3, 3, 1.5 + k / 2), full: blob(3, 3, 1 + k / 2), maskA: null }] }));
wsol.showFigure(figures.attentionEvolution({ method: 'ours', inputSize: 28, probes: [{ id: 'p0', label: 0, className: 'bird', boxes: [], pngDataUrl: '' }], snapshots, coverage: [] }));`,
  `wsol.showFigure(figures.coverageFigure([0, 1, 2].map((epoch) => ({ epoch, threshold: 0.2, branchA: 0.2 + 0.1 * epoch, branchB: 0.25 + 0.1 * epoch, union: 0.4 + 0.15 * epoch, full: 0.3 + 0.15 * epoch }))));
wsol.showFigure(figures.complementaryMasksFigure(Array.from({ length: 64 }, (_, p) => ((p % 8 >> 2) + (p >> 5)) % 2), 8, 8));`,
  `const t = Array.from({ length: 100 }, (_, i) => i / 100);
wsol.showFigure(figures.thresholdSweepFigure({ maxBoxAccV2PerIou: [80, 60, 20], curves: { thresholds: t, gtKnown: t.map((x) => 100 * Math.sin(Math.PI * x)), boxAccV2: [0.8, 0.6, 0.2].map((a) => t.map((x) => 100 * a * Math.sin(Math.PI * x))) } as any }));
wsol.showFigure(figures.resultsTable([{ method: 'cam', 'MaxBoxAccV2': 51.23 }, { method: 'ours', 'MaxBoxAccV2': 63.4 }]));`,
];

before(() => {
  if (skip) return;
  setupNotebooks();
  writeNotebook(path.join(OUT, 'src', 'viz-gallery.ipynb'), GALLERY);
  const run = runNotebooks(path.join(OUT, 'html'), [path.join(OUT, 'src', 'viz-gallery.ipynb'), path.join(NOTEBOOKS_DIR, '02-complementary-dropout.ipynb')]);
  if (run.status !== 0) throw new Error(`executing the notebooks failed:\n${run.stdout}\n${run.stderr.slice(-3000)}`);
});

interface PlotInfo {
  traces: number;
  types: string[];
  frames: number;
  height: number;
}

async function renderExport(name: string, screenshot: string) {
  const userDataDir = fs.mkdtempSync(path.join(os.tmpdir(), 'wsol-chromium-'));
  const context = await chromium.launchPersistentContext(userDataDir, {
    executablePath: CHROMIUM,
    headless: true,
    args: ['--headless', '--no-sandbox', '--disable-gpu', '--disable-background-networking', '--disable-component-update', '--disable-sync', '--no-first-run'],
    viewport: { width: 1200, height: 900 },
  });
  try {
    const page = context.pages()[0] ?? (await context.newPage());
    const consoleErrors: string[] = [];
    const network: string[] = [];
    page.on('console', (m) => {
      if (m.type() === 'error') consoleErrors.push(m.text());
    });
    page.on('pageerror', (e) => consoleErrors.push(`page error: ${e.message}`));
    // Offline: anything but local files is refused and recorded.
    await context.route('**/*', (route) => {
      const url = route.request().url();
      if (/^(file|data|blob|about):/.test(url)) return route.continue();
      network.push(url);
      return route.abort();
    });
    await page.goto(pathToFileURL(path.join(OUT, 'html', `${name}.html`)).href, { waitUntil: 'load', timeout: 60_000 });
    await page.waitForFunction(() => document.querySelectorAll('.js-plotly-plot .main-svg').length > 0, undefined, { timeout: 30_000 });
    await page.waitForTimeout(500); // let the remaining plots (polling for window.Plotly) finish
    const plots = await page.$$eval('.js-plotly-plot', (els) =>
      els.map((el) => {
        const gd = el as unknown as { data?: { type?: string }[]; _transitionData?: { _frames?: unknown[] } };
        return { traces: gd.data?.length ?? 0, types: (gd.data ?? []).map((d) => d.type ?? 'scatter'), frames: gd._transitionData?._frames?.length ?? 0, height: el.getBoundingClientRect().height };
      }),
    );
    const amd = await page.evaluate(() => typeof (window as unknown as { define?: { amd?: unknown } }).define === 'function' && !!(window as unknown as { define: { amd?: unknown } }).define.amd);
    await page.screenshot({ path: screenshot, fullPage: true });
    return { plots: plots as PlotInfo[], consoleErrors, network, amd };
  } finally {
    await context.close();
    fs.rmSync(userDataDir, { recursive: true, force: true });
  }
}

test('the gallery export renders every figure kind offline, animation frames included', { skip }, async () => {
  const r = await renderExport('viz-gallery', path.join(ARTIFACTS, 'notebook-viz-gallery.png'));
  assert.deepEqual(r.consoleErrors, []);
  assert.deepEqual(r.network, []);
  // nbconvert's template loads RequireJS: plotly must still have become window.Plotly.
  if (fs.existsSync('/usr/share/javascript/requirejs/require.min.js')) assert.equal(r.amd, true, 'RequireJS present in the export');
  assert.deepEqual(
    r.plots.map((p) => p.types.join('+')),
    ['scatter+scatter+scatter+scatter', 'heatmap+heatmap+heatmap+heatmap', 'scatter+scatter+scatter+scatter', 'heatmap+heatmap', 'scatter+scatter+scatter+scatter', 'table'],
  );
  for (const p of r.plots) {
    assert.ok(p.traces > 0);
    assert.ok(p.height > 100, `plot drawn with height ${p.height}`);
  }
  assert.equal(r.plots[1].frames, 4, 'one animation frame per snapshot');
});

test('the export of 02-complementary-dropout renders its plot offline', { skip }, async () => {
  const r = await renderExport('02-complementary-dropout', path.join(ARTIFACTS, 'notebook-02-complementary-dropout.png'));
  assert.deepEqual(r.consoleErrors, []);
  assert.deepEqual(r.network, []);
  assert.ok(r.plots.length >= 1);
  for (const p of r.plots) assert.ok(p.traces > 0);
});
