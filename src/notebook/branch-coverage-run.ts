/**
 * The branches' coverage of a two-branch model (ours and its ablations) over a split, and its
 * record per epoch in the run folder (`branch-coverage.json`), written as the run trains.
 */
import * as fs from 'fs';
import * as path from 'path';
import * as tf from '@tensorflow/tfjs-core';
import { readJson, writeJsonAtomic } from '../common/atomic-write';
import { batches } from '../data/batches';
import type { Dataset, Split } from '../data/dataset';
import { classMaps } from '../method/attention-maps';
import type { WsolModel } from '../method/wsol-model';
import type { TrainConfig } from '../train/config';
import type { TrainingSession } from '../train/trainer';
import { branchCoverage, meanBranchCoverage, type BranchCoverage, type BranchCoverageRow } from '../viz/branch-coverage';

export const BRANCH_COVERAGE_FILE = 'branch-coverage.json';

interface TwoBranch {
  branches(xa: tf.Tensor4D, xb: tf.Tensor4D): { camsA: tf.Tensor4D; camsB: tf.Tensor4D };
}

/** True for models with two classifiers whose maps can be read on the full image. */
export function hasBranches(model: WsolModel): boolean {
  return typeof (model as unknown as Partial<TwoBranch>).branches === 'function';
}

/** Each image's coverage (first GT box) by the two branches' maps of its class on the full image. */
export async function branchCoverageOverSplit(model: WsolModel, dataset: Dataset, config: TrainConfig, options: { threshold: number; limit: number; split?: Split }): Promise<BranchCoverage[]> {
  if (!hasBranches(model)) throw new Error(`branch coverage: ${model.method} has a single classifier (no branches A and B)`);
  const net = model as unknown as TwoBranch;
  const out: BranchCoverage[] = [];
  const size = config.imageSize;
  for await (const batch of batches(dataset, options.split ?? 'val', { batchSize: config.batchSize, imageSize: size, augment: false, shuffle: false, seed: 0, epoch: 0, limit: options.limit })) {
    const labels = tf.tensor1d(batch.labels, 'int32');
    const [a, b] = tf.tidy(() => {
      const { camsA, camsB } = net.branches(batch.images, batch.images);
      return [classMaps(camsA, labels), classMaps(camsB, labels)];
    });
    const [, h, w] = a.shape;
    const da = a.dataSync() as Float32Array, db = b.dataSync() as Float32Array;
    tf.dispose([a, b, labels, batch.images]);
    for (let i = 0; i < batch.labels.length; i++) {
      const map = (d: Float32Array) => ({ width: w, height: h, data: d.slice(i * h * w, (i + 1) * h * w) });
      out.push(branchCoverage(map(da), map(db), size, size, batch.boxes[i][0], options.threshold));
    }
  }
  return out;
}

export function readBranchCoverage(runDir: string): BranchCoverageRow[] {
  const file = path.join(runDir, BRANCH_COVERAGE_FILE);
  return fs.existsSync(file) ? readJson<BranchCoverageRow[]>(file) : [];
}

/** After an epoch: appends that epoch's validation coverage to the run's record (two-branch models only). */
export async function recordBranchCoverage(session: TrainingSession): Promise<void> {
  if (!hasBranches(session.model)) return;
  const c = session.config;
  const list = await branchCoverageOverSplit(session.model, session.dataset, c, { threshold: c.coverageThreshold, limit: c.evalLimit });
  const rows = readBranchCoverage(session.outDir).filter((r) => r.epoch < session.epoch);
  rows.push({ epoch: session.epoch, step: session.progress.step, images: list.length, ...meanBranchCoverage(list) });
  writeJsonAtomic(path.join(session.outDir, BRANCH_COVERAGE_FILE), rows);
}
