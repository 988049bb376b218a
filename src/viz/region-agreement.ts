/**
 * How a thresholded map agrees with the ground-truth region (the union of the GT boxes):
 * recall (share of GT pixels above threshold), background coverage (share of non-GT pixels
 * above threshold) and the IoU of the two regions. Recall alone rewards a map that lights up
 * the whole image; background coverage and IoU show that failure.
 */
import type { Box } from '../common/box';
import { normalizeScoreMap, resizeScoreMap } from '../localize/score-map';
import type { ScoreMap } from '../common/box';

export interface RegionAgreement {
  recall: number;
  background: number;
  iou: number;
}

const inside = (boxes: Box[], x: number, y: number) => boxes.some((b) => x >= b.x0 && x <= b.x1 && y >= b.y0 && y <= b.y1);

/** The map is resized to size x size and min-max normalised, then compared at `threshold`. */
export function regionAgreement(map: ScoreMap, size: number, boxes: Box[], threshold: number): RegionAgreement {
  const m = normalizeScoreMap(resizeScoreMap(map, size, size));
  let gt = 0;
  let hit = 0;
  let bg = 0;
  let bgOn = 0;
  for (let y = 0; y < size; y++) {
    for (let x = 0; x < size; x++) {
      const on = m.data[y * size + x] >= threshold;
      if (inside(boxes, x, y)) {
        gt++;
        if (on) hit++;
      } else {
        bg++;
        if (on) bgOn++;
      }
    }
  }
  const union = gt + bgOn;
  return { recall: gt > 0 ? hit / gt : 0, background: bg > 0 ? bgOn / bg : 0, iou: union > 0 ? hit / union : 0 };
}

/** Mean of several agreements (e.g. over probe images). */
export function meanAgreement(rows: RegionAgreement[]): RegionAgreement {
  const n = Math.max(1, rows.length);
  const sum = (k: keyof RegionAgreement) => rows.reduce((a, r) => a + r[k], 0) / n;
  return { recall: sum('recall'), background: sum('background'), iou: sum('iou') };
}
