/**
 * Pretrained weights for the tiny backbone: a JSON manifest (layer weights, shapes, the size and
 * SHA-256 of the weights file, and how they were made) beside a little-endian float32 file. Every
 * method starts from them by default, as WSOL papers start from ImageNet weights.
 */
import * as crypto from 'crypto';
import * as fs from 'fs';
import * as path from 'path';
import * as tf from '@tensorflow/tfjs-core';
import type * as tfl from '@tensorflow/tfjs-layers';
import { writeFileAtomic, writeJsonAtomic } from '../common/atomic-write';

export const BACKBONE_WEIGHTS_FORMAT = 'wsol-tiny-backbone';
export const BACKBONE_WEIGHTS_VERSION = 1;

/**
 * The weights that ship with the package (made by `wsol pretrain`, see docs/method.md). They live in
 * src/ so that both the sources (tsx) and the build (dist/weights, two levels below the root too) find
 * them; a single-file bundle (data-scripts/gpu-bench.sh) carries them in `pretrained/` beside itself.
 */
export const SHIPPED_BACKBONE = [
  path.join(__dirname, '..', '..', 'src', 'weights', 'pretrained', 'tiny16.json'),
  path.join(__dirname, 'pretrained', 'tiny16.json'),
].find((f) => fs.existsSync(f)) ?? path.join(__dirname, '..', '..', 'src', 'weights', 'pretrained', 'tiny16.json');
/** The tinyWidth the shipped weights were made for. */
export const SHIPPED_BACKBONE_WIDTH = 16;

export interface BackboneWeightEntry {
  /** `<layer name>/<weight>`, e.g. `block1_conv1/kernel`, `block1_conv1_bn/moving_mean`. */
  name: string;
  shape: number[];
  /** Offset in float32 values into the weights file. */
  offset: number;
}

export interface BackboneWeightsManifest {
  format: typeof BACKBONE_WEIGHTS_FORMAT;
  version: number;
  backbone: 'tiny';
  tinyWidth: number;
  weightsFile: string;
  bytes: number;
  sha256: string;
  weights: BackboneWeightEntry[];
  /** How the weights were made: command, seed, data, budget, what pretraining reached. */
  provenance: Record<string, unknown>;
}

function weightName(layer: tfl.layers.Layer, w: tfl.LayerVariable): string {
  const last = w.originalName.split('/').pop() ?? w.originalName;
  return `${layer.name}/${last}`;
}

function backboneWeights(backbone: tfl.LayersModel): { name: string; variable: tfl.LayerVariable }[] {
  return backbone.layers.flatMap((layer) => layer.weights.map((variable) => ({ name: weightName(layer, variable), variable })));
}

/** Writes a backbone's weights (trainable and batch-norm statistics) as `<base>.json` + `<base>.bin`. */
export function saveBackboneWeights(backbone: tfl.LayersModel, base: string, tinyWidth: number, provenance: Record<string, unknown>): BackboneWeightsManifest {
  const entries: BackboneWeightEntry[] = [];
  const chunks: Float32Array[] = [];
  let offset = 0;
  for (const { name, variable } of backboneWeights(backbone)) {
    const data = variable.read().dataSync() as Float32Array;
    entries.push({ name, shape: variable.shape.map((d) => d as number), offset });
    chunks.push(Float32Array.from(data));
    offset += data.length;
  }
  const all = new Float32Array(offset);
  let at = 0;
  for (const c of chunks) {
    all.set(c, at);
    at += c.length;
  }
  const bytes = Buffer.from(all.buffer, all.byteOffset, all.byteLength);
  const binFile = `${base}.bin`;
  writeFileAtomic(binFile, bytes);
  const manifest: BackboneWeightsManifest = {
    format: BACKBONE_WEIGHTS_FORMAT,
    version: BACKBONE_WEIGHTS_VERSION,
    backbone: 'tiny',
    tinyWidth,
    weightsFile: path.basename(binFile),
    bytes: bytes.length,
    sha256: crypto.createHash('sha256').update(bytes).digest('hex'),
    weights: entries,
    provenance,
  };
  writeJsonAtomic(`${base}.json`, manifest);
  return manifest;
}

/** Reads and checks a manifest and its weights file (format, version, size, digest, finite values). */
export function readBackboneWeights(manifestFile: string): { manifest: BackboneWeightsManifest; values: Float32Array } {
  let manifest: BackboneWeightsManifest;
  try {
    manifest = JSON.parse(fs.readFileSync(manifestFile, 'utf8')) as BackboneWeightsManifest;
  } catch (err) {
    throw new Error(`${manifestFile}: cannot read backbone weights manifest (${(err as Error).message})`);
  }
  if (manifest.format !== BACKBONE_WEIGHTS_FORMAT) throw new Error(`${manifestFile}: not a ${BACKBONE_WEIGHTS_FORMAT} manifest (format ${String(manifest.format)})`);
  if (manifest.version !== BACKBONE_WEIGHTS_VERSION) {
    throw new Error(`${manifestFile}: backbone weights version ${manifest.version}; this version of where-to-look reads version ${BACKBONE_WEIGHTS_VERSION}`);
  }
  const binFile = path.join(path.dirname(manifestFile), manifest.weightsFile);
  if (!fs.existsSync(binFile)) throw new Error(`${manifestFile}: its weights file ${binFile} is missing`);
  const bytes = fs.readFileSync(binFile);
  if (bytes.length !== manifest.bytes) throw new Error(`${binFile}: ${bytes.length} bytes, the manifest says ${manifest.bytes} (truncated or replaced)`);
  const digest = crypto.createHash('sha256').update(bytes).digest('hex');
  if (digest !== manifest.sha256) throw new Error(`${binFile}: SHA-256 ${digest} differs from the manifest's ${manifest.sha256}`);
  const values = new Float32Array(bytes.buffer.slice(bytes.byteOffset, bytes.byteOffset + bytes.length));
  if (!values.every(Number.isFinite)) throw new Error(`${binFile}: holds NaN or infinite weights`);
  return { manifest, values };
}

/**
 * Loads pretrained weights into a tiny backbone built with the same width. Every backbone weight must be
 * in the file (layers without weights, such as ADL's, are skipped). Returns how many tensors were set.
 */
export function loadBackboneWeights(backbone: tfl.LayersModel, manifestFile: string, tinyWidth: number): number {
  const { manifest, values } = readBackboneWeights(manifestFile);
  if (manifest.tinyWidth !== tinyWidth) {
    throw new Error(`${manifestFile}: weights for tinyWidth ${manifest.tinyWidth}, the model has tinyWidth ${tinyWidth} (train with --backbone-init scratch, or make weights of that width with wsol pretrain)`);
  }
  const byName = new Map(manifest.weights.map((e) => [e.name, e]));
  const targets = backboneWeights(backbone);
  tf.tidy(() => {
    for (const { name, variable } of targets) {
      const e = byName.get(name);
      if (!e) throw new Error(`${manifestFile}: no weights for backbone layer weight ${name}`);
      const shape = variable.shape.map((d) => d as number);
      if (e.shape.join('x') !== shape.join('x')) throw new Error(`${manifestFile}: ${name} has shape ${e.shape.join('x')}, the model wants ${shape.join('x')}`);
      const size = shape.reduce((a, b) => a * b, 1);
      variable.write(tf.tensor(values.subarray(e.offset, e.offset + size), shape));
    }
  });
  return targets.length;
}
