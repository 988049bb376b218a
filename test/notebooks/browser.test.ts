/**
 * The HTML exports of the executed notebooks, opened offline in headless Chromium, draw every
 * figure: each `.js-plotly-plot` has traces, its plot area is not empty in a screenshot (enough
 * non-background pixels), animated figures have their frames, nothing is fetched from the network
 * and the console stays clean. Screenshots go to the test artifacts folder (ARTIFACTS/browser, in the system's temp folder).
 *
 * Two sources: every notebook (the quick run shared with execute.test.ts) and a gallery notebook
 * written here with every figure kind of src/viz on synthetic data.
 */
import { test, before } from 'node:test';
import assert from 'node:assert/strict';
import * as fs from 'node:fs';
import * as path from 'node:path';
import { CHROMIUM, renderExport, withBrowser } from './chromium';
import { ARTIFACTS, QUICK_RUN_DIR, missingJupyter, quickRunAll, runNotebooks, setupNotebooks, writeNotebook } from './jupyter-harness';

const skip = missingJupyter() ?? (fs.existsSync(CHROMIUM) ? false : `${CHROMIUM} not found: apt-get install chromium`);
const OUT = path.join(ARTIFACTS, 'browser');

const GALLERY = [
  `import * as wsol from 'where-to-look';
const { figures } = wsol;
const epochs = [0, 1, 2].map((epoch) => ({ epoch, steps: 10 * (epoch + 1), loss: 2 - epoch / 2, terms: { clsA: 2 - epoch / 2, fuse: 0.3, fuseGate: epoch / 2 }, trainAcc: 50, valTop1Cls: 40 + 10 * epoch, valGtKnownLoc: 30 + 5 * epoch, valMaxBoxAccV2: 25 + 5 * epoch, imagesPerSec: 90, seconds: 3 }));
wsol.showFigure(figures.trainingCurves(epochs));
wsol.showFigure(wsol.lossTermsFigure(epochs, epochs.map((e) => ({ step: e.steps, value: e.terms.fuseGate }))));`,
  `const size = 7;
const blob = (cx: number, cy: number, r: number) => Array.from({ length: size * size }, (_, p) => Math.exp(-(((p % size) - cx) ** 2 + (Math.floor(p / size) - cy) ** 2) / (2 * r * r)));
const snapshots = [0, 1, 2, 3].map((k) => ({ epoch: k - 1, step: 5 * k, mapWidth: size, mapHeight: size,
  probes: [{ probeId: 'p0', branchA: blob(2, 3, 1 + k / 2), branchB: blob(4, 3, 1 + k / 2), fused: blob(3, 3, 1.5 + k / 2), full: blob(3, 3, 1 + k / 2), maskA: blob(1, 1, 3).map((v) => (v > 0.5 ? 1 : 0)) }] }));
const grey = await wsol.probeOverlayPng({ width: 28, height: 28, rgb: new Uint8Array(28 * 28 * 3).fill(150) }, null, []);
const file = { method: 'ours', inputSize: 28, probes: [{ id: 'p0', label: 0, className: 'bird', boxes: [{ x0: 6, y0: 6, x1: 20, y1: 20 }], pngDataUrl: wsol.pngDataUrl(grey) }], snapshots, coverage: [] };
wsol.showFigure(figures.attentionEvolution(file, 0));
wsol.showFigure(await wsol.attentionOverImage(file, 0));
wsol.showFigure(wsol.agreementFigure(wsol.agreementOverTraining(file, 0.5), 0.5));`,
  `wsol.showFigure(figures.coverageFigure([0, 1, 2].map((epoch) => ({ epoch, threshold: 0.2, branchA: 0.2 + 0.1 * epoch, branchB: 0.25 + 0.1 * epoch, union: 0.4 + 0.15 * epoch, full: 0.3 + 0.15 * epoch }))));
wsol.showFigure(figures.complementaryMasksFigure(Array.from({ length: 64 }, (_, p) => ((p % 8 >> 2) + (p >> 5)) % 2), 8, 8));
wsol.showFigure(wsol.imageGrid([{ label: 'row', cells: [{ src: wsol.pngDataUrl(grey), caption: 'a' }, { src: wsol.pngDataUrl(grey) }] }], ['one', 'two']));`,
  `const t = Array.from({ length: 100 }, (_, i) => i / 100);
wsol.showFigure(figures.thresholdSweepFigure({ maxBoxAccV2PerIou: [80, 60, 20], curves: { thresholds: t, gtKnown: t.map((x) => 100 * Math.sin(Math.PI * x)), boxAccV2: [0.8, 0.6, 0.2].map((a) => t.map((x) => 100 * a * Math.sin(Math.PI * x))) } as any }));
wsol.showFigure(wsol.thresholdSweepsFigure([{ method: 'cam', thresholds: t, accuracy: t.map((x) => 80 * x) }, { method: 'ours', thresholds: t, accuracy: t.map((x) => 80 * (1 - x)) }]));
wsol.showFigure(figures.resultsTable([{ method: 'cam', 'MaxBoxAccV2': 51.23 }, { method: 'ours', 'MaxBoxAccV2': 63.4 }]));`,
];

