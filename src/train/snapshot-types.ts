/**
 * Teaching snapshots the trainer writes to `<run>/snapshots.json` and notebooks plot.
 * Maps are row-major number arrays of size h*w at feature resolution, values in [0, 1].
 */
import type { Box } from '../common/box';

export interface ProbeImage {
  id: string;
  label: number;
  className: string;
  /** Ground-truth boxes in input-pixel coordinates (inclusive). */
  boxes: Box[];
  /** The probe image as a PNG data URL (input size), for overlays. */
  pngDataUrl: string;
}

/** Single-branch methods (CAM, HaS, ADL...) have no branch maps: those fields are null. */
export interface ProbeMaps {
  probeId: string;
  /** Branch A's normalised map for the true class, on its dropout image. */
  branchA: number[] | null;
  /** Branch B's normalised map for the true class, on the complementary image. */
  branchB: number[] | null;
  /** Union target max(A, B) used by the fusion loss. */
  fused: number[] | null;
  /** Full-image localisation map (inference path). */
  full: number[];
  /** Keep-mask of image A at input resolution, downsampled to h*w (1 = visible in A). */
  maskA: number[] | null;
}

export interface Snapshot {
  step: number;
  epoch: number;
  mapWidth: number;
  mapHeight: number;
  probes: ProbeMaps[];
}

/** Fraction of the ground-truth region (mask if known, else box) covered by each thresholded map. */
export interface CoverageRow {
  epoch: number;
  threshold: number;
  branchA: number | null;
  branchB: number | null;
  union: number | null;
  full: number;
}

export interface SnapshotFile {
  method: string;
  inputSize: number;
  probes: ProbeImage[];
  snapshots: Snapshot[];
  coverage: CoverageRow[];
}

/** One line of `<run>/history.json`: per-epoch training and validation figures. */
export interface EpochRecord {
  epoch: number;
  steps: number;
  loss: number;
  terms: Record<string, number>;
  trainAcc: number;
  valTop1Cls: number;
  valGtKnownLoc: number;
  valMaxBoxAccV2: number;
  imagesPerSec: number;
  seconds: number;
}
