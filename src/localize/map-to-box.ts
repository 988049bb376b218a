/** From a class map to the box it predicts, as every localizer here draws it. */
import type { Box, ScoreMap } from '../common/box';
import { largestRegionBox } from './connected-regions';
import { DEFAULT_CAM_THRESHOLD, normalizeScoreMap, resizeScoreMap } from './score-map';

/**
 * The map resized to the image (bilinear), min-max normalised, and the box around its largest region
 * at or above `threshold` (wsolevaluation's box convention).
 */
export function mapToBox(map: ScoreMap, width: number, height: number, threshold = DEFAULT_CAM_THRESHOLD): Box {
  return largestRegionBox(normalizeScoreMap(resizeScoreMap(map, width, height)), threshold);
}
