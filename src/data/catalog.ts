/**
 * What `wsol data list` shows and `wsol data prepare <name>` does: the built-in and downloadable
 * datasets and weight files, where they live under the data root, and whether they are present.
 */
import * as fs from 'fs';
import * as path from 'path';
import { SPLITS, type Dataset } from './dataset';
import { openCub } from './cub';
import { downloadFile } from './download';
import { DEFAULT_FASHION_CLUTTER, FASHION_FILES, fashionClutterDataset, findFashionDir, SYSTEM_FASHION_DIR } from './fashion-clutter';
import { hasHdf5Signature, loadH5wasm } from './keras-weights';
import { DEFAULT_PARTS, partsDataset } from './parts-dataset';
import { extractTar } from './tar-extract';

export interface RemoteFile {
  url: string;
  /** File name under its folder. */
  file: string;
  md5: string;
  /** Approximate size, for messages. */
  approxBytes: number;
}

/** Official sources. The MD5s are the values torchvision / Keras check against. */
export const REMOTE_FILES: Record<string, RemoteFile> = {
  cub: {
    url: 'https://data.caltech.edu/records/65de6-vp158/files/CUB_200_2011.tgz?download=1',
    file: 'CUB_200_2011.tgz',
    md5: '97eceeb196236b17998738112f37df78',
    approxBytes: 1.15e9,
  },
  vgg16: {
    url: 'https://storage.googleapis.com/tensorflow/keras-applications/vgg16/vgg16_weights_tf_dim_ordering_tf_kernels_notop.h5',
    file: 'vgg16_weights_tf_dim_ordering_tf_kernels_notop.h5',
    md5: '6d6bbae143d832006294945121d1f1fc',
    approxBytes: 58.9e6,
  },
  'fashion-train-images': { url: 'https://raw.githubusercontent.com/zalandoresearch/fashion-mnist/master/data/fashion/train-images-idx3-ubyte.gz', file: 'train-images-idx3-ubyte.gz', md5: '8d4fb7e6c68d591d4c3dfef9ec88bf0d', approxBytes: 26.4e6 },
  'fashion-train-labels': { url: 'https://raw.githubusercontent.com/zalandoresearch/fashion-mnist/master/data/fashion/train-labels-idx1-ubyte.gz', file: 'train-labels-idx1-ubyte.gz', md5: '25c81989df183df01b3e8a0aad5dffbe', approxBytes: 29.5e3 },
  'fashion-test-images': { url: 'https://raw.githubusercontent.com/zalandoresearch/fashion-mnist/master/data/fashion/t10k-images-idx3-ubyte.gz', file: 't10k-images-idx3-ubyte.gz', md5: 'bef4ecab320f06d8554ea6380940ec79', approxBytes: 4.4e6 },
  'fashion-test-labels': { url: 'https://raw.githubusercontent.com/zalandoresearch/fashion-mnist/master/data/fashion/t10k-labels-idx1-ubyte.gz', file: 't10k-labels-idx1-ubyte.gz', md5: 'bb300cfdad3c16e7a12a480ee83cd310', approxBytes: 5.1e3 },
};

/** The 13 convolution layers of VGG16, with their kernel shapes. */
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

export interface CatalogEntry {
  name: string;
  kind: 'generated' | 'download' | 'weights';
  classes: number;
  /** Split sizes, or a description for weights. */
  sizes: string;
  present: boolean;
  where: string;
  note: string;
}

export interface CatalogOptions {
  dataRoot: string;
}

export function vgg16WeightsPath(dataRoot: string): string {
  return path.join(dataRoot, 'weights', REMOTE_FILES.vgg16.file);
}

export function cubRoot(dataRoot: string): string {
  return path.join(dataRoot, 'CUB_200_2011');
}

function fashionCandidates(dataRoot: string): string[] {
  return [path.join(dataRoot, 'fashion-mnist'), SYSTEM_FASHION_DIR];
}

export function listCatalog(opts: CatalogOptions): CatalogEntry[] {
  const fashionDir = findFashionDir(fashionCandidates(opts.dataRoot));
  const cub = cubRoot(opts.dataRoot);
  const fmt = (s: Record<string, number>) => SPLITS.map((k) => `${k} ${s[k]}`).join(' / ');
  return [
    { name: 'parts', kind: 'generated', classes: DEFAULT_PARTS.numClasses, sizes: fmt(DEFAULT_PARTS.sizes), present: true, where: '(built in, generated from a seed)', note: `${DEFAULT_PARTS.imageSize} px` },
    {
      name: 'fashion-clutter',
      kind: 'generated',
      classes: 10,
      sizes: fmt(DEFAULT_FASHION_CLUTTER.sizes),
      present: fashionDir !== null,
      where: fashionDir ?? fashionCandidates(opts.dataRoot)[0],
      note: `${DEFAULT_FASHION_CLUTTER.imageSize} px canvases from Fashion-MNIST IDX files`,
    },
    {
      name: 'cub',
      kind: 'download',
      classes: 200,
      sizes: 'train 5994 / test 5794 (official split)',
      present: fs.existsSync(path.join(cub, 'images.txt')),
      where: cub,
      note: `CUB_200_2011.tgz, about 1.1 GB, md5 ${REMOTE_FILES.cub.md5}`,
    },
    {
      name: 'vgg16',
      kind: 'weights',
      classes: 0,
      sizes: 'ImageNet VGG16 conv weights (Keras notop)',
      present: fs.existsSync(vgg16WeightsPath(opts.dataRoot)),
      where: vgg16WeightsPath(opts.dataRoot),
      note: `about 59 MB, md5 ${REMOTE_FILES.vgg16.md5}`,
    },
  ];
}

