/**
 * Every weight file `wsol data` knows, each entry saying where it lives, whether it is there and how
 * `wsol data prepare` fetches and checks it. Adding one (another backbone's) is one entry here.
 */
import * as fs from 'fs';
import * as path from 'path';
import type { DataLocation } from '../data/datasets';
import { hasHdf5Signature, loadH5wasm } from './keras-weights';
import { fetchRemote, type PrepareOptions, type RemoteFile } from '../data/remote-file';

export interface WeightFileEntry {
  name: string;
  description: string;
  /** The `wsol data prepare` key of its download, for `--url` (a mirror). */
  download: string;
  locate(dataRoot: string): DataLocation;
  /** Fetches and checks it; returns a one-line summary. */
  prepare(opts: PrepareOptions): Promise<string>;
}

/** Official sources. The MD5s are the values Keras checks against. */
export const WEIGHT_DOWNLOADS: Record<string, RemoteFile> = {
  vgg16: {
    url: 'https://storage.googleapis.com/tensorflow/keras-applications/vgg16/vgg16_weights_tf_dim_ordering_tf_kernels_notop.h5',
    file: 'vgg16_weights_tf_dim_ordering_tf_kernels_notop.h5',
    md5: '6d6bbae143d832006294945121d1f1fc',
    approxBytes: 58.9e6,
  },
};

export const VGG16_CONV_LAYERS: { name: string; shape: [number, number, number, number] }[] = (() => {
  const widths = [[64, 64], [128, 128], [256, 256, 256], [512, 512, 512], [512, 512, 512]];
  const out: { name: string; shape: [number, number, number, number] }[] = [];
  let cin = 3;
  widths.forEach((block, b) =>
    block.forEach((w, i) => {
      out.push({ name: `block${b + 1}_conv${i + 1}`, shape: [3, 3, cin, w] });
      cin = w;
    }),
  );
  return out;
})();

export function vgg16WeightsPath(dataRoot: string): string {
  return path.join(dataRoot, 'weights', WEIGHT_DOWNLOADS.vgg16.file);
}

/** Checks that a Keras VGG16 notop file has the 13 conv layers with the right shapes. */
export async function verifyVgg16Weights(file: string): Promise<void> {
  if (!hasHdf5Signature(file)) throw new Error(`${file} is not an HDF5 file`);
  const h5 = await loadH5wasm();
  const f = new h5.File(file, 'r');
  try {
    const layerNames = new Set(f.keys());
    for (const { name, shape } of VGG16_CONV_LAYERS) {
      const group = layerNames.has(name) ? f.get(name) : null;
      if (!group || !(group instanceof h5.Group)) throw new Error(`${file}: no layer group "${name}"`);
      const names = group.attrs['weight_names']?.value as ArrayLike<string> | undefined;
      const kernel = names && names.length ? group.get(String(names[0])) : null;
      const got = kernel instanceof h5.Dataset ? kernel.shape ?? [] : [];
      if (got.join(',') !== shape.join(',')) throw new Error(`${file}: ${name} kernel is [${got.join(', ')}], expected [${shape.join(', ')}]`);
    }
  } finally {
    f.close();
  }
}

export const WEIGHT_FILES: WeightFileEntry[] = [
  {
    name: 'vgg16',
    description: `ImageNet VGG16 conv weights (Keras notop), about 59 MB, md5 ${WEIGHT_DOWNLOADS.vgg16.md5}`,
    download: 'vgg16',
    locate: (dataRoot) => ({ present: fs.existsSync(vgg16WeightsPath(dataRoot)), where: vgg16WeightsPath(dataRoot) }),
    prepare: async (opts) => {
      const file = await fetchRemote(WEIGHT_DOWNLOADS, 'vgg16', path.join(opts.dataRoot, 'weights'), opts);
      await verifyVgg16Weights(file);
      return `${file}: VGG16 notop weights, 13 conv layers verified`;
    },
  },
];
