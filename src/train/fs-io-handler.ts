/**
 * A filesystem IOHandler for tfjs: writes the standard `model.json` + `weights.bin` pair
 * (the same files `tf.loadLayersModel` reads over HTTP in a browser), atomically.
 * Needed because tfjs-node's `file://` handler is not available without tfjs-node.
 */
import * as fs from 'fs';
import * as path from 'path';
import * as tf from '@tensorflow/tfjs-core';
import { readJson, writeFileAtomic, writeJsonAtomic } from '../common/atomic-write';

const MODEL_FILE = 'model.json';
const WEIGHTS_FILE = 'weights.bin';

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
      fs.mkdirSync(dir, { recursive: true });
      const weights = artifacts.weightData ? toBytes(artifacts.weightData) : new Uint8Array(0);
      const manifest: tf.io.WeightsManifestConfig = [{ paths: [`./${WEIGHTS_FILE}`], weights: artifacts.weightSpecs ?? [] }];
      const modelJson: tf.io.ModelJSON = {
        modelTopology: artifacts.modelTopology ?? {},
        weightsManifest: manifest,
        format: artifacts.format,
        generatedBy: artifacts.generatedBy,
        convertedBy: artifacts.convertedBy,
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
      const modelJson = readJson<tf.io.ModelJSON>(modelPath);
      if (!modelJson.modelTopology || !Array.isArray(modelJson.weightsManifest)) {
        throw new Error(`${modelPath} lacks modelTopology or weightsManifest`);
      }
      return tf.io.getModelArtifactsForJSON(modelJson, async (manifest) => {
        const specs: tf.io.WeightsManifestEntry[] = [];
        const buffers: ArrayBuffer[] = [];
        for (const group of manifest) {
          specs.push(...group.weights);
          for (const p of group.paths) {
            const file = path.join(dir, p);
            if (!fs.existsSync(file)) throw new Error(`${modelPath} refers to missing weights file ${file}`);
            const b = fs.readFileSync(file);
            buffers.push(b.buffer.slice(b.byteOffset, b.byteOffset + b.byteLength) as ArrayBuffer);
          }
        }
        return [specs, tf.io.concatenateArrayBuffers(buffers)];
      });
    },
  };
}

/** Saves named tensors (e.g. optimizer slots) as `<name>.json` + `<name>.bin`, atomically. */
export async function saveNamedTensors(dir: string, name: string, tensors: tf.NamedTensorMap): Promise<void> {
  const { data, specs } = await tf.io.encodeWeights(tensors);
  writeFileAtomic(path.join(dir, `${name}.bin`), new Uint8Array(data));
  writeJsonAtomic(path.join(dir, `${name}.json`), specs);
}

/** Loads tensors saved by `saveNamedTensors`; the caller owns (disposes) them. */
export function loadNamedTensors(dir: string, name: string): tf.NamedTensorMap {
  const specs = readJson<tf.io.WeightsManifestEntry[]>(path.join(dir, `${name}.json`));
  const b = fs.readFileSync(path.join(dir, `${name}.bin`));
  return tf.io.decodeWeights(b.buffer.slice(b.byteOffset, b.byteOffset + b.byteLength) as ArrayBuffer, specs);
}
