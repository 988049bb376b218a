/**
 * The run's teaching record: the probe images (the first validation images), a snapshot of their
 * maps at chosen steps, and coverage rows at epoch ends, kept in `<run>/snapshots.json`.
 */
import * as fs from 'fs';
import { readJson, writeJsonAtomic } from '../common/atomic-write';
import { batches } from '../data/batches';
import type { Dataset } from '../data/dataset';
import type { WsolModel } from '../method/wsol-model';
import type { TrainConfig } from './config';
import type { Snapshot, SnapshotFile } from './snapshot-types';
import { coverageRow, describeProbes, probeSetFrom, takeSnapshot, type ProbeSet } from './snapshots';

export class SnapshotLog {
  private constructor(
    private readonly file: string,
    private readonly config: TrainConfig,
    private readonly probes: ProbeSet | null,
    readonly content: SnapshotFile,
  ) {}

  /** Loads the probes; continues the file of a resumed run, else starts a new one. */
  static async open(file: string, dataset: Dataset, config: TrainConfig, resumed: boolean): Promise<SnapshotLog> {
    const probes = await loadProbes(dataset, config);
    const content: SnapshotFile = fs.existsSync(file) && resumed
      ? readJson<SnapshotFile>(file)
      : { method: config.method, inputSize: config.imageSize, probes: probes ? await describeProbes(probes, dataset.classNames) : [], snapshots: [], coverage: [] };
    return new SnapshotLog(file, config, probes, content);
  }

  /** Records the probes' maps at (step, epoch), replacing an earlier record of the same point. */
  record(model: WsolModel, step: number, epoch: number): Snapshot | null {
    if (!this.probes) return null;
    const s = takeSnapshot(model, this.probes, step, epoch, this.config.seed);
    this.content.snapshots = this.content.snapshots.filter((x) => x.step !== step || x.epoch !== epoch);
    this.content.snapshots.push(s);
    return s;
  }

  /** Adds the coverage row of an epoch-end snapshot. */
  addCoverage(s: Snapshot): void {
    if (this.probes) this.content.coverage.push(coverageRow(s, this.probes, this.config.imageSize, this.config.coverageThreshold));
  }

  save(): void {
    writeJsonAtomic(this.file, this.content);
  }

  dispose(): void {
    this.probes?.images.dispose();
  }
}

async function loadProbes(dataset: Dataset, config: TrainConfig): Promise<ProbeSet | null> {
  if (config.probes === 0 || dataset.items('val').length === 0) return null;
  for await (const batch of batches(dataset, 'val', {
    batchSize: config.probes,
    imageSize: config.imageSize,
    augment: false,
    shuffle: false,
    seed: 0,
    epoch: 0,
    limit: config.probes,
  })) {
    const set = probeSetFrom(batch, config.probes);
    batch.images.dispose();
    return set;
  }
  return null;
}
