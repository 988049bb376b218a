/**
 * A filesystem IOHandler for tfjs: writes the standard `model.json` + `weights.bin` pair
 * (the same files `tf.loadLayersModel` reads over HTTP in a browser), atomically.
 * Needed because tfjs-node's `file://` handler is not available without tfjs-node.
 *
 * Integrity: `model.json` also records the size and SHA-256 of `weights.bin` (`weightsIntegrity`,
 * a field browsers ignore). Loading checks the size against the weight specs and the recorded
 * digest, so a truncated or overwritten file is an error that names it, never a model of garbage.
 */
import { createHash } from 'crypto';
import * as fs from 'fs';
import * as path from 'path';
import * as tf from '@tensorflow/tfjs-core';
import { readJson, writeFileAtomic, writeJsonAtomic } from '../common/atomic-write';

const MODEL_FILE = 'model.json';
const WEIGHTS_FILE = 'weights.bin';

/** Size and digest of a binary file, recorded beside it. */
export interface FileIntegrity {
  bytes: number;
  sha256: string;
}

type ModelJsonWithIntegrity = tf.io.ModelJSON & { weightsIntegrity?: FileIntegrity };

export function integrityOf(bytes: Uint8Array): FileIntegrity {
  return { bytes: bytes.length, sha256: createHash('sha256').update(bytes).digest('hex') };
}

const DTYPE_BYTES: Record<string, number> = { float32: 4, int32: 4, bool: 1 };

/** Bytes the specs describe, or null when some spec is quantised or of an unusual dtype. */
function expectedBytes(specs: tf.io.WeightsManifestEntry[]): number | null {
  let total = 0;
  for (const s of specs) {
    const per = DTYPE_BYTES[s.dtype];
    if (s.quantization || per === undefined) return null;
    total += s.shape.reduce((a, b) => a * b, 1) * per;
  }
  return total;
}

/** Reads a weights file and checks it against its specs and recorded integrity; errors name the file. */
function readWeightsFile(file: string, describedBy: string, specs: tf.io.WeightsManifestEntry[], recorded?: FileIntegrity): ArrayBuffer {
  if (!fs.existsSync(file)) throw new Error(`${describedBy} refers to missing weights file ${file}`);
  const b = fs.readFileSync(file);
  const want = recorded?.bytes ?? expectedBytes(specs);
  if (want !== null && b.length !== want) {
    throw new Error(`${file} is ${b.length < want ? 'truncated' : 'too long'}: ${b.length} bytes, ${describedBy} describes ${want}`);
  }
  if (recorded) {
    const got = integrityOf(b).sha256;
    if (got !== recorded.sha256) throw new Error(`${file} is corrupt: its SHA-256 ${got} differs from ${recorded.sha256} recorded in ${describedBy}`);
  }
  return b.buffer.slice(b.byteOffset, b.byteOffset + b.byteLength) as ArrayBuffer;
}

function toBytes(data: tf.io.WeightData): Uint8Array {
  const buf = Array.isArray(data) ? tf.io.concatenateArrayBuffers(data) : data;
  return new Uint8Array(buf);
}

export function fileSystemHandler(dir: string): tf.io.IOHandler {
  return {
    async save(artifacts: tf.io.ModelArtifacts): Promise<tf.io.SaveResult> {
      if (artifacts.modelTopology instanceof ArrayBuffer) {
        throw new Error('fileSystemHandler saves JSON topologies only');
      }
      const weights = artifacts.weightData ? toBytes(artifacts.weightData) : new Uint8Array(0);
      const manifest: tf.io.WeightsManifestConfig = [{ paths: [`./${WEIGHTS_FILE}`], weights: artifacts.weightSpecs ?? [] }];
      const modelJson: ModelJsonWithIntegrity = {
        modelTopology: artifacts.modelTopology ?? {},
        weightsManifest: manifest,
        format: artifacts.format,
        generatedBy: artifacts.generatedBy,
        convertedBy: artifacts.convertedBy,
        weightsIntegrity: integrityOf(weights),
      };
      if (artifacts.trainingConfig) modelJson.trainingConfig = artifacts.trainingConfig;
      if (artifacts.userDefinedMetadata) modelJson.userDefinedMetadata = artifacts.userDefinedMetadata;
      // Weights first, then the JSON that points to them: a reader never sees JSON without weights.
      writeFileAtomic(path.join(dir, WEIGHTS_FILE), weights);
      writeJsonAtomic(path.join(dir, MODEL_FILE), modelJson);
      return { modelArtifactsInfo: tf.io.getModelArtifactsInfoForJSON(artifacts) };
    },
    async load(): Promise<tf.io.ModelArtifacts> {
      const modelPath = path.join(dir, MODEL_FILE);
      const modelJson = readJson<ModelJsonWithIntegrity>(modelPath);
      if (!modelJson.modelTopology || !Array.isArray(modelJson.weightsManifest)) {
        throw new Error(`${modelPath} lacks modelTopology or weightsManifest`);
      }
      return tf.io.getModelArtifactsForJSON(modelJson, async (manifest) => {
        const specs = manifest.flatMap((group) => group.weights);
        const files = manifest.flatMap((group) => group.paths.map((p) => path.join(dir, p)));
        // The recorded integrity (and the size check from the specs) covers the single file this handler writes.
        const buffers = files.length === 1
          ? [readWeightsFile(files[0], modelPath, specs, modelJson.weightsIntegrity)]
          : files.map((f) => readWeightsFile(f, modelPath, [], undefined));
        return [specs, tf.io.concatenateArrayBuffers(buffers)];
      });
    },
  };
}

/** What `<name>.json` holds beside `<name>.bin`. */
interface NamedTensorsIndex {
  specs: tf.io.WeightsManifestEntry[];
  integrity: FileIntegrity;
}

/** Saves named tensors (e.g. optimizer slots) as `<name>.json` + `<name>.bin`, atomically. */
export async function saveNamedTensors(dir: string, name: string, tensors: tf.NamedTensorMap): Promise<void> {
  const { data, specs } = await tf.io.encodeWeights(tensors);
  const bytes = new Uint8Array(data);
  writeFileAtomic(path.join(dir, `${name}.bin`), bytes);
  writeJsonAtomic(path.join(dir, `${name}.json`), { specs, integrity: integrityOf(bytes) } satisfies NamedTensorsIndex);
}

/** Loads tensors saved by `saveNamedTensors` (size and digest checked); the caller owns (disposes) them. */
export function loadNamedTensors(dir: string, name: string): tf.NamedTensorMap {
  const indexFile = path.join(dir, `${name}.json`);
  const index = readJson<NamedTensorsIndex | tf.io.WeightsManifestEntry[]>(indexFile);
  // Checkpoints written before the integrity record hold the bare spec list.
  const { specs, integrity } = Array.isArray(index) ? { specs: index, integrity: undefined } : index;
  return tf.io.decodeWeights(readWeightsFile(path.join(dir, `${name}.bin`), indexFile, specs, integrity), specs);
}
