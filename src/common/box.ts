/**
 * An axis-aligned box in inclusive pixel coordinates: the box covers columns x0..x1 and
 * rows y0..y1, so its width is x1 - x0 + 1 (wsolevaluation's convention).
 */
export interface Box {
  x0: number;
  y0: number;
  x1: number;
  y1: number;
}

/** A single-channel map (CAM, attention, mask) stored row-major: value(x, y) = data[y * width + x]. */
export interface ScoreMap {
  width: number;
  height: number;
  data: Float32Array;
}
