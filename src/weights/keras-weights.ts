/**
 * Keras HDF5 weight files (the `model.save_weights(...h5)` layout of Keras 2), read with h5wasm:
 *   /                 attr layer_names = [block1_conv1, ..., block5_pool]
 *   /<layer>          attr weight_names = [<layer>/kernel:0, <layer>/bias:0]  (empty for pooling)
 *   /<layer>/<weight name>   dataset, e.g. /block1_conv1/block1_conv1/kernel:0 with shape [3,3,in,out]
 * Weights load into a tfjs-layers model BY LAYER NAME, in the file's weight order (Keras does the
 * same; older files name weights `block1_conv1_W_1:0`, so the order is what counts).
 *
 * Keras' ImageNet VGG16 expects "caffe" input: BGR, 0..255, minus the per-channel mean. This
 * project's batches are RGB normalised with ImageNet mean/std, so by default the first convolution
 * is rewritten to take that input directly (a linear change of variables, exact away from borders).
 */
import * as fs from 'fs';
import * as tf from '@tensorflow/tfjs-core';
import { IMAGENET_MEAN, IMAGENET_STD } from '../data/image-ops';

type H5Module = typeof import('h5wasm');

// h5wasm ships ES modules only; a Function-wrapped import() keeps the CommonJS build from
// rewriting it into require().
const importEsm = new Function('specifier', 'return import(specifier)') as (s: string) => Promise<unknown>;
let h5Promise: Promise<H5Module> | null = null;

/** The h5wasm module, initialised once. */
export async function loadH5wasm(): Promise<H5Module> {
  if (!h5Promise) {
    h5Promise = (async () => {
      const mod = (await importEsm('h5wasm/node')) as H5Module & { ready: Promise<unknown> };
      await mod.ready;
      return mod;
    })();
  }
  return h5Promise;
}

/** What the loader needs from a layer: tfjs-layers' Layer satisfies it. */
export interface WeightedLayer {
  name: string;
  weights: { shape: (number | null)[] }[];
  setWeights(weights: tf.Tensor[]): void;
}

export interface LayerContainer {
  getLayer(name: string): WeightedLayer;
}

/** Keras' caffe-mode means, in BGR order. */
export const CAFFE_BGR_MEAN = [103.939, 116.779, 123.68];

export interface KerasLoadOptions {
  /**
   * 'normalized-rgb' (default): rewrite `inputLayer`'s kernel and bias so it takes this project's
   * ImageNet-normalised RGB input; 'as-is': keep the file's weights (caffe BGR input).
   */
  input?: 'normalized-rgb' | 'as-is';
  inputLayer?: string;
  /** Only these layers (default: every layer in the file that has weights). */
  layers?: string[];
}

function strings(value: unknown): string[] {
  const decode = (v: unknown) => (typeof v === 'string' ? v : v instanceof Uint8Array ? new TextDecoder().decode(v).replace(/\0+$/, '') : String(v));
  if (value === null || value === undefined) return [];
  if (typeof value === 'string') return value === '' ? [] : [value];
  return Array.from(value as ArrayLike<unknown>, decode).filter((s) => s !== '');
}

/**
 * Converts a first-layer kernel [kh, kw, 3, out] (caffe: BGR, 0..255, mean-subtracted) and its bias
 * to take ImageNet-normalised RGB: x_bgr[2-c] = 255 * std[c] * x_norm[c] + (255 * mean[c] - caffeMean[2-c]).
 */
export function caffeKernelToNormalizedRgb(kernel: Float32Array, shape: number[], bias: Float32Array): { kernel: Float32Array; bias: Float32Array } {
  const [kh, kw, cin, cout] = shape;
  if (cin !== 3) throw new Error(`input conversion needs 3 input channels, the kernel has ${cin}`);
  const k2 = new Float32Array(kernel.length);
  const b2 = Float32Array.from(bias);
  for (let i = 0; i < kh * kw; i++) {
    for (let c = 0; c < 3; c++) {
      const bgr = 2 - c;
      const scale = 255 * IMAGENET_STD[c];
      const shift = 255 * IMAGENET_MEAN[c] - CAFFE_BGR_MEAN[bgr];
      for (let o = 0; o < cout; o++) {
        const w = kernel[(i * 3 + bgr) * cout + o];
        k2[(i * 3 + c) * cout + o] = w * scale;
        b2[o] += w * shift;
      }
    }
  }
  return { kernel: k2, bias: b2 };
}

/** The HDF5 superblock signature sits at byte 0 (or 512, 1024, ... when a user block precedes it). */
export function hasHdf5Signature(file: string): boolean {
  const sig = Buffer.from([0x89, 0x48, 0x44, 0x46, 0x0d, 0x0a, 0x1a, 0x0a]);
  const fd = fs.openSync(file, 'r');
  try {
    const buf = Buffer.alloc(8);
    for (let at = 0; at <= 8192; at = at === 0 ? 512 : at * 2) {
      if (fs.readSync(fd, buf, 0, 8, at) === 8 && buf.equals(sig)) return true;
    }
    return false;
  } finally {
    fs.closeSync(fd);
  }
}

