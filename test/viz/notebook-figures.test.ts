import { test } from 'node:test';
import { jet } from '../../src/viz/colormap';
import assert from 'node:assert/strict';
import sharp from 'sharp';
import { attentionOverImage, imageGrid } from '../../src/viz/image-figures';
import { networkDiagramSvg } from '../../src/viz/network-diagram';
import { decodeRgb, pngDataUrl, probeOverlayPng, scoreMapOf } from '../../src/viz/probe-overlay';
import { lossTermsFigure, thresholdSweepsFigure } from '../../src/viz/result-figures';
import type { SnapshotFile } from '../../src/train/snapshot-types';

async function greyPng(size: number): Promise<string> {
  return pngDataUrl(await sharp({ create: { width: size, height: size, channels: 3, background: { r: 100, g: 100, b: 100 } } }).png().toBuffer());
}

test('overlay PNG: image size times scale, GT box green, predicted box red', async () => {
  const image = await decodeRgb(await greyPng(16));
  assert.equal(image.rgb.length, 16 * 16 * 3);
  const map = scoreMapOf(Array.from({ length: 16 }, (_, p) => (p % 4 < 2 && p < 8 ? 1 : 0)), 4, 4); // on in the top-left quarter
  const png = await probeOverlayPng(image, map, [{ x0: 8, y0: 8, x1: 15, y1: 15 }], { threshold: 0.5, scale: 2, alpha: 0 });
  const out = await decodeRgb(png);
  assert.equal(out.width, 32);
  const at = (x: number, y: number) => Array.from(out.rgb.subarray((y * 32 + x) * 3, (y * 32 + x) * 3 + 3));
  assert.deepEqual(at(31, 31), [0, 255, 0], 'GT corner');
  assert.deepEqual(at(0, 0), [255, 0, 0], 'predicted box corner');
  assert.deepEqual(at(20, 4), [100, 100, 100], 'untouched pixel (alpha 0)');
});

test('image grid: one image trace per cell on its own square axes, titles and labels as annotations', () => {
  const spec = imageGrid([{ label: 'cam', cells: [{ src: 'data:a' }, { src: 'data:b', caption: 'IoU 50%' }] }, { label: 'ours', cells: [{ src: 'data:c' }] }], ['p0', 'p1']);
  assert.deepEqual(spec.data.map((d) => [d.type, d.source, d.xaxis]), [['image', 'data:a', 'x'], ['image', 'data:b', 'x2'], ['image', 'data:c', 'x3'], ['heatmap', undefined, 'x']]);
  // The last trace only draws the colour bar: the overlays' jet from 0 to 1, itself invisible.
  const bar = spec.data[3] as { showscale: boolean; opacity: number; zmin: number; zmax: number; colorscale: [number, string][] };
  assert.deepEqual([bar.showscale, bar.opacity, bar.zmin, bar.zmax], [true, 0, 0, 1]);
  assert.deepEqual([bar.colorscale[0], bar.colorscale[10]], [[0, `rgb(${jet(0).join(',')})`], [1, `rgb(${jet(1).join(',')})`]]);
  assert.equal(imageGrid([{ label: 'x', cells: [{ src: 'data:a' }] }], ['t'], { colorBar: false }).data.length, 1);
  const texts = (spec.layout.annotations as { text: string }[]).map((a) => a.text);
  assert.deepEqual(texts.sort(), ['<b>p0</b>', '<b>p1</b>', 'IoU 50%', 'cam', 'ours'].sort());
  assert.equal((spec.layout.yaxis4 as { scaleanchor: string }).scaleanchor, 'x4');
  assert.throws(() => imageGrid([], []), /no images/);
});