export interface PrepareOptions extends CatalogOptions {
  /** Replace the official URL of a remote file (mirrors, tests): key -> URL. */
  urls?: Record<string, string>;
  /** Replace an expected MD5 (tests with fixture archives): key -> md5. */
  md5s?: Record<string, string>;
  /** Keep the downloaded archive after extraction. */
  keepArchive?: boolean;
  onLog?: (message: string) => void;
  onProgress?: (label: string, done: number, total: number | null) => void;
}

function remote(key: string, opts: PrepareOptions): RemoteFile {
  const r = REMOTE_FILES[key];
  return { ...r, url: opts.urls?.[key] ?? r.url, md5: opts.md5s?.[key] ?? r.md5 };
}

async function fetchRemote(key: string, dir: string, opts: PrepareOptions): Promise<string> {
  const r = remote(key, opts);
  const dest = path.join(dir, r.file);
  const res = await downloadFile({ url: r.url, dest, md5: r.md5, onProgress: (d, t) => opts.onProgress?.(r.file, d, t) });
  opts.onLog?.(
    res.alreadyPresent
      ? `${dest}: present, md5 ${res.md5} ok`
      : `${dest}: downloaded ${res.bytes} bytes${res.resumedFrom ? ` (resumed at ${res.resumedFrom})` : ''}, md5 ${res.md5} ok`,
  );
  return dest;
}

function describe(ds: Dataset): string {
  return `${ds.name}: ${ds.classNames.length} classes, ${SPLITS.map((s) => `${s} ${ds.items(s).length}`).join(', ')}`;
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

/** Generates, verifies or downloads one catalog entry; returns a one-line summary. */
export async function prepareEntry(name: string, opts: PrepareOptions): Promise<string> {
  const log = opts.onLog ?? (() => undefined);
  switch (name) {
    case 'parts': {
      const t = Date.now();
      const ds = partsDataset();
      SPLITS.forEach((s) => ds.items(s));
      return `${describe(ds)} (generated in ${((Date.now() - t) / 1000).toFixed(1)} s)`;
    }
    case 'fashion-clutter': {
      let dir = findFashionDir(fashionCandidates(opts.dataRoot));
      if (!dir) {
        dir = path.join(opts.dataRoot, 'fashion-mnist');
        log(`Fashion-MNIST not found; downloading into ${dir}`);
        for (const key of ['fashion-train-images', 'fashion-train-labels', 'fashion-test-images', 'fashion-test-labels']) await fetchRemote(key, dir, opts);
      } else log(`Fashion-MNIST IDX files in ${dir}`);
      const t = Date.now();
      const ds = fashionClutterDataset({ dir });
      SPLITS.forEach((s) => ds.items(s));
      return `${describe(ds)} (IDX files verified, generated in ${((Date.now() - t) / 1000).toFixed(1)} s)`;
    }
    case 'cub': {
      const root = cubRoot(opts.dataRoot);
      if (!fs.existsSync(path.join(root, 'images.txt'))) {
        log(`downloading CUB-200-2011 (about 1.1 GB) into ${opts.dataRoot}; an interrupted download resumes`);
        const archive = await fetchRemote('cub', opts.dataRoot, opts);
        log(`extracting ${archive}`);
        const r = await extractTar(archive, opts.dataRoot, { onProgress: (d, t) => opts.onProgress?.('extract', d, t), onWarning: log });
        log(`extracted ${r.files} files`);
        if (!opts.keepArchive) fs.rmSync(archive);
        if (!fs.existsSync(path.join(root, 'images.txt'))) throw new Error(`${archive} did not contain CUB_200_2011/images.txt`);
      }
      const ds = await openCub(root, {});
      return describe(ds);
    }
    case 'vgg16': {
      const file = await fetchRemote('vgg16', path.join(opts.dataRoot, 'weights'), opts);
      await verifyVgg16Weights(file);
      return `${file}: VGG16 notop weights, 13 conv layers verified`;
    }
    default:
      throw new Error(`unknown data entry "${name}"; known: ${listCatalog(opts).map((e) => e.name).join(', ')}`);
  }
}
