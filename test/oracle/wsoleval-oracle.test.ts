// The TypeScript evaluators against an independent oracle: test/oracle/wsoleval_oracle.py, a
// small script of our own on Debian's python3-opencv and numpy (cv2.findContours, cv2.resize),
// written from wsolevaluation's description and code, sharing nothing with src/.
// data-scripts/setup-system.sh installs both; without them the tests skip and say why.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import * as fs from 'fs';
import * as os from 'os';
import * as path from 'path';
import type { Box, ScoreMap } from '../../src/common/box';
import { Rng } from '../../src/common/rng';
import { partsDataset } from '../../src/data/parts-dataset';
import { BoxEvaluator } from '../../src/localize/box-evaluator';
import { bestIou, resizeBox } from '../../src/localize/boxes';
import { binarize, regionBox } from '../../src/localize/connected-regions';
import { loadCam } from '../../src/localize/cam-folder';
import { findContours } from '../../src/localize/contours';
import { decodeNpy, encodeNpyFloat32 } from '../../src/localize/npy';
import { PxapEvaluator } from '../../src/localize/pxap-evaluator';
import { normalizeScoreMap, resizeMaskNearest, resizeScoreMap } from '../../src/localize/score-map';

const PYTHON = '/usr/bin/python3';
const ORACLE = path.join(__dirname, 'wsoleval_oracle.py');

function oracleMissing(): string | null {
  const r = spawnSync(PYTHON, ['-c', 'import cv2, numpy'], { encoding: 'utf8' });
  if (r.error) return `${PYTHON} not found (${r.error.message})`;
  if (r.status !== 0) return `python3-opencv / python3-numpy missing (bash data-scripts/setup-system.sh installs them): ${r.stderr.trim().split('\n').pop()}`;
  return null;
}
const missing = oracleMissing();
if (missing) console.log(`# skipping the wsolevaluation oracle tests: ${missing}`);

function runOracle(...args: string[]): void {
  const r = spawnSync(PYTHON, [ORACLE, ...args], { encoding: 'utf8' });
  assert.equal(r.status, 0, `oracle ${args[0]} failed: ${r.stderr}`);
}

test('contours: boxes, areas, hole flags, parents and list order equal cv2.findContours(RETR_TREE) on 400 random images', { skip: missing ?? false }, () => {
  const rng = new Rng(14);
  const W = 21;
  const H = 17;
  const images: Uint8Array[] = [];
  for (let k = 0; k < 400; k++) {
    const p = [0.15, 0.35, 0.5, 0.65, 0.85][k % 5];
    // Some images use only a corner, so objects also sit away from the edges.
    const w = k % 4 === 0 ? 1 + rng.int(W) : W;
    const h = k % 6 === 0 ? 1 + rng.int(H) : H;
    const a = new Uint8Array(W * H);
    for (let y = 0; y < h; y++) for (let x = 0; x < w; x++) a[y * W + x] = rng.next() < p ? 1 : 0;
    images.push(a);
  }
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'wsol-oracle-'));
  const stack = new Uint8Array(images.length * W * H);
  images.forEach((a, k) => stack.set(a, k * W * H));
  fs.writeFileSync(path.join(dir, 'images.npy'), encodeNpyFloat32(Float32Array.from(stack), [images.length, H, W]));
  runOracle('contours', path.join(dir, 'images.npy'), path.join(dir, 'contours.json'));
  const ref = JSON.parse(fs.readFileSync(path.join(dir, 'contours.json'), 'utf8')) as { rect: number[]; area: number; parent: number; hole: boolean }[][];
  let holes = 0;
  let total = 0;
  images.forEach((a, k) => {
    const mine = findContours(a, W, H).map((c) => ({ rect: [c.x0, c.y0, c.x1 - c.x0 + 1, c.y1 - c.y0 + 1], area: c.area, parent: c.parent, hole: c.isHole }));
    assert.deepEqual(mine, ref[k], `image ${k}`);
    holes += mine.filter((c) => c.hole).length;
    total += mine.length;
  });
  assert.ok(holes > 1000 && total > 8000, `${total} contours, ${holes} holes`);
});

interface Sample {
  map: ScoreMap;
  width: number;
  height: number;
  boxes: Box[];
  mask: Uint8Array | null;
}