test('attention over the image: five panels with image A for two-branch runs, one frame per snapshot', async () => {
  const src = await greyPng(8);
  const maps = Array.from({ length: 16 }, (_, p) => p / 15);
  const file: SnapshotFile = {
    method: 'ours',
    inputSize: 8,
    probes: [{ id: 'p', label: 0, className: 'c', boxes: [{ x0: 1, y0: 1, x1: 6, y1: 6 }], pngDataUrl: src }],
    snapshots: [0, 1, 2].map((k) => ({ step: k, epoch: k - 1, mapWidth: 4, mapHeight: 4, probes: [{ probeId: 'p', branchA: maps, branchB: maps, fused: maps, full: maps, maskA: maps.map((v) => (v > 0.5 ? 1 : 0)) }] })),
    coverage: [],
  };
  const spec = await attentionOverImage(file, 0);
  assert.equal(spec.data.filter((d) => d.type === 'image').length, 5);
  assert.ok(spec.frames!.every((f) => f.traces!.length === 5), 'frames swap the five images, not the colour bar');
  assert.equal(spec.frames!.length, 3);
  assert.deepEqual(spec.frames!.map((f) => f.name), ['init', 'epoch 1, step 1', 'epoch 2, step 2']);
  assert.ok(String(spec.data[0].source).startsWith('data:image/png;base64,'));
  const single = { ...file, snapshots: file.snapshots.map((s) => ({ ...s, probes: s.probes.map((p) => ({ ...p, branchA: null, branchB: null, fused: null, maskA: null })) })) };
  assert.equal((await attentionOverImage(single, 0)).data.filter((d) => d.type === 'image').length, 1);
  await assert.rejects(attentionOverImage(file, 3), /probe 3 is out of range/);
});

test('loss terms on the left axis, gate share and fusion weight on the right; sweeps share one axis', () => {
  const history = [1, 2].map((e) => ({ epoch: e, steps: 10 * e, loss: 1, terms: { clsA: 2 / e, fuseGate: e / 2 }, trainAcc: 0, valTop1Cls: 0, valGtKnownLoc: 0, valMaxBoxAccV2: 0, imagesPerSec: 0, seconds: 0 }));
  const spec = lossTermsFigure(history, [{ step: 10, value: 0.5 }, { step: 20, value: 1 }]);
  assert.deepEqual(spec.data.map((d) => [d.name, d.yaxis ?? 'y']), [['loss term clsA', 'y'], ['fuseGate (right axis)', 'y2'], ['fusion weight (right axis)', 'y2']]);
  assert.deepEqual(spec.data[0].x, [10, 20]);
  const sweeps = thresholdSweepsFigure([{ method: 'a', thresholds: [0, 0.5], accuracy: [1, 2] }, { method: 'b', thresholds: [0, 0.5], accuracy: [3, 4] }]);
  assert.deepEqual(sweeps.data.map((d) => [d.name, d.xaxis ?? 'x']), [['a', 'x'], ['b', 'x']]);
  // The fixed threshold is a named trace, so the legend lists it.
  const withFixed = thresholdSweepsFigure([{ method: 'a', thresholds: [0, 0.5], accuracy: [1, 2] }], undefined, 0.2);
  assert.deepEqual(withFixed.data.map((d) => d.name), ['a', 'fixed threshold 0.2']);
  assert.deepEqual([withFixed.data[1].x, withFixed.data[1].y], [[0.2, 0.2], [0, 100]]);
  assert.equal(withFixed.layout.shapes, undefined);
});

test('the network diagram is one SVG naming every module and the shapes given', () => {
  const svg = networkDiagramSvg({ image: '64x64x3', features: '16x16x64', maps: '16x16x8' });
  assert.match(svg, /^<svg [^>]*>[\s\S]*<\/svg>$/);
  for (const s of ['complementary', 'backbone f', 'CAAM', 'SSAM', 'classifier A', 'classifier B', 'fusion loss', '64x64x3', '16x16x64', '16x16x8', 'reconstruction']) assert.ok(svg.includes(s), s);
  assert.equal((svg.match(/<svg/g) ?? []).length, 1);
  assert.ok(!networkDiagramSvg({ image: '<x>', features: '', maps: '' }).includes('<x>'), 'labels are escaped');
});
