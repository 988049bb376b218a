/**
 * Opens exported notebook pages offline in headless Chromium (playwright-core over the system's
 * /usr/bin/chromium) and reports what they drew: every plotly plot with its traces and how much of
 * its screenshot is inked, console errors, network requests (all refused), clipped code cells.
 * Shared by browser.test.ts and publish.test.ts.
 */
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { pathToFileURL } from 'node:url';
import sharp from 'sharp';
import { chromium, type BrowserContext } from 'playwright-core';

export const CHROMIUM = '/usr/bin/chromium';

export interface PlotInfo {
  traces: number;
  types: string[];
  frames: number;
  height: number;
  /** Share of the plot's screenshot that is not background white (0..1). */
  inked: number;
}

/** Share of pixels that differ clearly from white in a PNG. */
async function inkedShare(png: Buffer): Promise<number> {
  const { data, info } = await sharp(png).removeAlpha().raw().toBuffer({ resolveWithObject: true });
  let inked = 0;
  for (let p = 0; p < info.width * info.height; p++) {
    if (data[p * 3] < 235 || data[p * 3 + 1] < 235 || data[p * 3 + 2] < 235) inked++;
  }
  return inked / (info.width * info.height);
}

export async function withBrowser<T>(fn: (context: BrowserContext) => Promise<T>): Promise<T> {
  const userDataDir = fs.mkdtempSync(path.join(os.tmpdir(), 'wsol-chromium-'));
  const context = await chromium.launchPersistentContext(userDataDir, {
    executablePath: CHROMIUM,
    headless: true,
    args: ['--headless', '--no-sandbox', '--disable-gpu', '--disable-background-networking', '--disable-component-update', '--disable-sync', '--no-first-run'],
    viewport: { width: 1200, height: 900 },
  });
  try {
    return await fn(context);
  } finally {
    await context.close();
    fs.rmSync(userDataDir, { recursive: true, force: true });
  }
}

export async function renderExport(context: BrowserContext, htmlFile: string, screenshot: string) {
  const page = await context.newPage();
  const consoleErrors: string[] = [];
  const network: string[] = [];
  page.on('console', (m) => {
    if (m.type() === 'error') consoleErrors.push(m.text());
  });
  page.on('pageerror', (e) => consoleErrors.push(`page error: ${e.message}`));
  // Offline: anything but local files is refused and recorded.
  await page.route('**/*', (route) => {
    const url = route.request().url();
    if (/^(file|data|blob|about):/.test(url)) return route.continue();
    network.push(url);
    return route.abort();
  });
  try {
    await page.goto(pathToFileURL(htmlFile).href, { waitUntil: 'load', timeout: 60_000 });
    const expected = await page.$$eval('.wsol-figure', (els) => els.length);
    if (expected > 0) {
      await page.waitForFunction((n) => document.querySelectorAll('.js-plotly-plot .main-svg').length >= n, expected, { timeout: 60_000 });
      await page.waitForTimeout(800); // image traces decode their PNGs asynchronously
    }
    const handles = await page.$$('.js-plotly-plot');
    const plots: PlotInfo[] = [];
    for (const h of handles) {
      const info = await h.evaluate((el) => {
        const gd = el as unknown as { data?: { type?: string }[]; _transitionData?: { _frames?: unknown[] } };
        return { traces: gd.data?.length ?? 0, types: (gd.data ?? []).map((d) => d.type ?? 'scatter'), frames: gd._transitionData?._frames?.length ?? 0, height: el.getBoundingClientRect().height };
      });
      await h.scrollIntoViewIfNeeded();
      plots.push({ ...info, inked: await inkedShare(await h.screenshot()) });
    }
    // The first animated image figure (the attention slider over the image) really changes its images per frame.
    const sliderMoves = await page.evaluate(async () => {
      const w = window as unknown as { Plotly: { animate(gd: unknown, names: string[], opts: object): Promise<void> } };
      const gd = Array.from(document.querySelectorAll('.js-plotly-plot')).find((el) => {
        const g = el as unknown as { data?: { type?: string }[]; _transitionData?: { _frames?: unknown[] } };
        return g.data?.[0]?.type === 'image' && (g._transitionData?._frames?.length ?? 0) > 1;
      }) as unknown as { data: { source: string }[]; _transitionData: { _frames: { name: string; data: { source: string }[] }[] } } | undefined;
      if (!gd) return null;
      const first = gd._transitionData._frames[0];
      await w.Plotly.animate(gd, [first.name], { mode: 'immediate', frame: { duration: 0, redraw: true }, transition: { duration: 0 } });
      return gd.data[1].source === first.data[1].source;
    });
    // Code that runs past its box (hidden or behind a scroll bar) is read as clipped.
    const clippedCode = await page.$$eval('.jp-InputArea-editor .highlight pre', (els) => els.filter((e) => e.scrollWidth > e.clientWidth + 1).length);
    const liveCurves = await page.$$eval('.wsol-live svg path', (els) => els.filter((e) => (e.getAttribute('d') ?? '').includes('L')).length);
    const amd = await page.evaluate(() => typeof (window as unknown as { define?: { amd?: unknown } }).define === 'function' && !!(window as unknown as { define: { amd?: unknown } }).define.amd);
    await page.screenshot({ path: screenshot, fullPage: true });
    return { plots, expected, consoleErrors, network, amd, sliderMoves, liveCurves, clippedCode };
  } finally {
    await page.close();
  }
}