/** Loads a Keras HDF5 weight file into `model` by layer name; returns the names of the loaded layers. */
/** tfjs' getLayer throws for an unknown name; undefined lets the caller word the error. */
function layerOrUndefined(model: LayerContainer, name: string): WeightedLayer | undefined {
  try {
    return model.getLayer(name);
  } catch {
    return undefined;
  }
}

export async function loadKerasH5Weights(file: string, model: LayerContainer, opts: KerasLoadOptions = {}): Promise<string[]> {
  const h5 = await loadH5wasm();
  if (!fs.existsSync(file)) throw new Error(`weights file not found: ${file}`);
  if (!hasHdf5Signature(file)) throw new Error(`${file} is not a readable HDF5 file (no HDF5 signature)`);
  let f: InstanceType<H5Module['File']>;
  try {
    f = new h5.File(file, 'r');
  } catch (err) {
    throw new Error(`${file} is not a readable HDF5 file: ${(err as Error).message}`);
  }
  const loaded: string[] = [];
  try {
    // Some files wrap everything in a `model_weights` group (model.save instead of save_weights).
    const rootEntity = f.keys().includes('model_weights') ? f.get('model_weights') : null;
    const root = (rootEntity && rootEntity instanceof h5.Group ? rootEntity : f) as InstanceType<H5Module['Group']>;
    const layerAttr = root.attrs['layer_names'];
    if (!layerAttr) throw new Error(`${file}: no "layer_names" attribute: not a Keras HDF5 weights file`);
    const layerNames = strings(layerAttr.value);
    const wanted = opts.layers ? new Set(opts.layers) : null;
    for (const want of wanted ?? []) if (!layerNames.includes(want)) throw new Error(`${file}: has no layer "${want}" (it has ${layerNames.join(', ')})`);
    for (const name of layerNames) {
      if (wanted && !wanted.has(name)) continue;
      const group = root.keys().includes(name) ? root.get(name) : null;
      if (!group || !(group instanceof h5.Group)) throw new Error(`${file}: layer "${name}" is listed in layer_names but has no group`);
      const weightNames = strings(group.attrs['weight_names']?.value);
      if (weightNames.length === 0) continue;
      const layer = layerOrUndefined(model, name);
      if (!layer) throw new Error(`${file}: the model has no layer "${name}" for the weights in the file`);
      if (layer.weights.length !== weightNames.length) {
        throw new Error(`${file}: layer "${name}" has ${weightNames.length} weights in the file, ${layer.weights.length} in the model`);
      }
      const arrays: { data: Float32Array; shape: number[] }[] = weightNames.map((wn, k) => {
        const ds = group.get(wn);
        if (!ds || !(ds instanceof h5.Dataset)) throw new Error(`${file}: dataset "${name}/${wn}" is missing`);
        const shape = ds.shape ?? [];
        const want = layer.weights[k].shape;
        if (shape.length !== want.length || shape.some((d, i) => d !== want[i])) {
          throw new Error(`${file}: shape mismatch for "${name}/${wn}": file [${shape.join(', ')}], model [${want.join(', ')}]`);
        }
        return { data: Float32Array.from(ds.value as ArrayLike<number>), shape };
      });
      if ((opts.input ?? 'normalized-rgb') === 'normalized-rgb' && name === (opts.inputLayer ?? 'block1_conv1') && arrays.length === 2) {
        const c = caffeKernelToNormalizedRgb(arrays[0].data, arrays[0].shape, arrays[1].data);
        arrays[0].data = c.kernel;
        arrays[1].data = c.bias;
      }
      const tensors = arrays.map((a) => tf.tensor(a.data, a.shape, 'float32'));
      try {
        layer.setWeights(tensors);
      } finally {
        tf.dispose(tensors);
      }
      loaded.push(name);
    }
  } finally {
    f.close();
  }
  return loaded;
}

/**
 * Writes layers in the same Keras layout (weights named `<layer>/kernel:0`, `<layer>/bias:0`):
 * export for Keras, and the fixture format for tests.
 */
export async function saveKerasH5Weights(file: string, layers: { name: string; weights: { data: Float32Array; shape: number[]; name?: string }[] }[]): Promise<void> {
  const h5 = await loadH5wasm();
  const f = new h5.File(file, 'w');
  try {
    f.create_attribute('layer_names', layers.map((l) => l.name));
    f.create_attribute('backend', 'tensorflow');
    f.create_attribute('keras_version', '2.15.0');
    for (const l of layers) {
      const g = f.create_group(l.name);
      const names = l.weights.map((w, k) => `${l.name}/${w.name ?? (k === 0 ? 'kernel:0' : 'bias:0')}`);
      // An empty list cannot be stored as an attribute; Keras files store an empty array too.
      if (names.length > 0) g.create_attribute('weight_names', names);
      else g.create_attribute('weight_names', new Float32Array(0), [0]);
      if (l.weights.length > 0) g.create_group(l.name);
      l.weights.forEach((w, k) => {
        g.create_dataset({ name: names[k], data: w.data, shape: w.shape, dtype: '<f' });
      });
    }
  } finally {
    f.close();
  }
}