/** Blurred, noisy maps with several blobs and holes, like CAMs: coarse grid -> bicubic -> min-max. */
function camLike(rng: Rng, coarse: Float32Array, cw: number, ch: number, w: number, h: number, noise: number): ScoreMap {
  const data = Float32Array.from(coarse, (v) => v + noise * (rng.next() - 0.5));
  return normalizeScoreMap(resizeScoreMap({ width: cw, height: ch, data }, w, h, 'bicubic'));
}

async function samples(): Promise<Sample[]> {
  const rng = new Rng(2020);
  const out: Sample[] = [];
  // 1) Masks of the generated `parts` data (64 px) pooled to 16x16, with noise and, for every
  //    third image, a dip in the middle of the object (ring-shaped maps: holes); evaluated at
  //    80x80, so GT boxes are truncated and masks resized nearest.
  const ds = partsDataset({ imageSize: 64, sizes: { train: 1, val: 1, test: 260 } });
  for (const item of ds.items('test')) {
    const mask = (await ds.loadMask(item)) as Uint8Array;
    const coarse = new Float32Array(16 * 16);
    for (let y = 0; y < 64; y++) for (let x = 0; x < 64; x++) coarse[(y >> 2) * 16 + (x >> 2)] += mask[y * 64 + x] / 16;
    if (out.length % 3 === 0) {
      const b = item.boxes[0];
      const cx = (b.x0 + b.x1) / 8;
      const cy = (b.y0 + b.y1) / 8;
      for (let y = 0; y < 16; y++) for (let x = 0; x < 16; x++) coarse[y * 16 + x] *= 1 - 0.9 * Math.exp(-((x - cx) ** 2 + (y - cy) ** 2) / 3);
    }
    out.push({ map: camLike(rng, coarse, 16, 16, 80, 80, 0.6), width: 64, height: 64, boxes: item.boxes, mask });
  }
  // 2) Non-square images with several GT boxes: rings, noise and plateaus (ties of contour area).
  for (let k = 0; k < 60; k++) {
    const cw = 6 + rng.int(10);
    const ch = 6 + rng.int(10);
    const coarse = new Float32Array(cw * ch);
    const rx = cw / 2;
    const ry = ch / 2;
    for (let y = 0; y < ch; y++) for (let x = 0; x < cw; x++) coarse[y * cw + x] = Math.abs(Math.sin(Math.hypot((x - rx) / 2, (y - ry) / 2) * (1 + (k % 3))));
    const w = 20 + rng.int(60);
    const h = 20 + rng.int(60);
    let map = camLike(rng, coarse, cw, ch, w, h, k % 2 ? 0.3 : 1.5);
    if (k % 5 === 0) map = { ...map, data: Float32Array.from(map.data, (v) => Math.round(v * 4) / 4) };
    const ow = 30 + rng.int(300);
    const oh = 30 + rng.int(300);
    const box = (): Box => {
      const x0 = rng.int(ow - 1);
      const y0 = rng.int(oh - 1);
      return { x0, y0, x1: x0 + rng.int(ow - x0), y1: y0 + rng.int(oh - y0) };
    };
    out.push({ map, width: ow, height: oh, boxes: [box(), box()], mask: null });
  }
  return out;
}

