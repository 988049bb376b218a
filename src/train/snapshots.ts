/**
 * Teaching snapshots: for a fixed set of probe images, the maps of both branches, their union,
 * the full-image map and the complementary mask; and the coverage of the ground-truth region.
 */
import * as tf from '@tensorflow/tfjs-core';
import sharp from 'sharp';
import type { Box } from '../common/box';
import type { Batch } from '../data/batches';
import { denormalize } from '../data/batches';
import { classMaps, normalizeMaps } from '../method/attention-maps';
import type { WsolModel } from '../method/wsol-model';
import type { CoverageRow, ProbeImage, ProbeMaps, Snapshot } from './snapshot-types';

export interface ProbeSet {
  images: tf.Tensor4D;
  labels: Int32Array;
  ids: string[];
  boxes: Box[][];
  masks: (Uint8Array | null)[];
}

/** Keeps the first batch of probe images (caller disposes `images`). */
export function probeSetFrom(batch: Batch, count: number): ProbeSet {
  const n = Math.min(count, batch.labels.length);
  return {
    images: tf.tidy(() => batch.images.slice([0, 0, 0, 0], [n, -1, -1, -1])),
    labels: batch.labels.slice(0, n),
    ids: batch.ids.slice(0, n),
    boxes: batch.boxes.slice(0, n),
    masks: batch.masks.slice(0, n),
  };
}

export async function describeProbes(probes: ProbeSet, classNames: string[]): Promise<ProbeImage[]> {
  const [n, size] = probes.images.shape;
  const rgb = await denormalize(probes.images);
  const out: ProbeImage[] = [];
  for (let i = 0; i < n; i++) {
    const pixels = rgb.subarray(i * size * size * 3, (i + 1) * size * size * 3);
    const png = await sharp(Buffer.from(pixels), { raw: { width: size, height: size, channels: 3 } }).png().toBuffer();
    out.push({
      id: probes.ids[i],
      label: probes.labels[i],
      className: classNames[probes.labels[i]] ?? String(probes.labels[i]),
      boxes: probes.boxes[i],
      pngDataUrl: `data:image/png;base64,${png.toString('base64')}`,
    });
  }
  return out;
}

function rows(t: tf.Tensor3D | null): number[][] | null {
  if (!t) return null;
  const [n, h, w] = t.shape;
  const data = t.dataSync();
  return Array.from({ length: n }, (_, i) => Array.from(data.subarray(i * h * w, (i + 1) * h * w)));
}

/** Nearest-neighbour lookup of a h x w map at input pixel (x, y) of an S x S image. */
function valueAt(map: number[], h: number, w: number, size: number, x: number, y: number): number {
  return map[Math.min(h - 1, Math.floor((y * h) / size)) * w + Math.min(w - 1, Math.floor((x * w) / size))];
}

/** Fraction of the ground-truth region (mask, else union of boxes) where `map >= threshold`. */
export function coverage(map: number[], h: number, w: number, size: number, boxes: Box[], mask: Uint8Array | null, threshold: number): number {
  let inside = 0;
  let covered = 0;
  for (let y = 0; y < size; y++) {
    for (let x = 0; x < size; x++) {
      const gt = mask ? mask[y * size + x] > 0 : boxes.some((b) => x >= b.x0 && x <= b.x1 && y >= b.y0 && y <= b.y1);
      if (!gt) continue;
      inside++;
      if (valueAt(map, h, w, size, x, y) >= threshold) covered++;
    }
  }
  return inside > 0 ? covered / inside : 0;
}

/**
 * Records one snapshot. Methods with `explain` give both branches; others only the full map.
 * The dropout draw uses a fixed probe step so snapshots over training compare like with like.
 */
export function takeSnapshot(model: WsolModel, probes: ProbeSet, step: number, epoch: number, seed: number): Snapshot {
  const labels = tf.tensor1d(probes.labels, 'int32');
  try {
    const full = tf.tidy(() => normalizeMaps(classMaps(model.predict(probes.images).cams, labels)));
    // Spread into a plain object: tidy keeps the tensors of the object it returns.
    const ex = model.explain ? tf.tidy(() => ({ ...model.explain!(probes.images, labels, { step: 0, seed }) })) : null;
    const [, h, w] = full.shape;
    const maskSmall = ex ? tf.tidy(() => tf.squeeze<tf.Tensor3D>(tf.image.resizeBilinear(tf.expandDims<tf.Tensor4D>(ex.maskA, 3), [h, w]), [3])) : null;
    const a = rows(ex?.branchA ?? null);
    const b = rows(ex?.branchB ?? null);
    const u = rows(ex?.fused ?? null);
    const f = rows(full)!;
    const m = rows(maskSmall);
    tf.dispose([full, maskSmall ?? [], ...(ex ? Object.values(ex) : [])]);
    const maps: ProbeMaps[] = probes.ids.map((id, i) => ({
      probeId: id,
      branchA: a ? a[i] : null,
      branchB: b ? b[i] : null,
      fused: u ? u[i] : null,
      full: f[i],
      maskA: m ? m[i] : null,
    }));
    return { step, epoch, mapWidth: w, mapHeight: h, probes: maps };
  } finally {
    labels.dispose();
  }
}

/** Mean coverage over the probes for each kind of map in a snapshot. */
export function coverageRow(s: Snapshot, probes: ProbeSet, size: number, threshold: number): CoverageRow {
  const mean = (pick: (p: ProbeMaps) => number[] | null): number | null => {
    const vals = s.probes.map((p, i) => {
      const map = pick(p);
      return map ? coverage(map, s.mapHeight, s.mapWidth, size, probes.boxes[i], probes.masks[i], threshold) : null;
    });
    if (vals.some((v) => v === null)) return null;
    return (vals as number[]).reduce((a, b) => a + b, 0) / Math.max(1, vals.length);
  };
  return {
    epoch: s.epoch,
    threshold,
    branchA: mean((p) => p.branchA),
    branchB: mean((p) => p.branchB),
    union: mean((p) => p.fused),
    full: mean((p) => p.full) ?? 0,
  };
}
