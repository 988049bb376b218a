/**
 * The browser bundle in a real Chromium: served over http from a local static server (Chromium does
 * not fetch from file://), a page imports dist-style where-to-look.mjs and loads one trained run of
 * each kind — cam (one branch), acol (two heads) and ours (complementary, with ChannelAssistedAttention
 * and SpatialSelfAttention) — and classifies and localizes the same images as Node. The page's classes
 * must equal Node's and its maps must be within 1e-4 of them (Node on tfjs's cpu backend, the bundle's).
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import * as fs from 'node:fs';
import * as http from 'node:http';
import * as os from 'node:os';
import * as path from 'node:path';
import * as tf from '@tensorflow/tfjs-core';
import { chromium } from 'playwright-core';
import { initBackend } from '../../src/backend/select';
import { buildBrowserBundle, BROWSER_BUNDLE } from '../../src/browser/build';
import { Rng } from '../../src/common/rng';
import { normalizePixels } from '../../src/data/image-ops';
import { partsDataset } from '../../src/data/parts-dataset';
import { mapToBox } from '../../src/localize/map-to-box';
import { channelMap } from '../../src/localize/score-map';
import { loadRunModel, train } from '../../src/train/trainer';

const CHROMIUM = '/usr/bin/chromium';
const METHODS = ['cam', 'acol', 'ours'];
const SIZE = 32;
const COUNT = 3;

/** Serves `root` over http on a free local port. */
async function staticServer(root: string): Promise<{ url: string; requests: string[]; close(): Promise<void> }> {
  const types: Record<string, string> = { '.html': 'text/html', '.mjs': 'text/javascript', '.js': 'text/javascript', '.json': 'application/json', '.map': 'application/json' };
  const requests: string[] = [];
  const server = http.createServer((req, res) => {
    const rel = decodeURIComponent(new URL(req.url ?? '/', 'http://x').pathname);
    requests.push(rel);
    const file = path.join(root, path.normalize(rel));
    if (!file.startsWith(root) || !fs.existsSync(file) || !fs.statSync(file).isFile()) {
      res.writeHead(404).end();
      return;
    }
    res.writeHead(200, { 'content-type': types[path.extname(file)] ?? 'application/octet-stream' });
    fs.createReadStream(file).pipe(res);
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const port = (server.address() as { port: number }).port;
  return { url: `http://127.0.0.1:${port}/`, requests, close: () => new Promise((resolve) => server.close(() => resolve())) };
}

const PAGE = `<!doctype html><meta charset="utf-8"><title>where-to-look</title><link rel="icon" href="data:,">
<script type="module">
  import * as wsol from './${BROWSER_BUNDLE}';
  window.wsol = wsol;
  window.ready = true;
</script>`;

test('the browser bundle loads a cam, an acol and an ours run in Chromium and predicts as Node does', { skip: fs.existsSync(CHROMIUM) ? false : `${CHROMIUM} not found: apt-get install chromium` }, async () => {
  const root = fs.mkdtempSync(path.join(os.tmpdir(), 'wsol-browser-'));
  // Tiny runs, one per kind of network.
  await initBackend();
  const dataset = partsDataset({ imageSize: SIZE, sizes: { train: 8, val: 4, test: 0 } });
  for (const method of METHODS) {
    const r = await train({ method, epochs: 1, imageSize: SIZE, batchSize: 4, probes: 0, seed: 2, backboneInit: 'scratch', methodOptions: { tinyWidth: 4, headWidth: 8 } }, { outDir: path.join(root, 'runs', method), dataset });
    r.model.net.dispose();
  }
  // The same images for Node and the page: seeded random pixels, normalised as in training.
  const rng = new Rng(7);
  const input = normalizePixels(Uint8Array.from({ length: COUNT * SIZE * SIZE * 3 }, () => Math.floor(rng.next() * 256)));
  // Node's answers, on tfjs's cpu backend (the one the bundle carries).
  await initBackend('cpu');
  const node: Record<string, { predicted: number[]; cams: number[][]; boxes: object[] }> = {};
  try {
    for (const method of METHODS) {
      const { model } = await loadRunModel(path.join(root, 'runs', method));
      const { logits, cams, shape } = tf.tidy(() => {
        const p = model.predict(tf.tensor4d(input, [COUNT, SIZE, SIZE, 3]));
        return { logits: p.logits.dataSync() as Float32Array, cams: p.cams.dataSync() as Float32Array, shape: p.cams.shape };
      });
      model.net.dispose();
      const [, h, w, K] = shape;
      const predicted = Array.from({ length: COUNT }, (_, i) => {
        const row = Array.from(logits.subarray(i * K, (i + 1) * K));
        return row.indexOf(Math.max(...row));
      });
      const maps = predicted.map((k, i) => channelMap(cams, i * h * w * K, h, w, K, k));
      node[method] = { predicted, cams: maps.map((m) => Array.from(m.data)), boxes: maps.map((m) => mapToBox(m, SIZE, SIZE)) };
    }
  } finally {
    await initBackend();
  }

  await buildBrowserBundle(root);
  fs.writeFileSync(path.join(root, 'index.html'), PAGE);
  const server = await staticServer(root);
  const userDataDir = fs.mkdtempSync(path.join(os.tmpdir(), 'wsol-chromium-'));
  const context = await chromium.launchPersistentContext(userDataDir, {
    executablePath: CHROMIUM,
    headless: true,
    args: ['--headless', '--no-sandbox', '--disable-gpu', '--disable-background-networking', '--disable-component-update', '--disable-sync'],
  });
  try {
    const page = await context.newPage();
    const problems: string[] = [];
    page.on('pageerror', (e) => problems.push(`page error: ${e.message}`));
    page.on('console', (m) => m.type() === 'error' && problems.push(`console: ${m.text()}`));
    page.on('requestfailed', (r) => problems.push(`request failed: ${r.url()}`));
    await page.goto(`${server.url}index.html`);
    await page.waitForFunction(() => (window as unknown as { ready?: boolean }).ready === true, null, { timeout: 60_000 });
    const inPage = await page.evaluate(
      async ({ methods, values, count }) => {
        const wsol = (window as unknown as { wsol: typeof import('../../src/browser/index') }).wsol;
        const out: Record<string, { backend: string; predicted: number[]; cams: number[][]; boxes: object[] }> = {};
        for (const method of methods) {
          const run = await wsol.loadRun(`runs/${method}/`);
          const found = wsol.localize(run, Float32Array.from(values), count);
          out[method] = { backend: wsol.tf.getBackend(), predicted: found.map((f) => f.predicted), cams: found.map((f) => Array.from(f.map.data)), boxes: found.map((f) => f.box) };
          run.model.net.dispose();
        }
        return out;
      },
      { methods: METHODS, values: Array.from(input), count: COUNT },
    );
    assert.deepEqual(problems, []);
    for (const method of METHODS) {
      const [a, b] = [inPage[method], node[method]];
      assert.equal(a.backend, 'cpu');
      assert.deepEqual(a.predicted, b.predicted, `${method}: classes`);
      let worst = 0;
      a.cams.forEach((m, i) => m.forEach((v, p) => (worst = Math.max(worst, Math.abs(v - b.cams[i][p])))));
      assert.ok(worst <= 1e-4, `${method}: maps differ by up to ${worst}`);
      assert.equal(a.cams[0].length, b.cams[0].length);
      assert.deepEqual(a.boxes, b.boxes, `${method}: boxes`);
    }
    // Every run's files came over http.
    for (const method of METHODS) assert.ok(server.requests.includes(`/runs/${method}/model/model.json`), `${method} model fetched`);
  } finally {
    await context.close();
    await server.close();
    fs.rmSync(userDataDir, { recursive: true, force: true });
  }
});