test('MaxBoxAcc, MaxBoxAccV2 (with per-image, per-threshold IoUs) and PxAP equal the oracle on 320 maps; numpy reads our .npy', { skip: missing ?? false }, async () => {
  const all = await samples();
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'wsol-oracle-'));
  const step = 0.01;
  const ious = [0.3, 0.5, 0.7];
  const boxes = new BoxEvaluator({ thresholdStep: step, iouThresholds: ious });
  const pixels = new PxapEvaluator(step);
  const sweeps = all.map((s, k) => {
    fs.writeFileSync(path.join(dir, `map-${k}.npy`), encodeNpyFloat32(s.map.data, [s.map.height, s.map.width]));
    if (s.mask) fs.writeFileSync(path.join(dir, `mask-${k}.npy`), encodeNpyFloat32(Float32Array.from(s.mask), [s.height, s.width]));
    const gt = s.boxes.map((b) => resizeBox(b, s, s.map));
    if (s.mask) pixels.accumulate(s.map, resizeMaskNearest(s.mask, s.width, s.height, s.map.width, s.map.height));
    return boxes.accumulate(s.map, gt);
  });
  const manifest = {
    step,
    ious,
    samples: all.map((s, k) => ({ map: `map-${k}.npy`, width: s.width, height: s.height, boxes: s.boxes.map((b) => [b.x0, b.y0, b.x1, b.y1]), mask: s.mask ? `mask-${k}.npy` : null })),
  };
  fs.writeFileSync(path.join(dir, 'manifest.json'), JSON.stringify(manifest));
  runOracle('metrics', path.join(dir, 'manifest.json'), path.join(dir, 'out.json'));
  const ref = JSON.parse(fs.readFileSync(path.join(dir, 'out.json'), 'utf8'));
  const mine = boxes.compute();
  const close = (a: number, b: number, what: string) => assert.ok(Math.abs(a - b) <= 1e-6, `${what}: ours ${a}, oracle ${b}`);
  assert.equal(ref.count, all.length);
  sweeps.forEach((sw, k) => {
    for (let i = 0; i < boxes.thresholds.length; i++) {
      close(sw.largestIou[i], ref.perImage[k].largest[i], `map ${k}, t ${boxes.thresholds[i]}: largest-contour IoU`);
      close(sw.anyIou[i], ref.perImage[k].any[i], `map ${k}, t ${boxes.thresholds[i]}: best IoU over all contours`);
    }
  });
  close(mine.maxBoxAcc, ref.maxBoxAcc, 'MaxBoxAcc');
  mine.perIou.forEach((p, j) => close(p.accuracy, ref.maxBoxAccV2PerIou[j], `MaxBoxAccV2 at IoU ${p.iou}`));
  close(mine.maxBoxAccV2, ref.maxBoxAccV2, 'MaxBoxAccV2');
  mine.curves.largest.forEach((v, i) => close(v, ref.curveLargest[i], `MaxBoxAcc curve at ${i}`));
  close(pixels.compute().pxap, ref.pxap, 'PxAP');
  // The maps can tell the rules apart: at some (image, threshold) pairs a hole's box beats every
  // outer box (so a sweep without RETR_TREE's inner contours would fail above).
  let holeWins = 0;
  all.slice(0, 120).forEach((s) => {
    const gt = s.boxes.map((b) => resizeBox(b, s, s.map));
    for (const t of boxes.thresholds.filter((_, i) => i % 5 === 0)) {
      const contours = findContours(binarize(s.map, t), s.map.width, s.map.height);
      const best = (list: typeof contours) => Math.max(0, ...list.map((c) => bestIou(regionBox(c, s.map.width, s.map.height, 'wsolevaluation'), gt)));
      if (best(contours) > best(contours.filter((c) => !c.isHole))) holeWins++;
    }
  });
  assert.ok(holeWins > 0, 'no hole box ever beats the outer boxes: the test would not see a missing RETR_TREE');
  assert.ok(mine.maxBoxAccV2 > 5 && mine.maxBoxAccV2 < 95, `MaxBoxAccV2 ${mine.maxBoxAccV2}`);
  assert.ok(sweeps.some((s) => s.contourCounts.some((c) => c > 3)), 'several contours at some threshold');
});

test('numpy-written .npy files load: float64, float32, big-endian, Fortran order, ids with subfolders', { skip: missing ?? false }, () => {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'wsol-npy-'));
  runOracle('write-npy', dir);
  const expected = Array.from({ length: 12 }, (_, i) => i / 11);
  const f64 = decodeNpy(fs.readFileSync(path.join(dir, 'f64.npy')), 'f64.npy');
  assert.equal(f64.dtype, 'float64');
  assert.deepEqual(f64.shape, [3, 4]);
  assert.deepEqual(Array.from(f64.values), expected);
  assert.deepEqual(Array.from(decodeNpy(fs.readFileSync(path.join(dir, 'f64-fortran.npy')), 'f').values), expected);
  const f32 = Array.from(Float32Array.from(expected));
  assert.deepEqual(Array.from(decodeNpy(fs.readFileSync(path.join(dir, 'f32.npy')), 'f').values), f32);
  assert.deepEqual(Array.from(decodeNpy(fs.readFileSync(path.join(dir, 'f32-big-endian.npy')), 'f').values), f32);
  assert.deepEqual(Array.from(decodeNpy(fs.readFileSync(path.join(dir, 'u8.npy')), 'f').values), expected.map((v) => Math.floor(v * 255)));
  assert.deepEqual(Array.from(loadCam(dir, 'sub/dir/x.jpg', 4, 3).data), f32);
  assert.throws(() => loadCam(dir, 'three-d', 4, 3), /three-d\.npy: a score map must be 2-D \(height, width\), this one has shape \(2, 3, 4\)/);
  assert.throws(() => loadCam(dir, 'u8', 4, 3), /u8\.npy: dtype uint8; a score map must be float32 or float64/);
});