/** Plot kinds of the gallery, in order. */
const GALLERY_KINDS = [
  'scatter+scatter+scatter+scatter',
  'scatter+scatter+scatter+scatter',
  'heatmap+heatmap+heatmap+heatmap',
  'image+image+image+image+image+heatmap',
  'scatter+scatter+scatter+scatter+scatter+scatter+scatter+scatter+scatter+scatter+scatter+scatter',
  'scatter+scatter+scatter+scatter',
  'heatmap+heatmap',
  'image+image+heatmap',
  'scatter+scatter+scatter+scatter',
  'scatter+scatter',
  'table',
];

before(() => {
  if (skip) return;
  setupNotebooks();
  writeNotebook(path.join(OUT, 'src', 'viz-gallery.ipynb'), GALLERY);
  const gallery = runNotebooks(path.join(OUT, 'html'), [path.join(OUT, 'src', 'viz-gallery.ipynb')]);
  if (gallery.status !== 0) throw new Error(`executing the gallery failed:\n${gallery.stdout}\n${gallery.stderr.slice(-3000)}`);
  const all = quickRunAll();
  if (all.status !== 0) throw new Error(`executing the notebooks failed:\n${all.stdout}\n${all.stderr.slice(-3000)}`);
});

test('the gallery export renders every figure kind offline, animation frames included', { skip }, async () => {
  fs.mkdirSync(OUT, { recursive: true });
  const r = await withBrowser((c) => renderExport(c, path.join(OUT, 'html', 'viz-gallery.html'), path.join(OUT, 'viz-gallery.png')));
  assert.deepEqual(r.consoleErrors, []);
  assert.deepEqual(r.network, []);
  // nbconvert's template loads RequireJS: plotly must still have become window.Plotly.
  if (fs.existsSync('/usr/share/javascript/requirejs/require.min.js')) assert.equal(r.amd, true, 'RequireJS present in the export');
  assert.deepEqual(r.plots.map((p) => p.types.join('+')), GALLERY_KINDS);
  for (const p of r.plots) {
    assert.ok(p.traces > 0);
    assert.ok(p.height > 100, `plot drawn with height ${p.height}`);
    assert.ok(p.inked > 0.02, `plot ${p.types.join('+')} is nearly blank (${(100 * p.inked).toFixed(1)}% inked)`);
  }
  assert.equal(r.plots[2].frames, 4, 'heatmap evolution: one frame per snapshot');
  assert.equal(r.plots[3].frames, 4, 'evolution over the image: one frame per snapshot');
  assert.equal(r.sliderMoves, true, 'moving the slider swaps the images');
});

test('every notebook export draws all its figures offline, none of them blank', { skip }, async () => {
  const names = fs.readdirSync(QUICK_RUN_DIR).filter((f) => f.endsWith('.html')).map((f) => f.replace(/\.html$/, '')).sort();
  assert.ok(names.length >= 12, `exports: ${names.join(', ')}`);
  const results = await withBrowser(async (c) => {
    const out: [string, Awaited<ReturnType<typeof renderExport>>][] = [];
    for (const name of names) out.push([name, await renderExport(c, path.join(QUICK_RUN_DIR, `${name}.html`), path.join(OUT, `${name}.png`))]);
    return out;
  });
  let total = 0;
  for (const [name, r] of results) {
    assert.deepEqual(r.consoleErrors, [], `${name}: console errors`);
    assert.deepEqual(r.network, [], `${name}: network requests`);
    assert.equal(r.plots.length, r.expected, `${name}: every figure became a plot`);
    assert.equal(r.clippedCode, 0, `${name}: ${r.clippedCode} code cells run past the page`);
    for (const p of r.plots) {
      assert.ok(p.traces > 0, `${name}: a plot without traces`);
      assert.ok(p.inked > 0.02, `${name}: plot ${p.types.join('+')} is nearly blank (${(100 * p.inked).toFixed(1)}% inked)`);
    }
    total += r.plots.length;
  }
  const byName = new Map(results);
  assert.ok((byName.get('05-training')?.plots ?? []).some((p) => p.types[0] === 'image' && p.frames > 1), '05: the attention slider over the image');
  assert.equal(byName.get('05-training')?.sliderMoves, true, '05: moving the slider swaps the images');
  assert.ok((byName.get('06-evaluation')?.plots ?? []).some((p) => p.types.filter((t) => t === 'image').length >= 2 && p.types.at(-1) === 'heatmap'), '06: the methods x probes grid, with its colour bar');
  const counts = Object.fromEntries(results.map(([name, r]) => [name, r.plots.length]));
  assert.deepEqual(counts, { '00-setup-check': 1, '01-the-problem': 3, '02-complementary-dropout': 2, '03-caam-ssam': 2, '04-fusion-loss': 2, '05-training': 6, '06-evaluation': 2, '07-cub': 0, '08-exercises': 0, '08-exercises-solutions': 0, '08-exercises-wrong': 0, '09-your-own-images': 1 });
  assert.equal(total, 19);
  // 01 and 05's live training outputs are plain HTML with an SVG loss curve: drawn in the export too.
  for (const name of ['01-the-problem', '05-training']) assert.ok((byName.get(name)?.liveCurves ?? 0) >= 1, `${name}: the live loss curve`);
});
