/**
 * Every dataset by name, each entry saying all there is to know about it: how a spec names it, its
 * classes and split sizes, where its files live and whether they are there, how `wsol data prepare`
 * makes it ready, and how to open it. `openDataset`, `wsol data list`, `wsol data prepare` and the
 * CLI's help are read off this table: adding a dataset is one entry here and its loader file.
 *
 *   parts                              built-in synthetic data (no files)
 *   fashion-clutter                    Fashion-MNIST items on cluttered canvases
 *   cub | cub:<CUB_200_2011 dir>       CUB-200-2011's official files (default <dataRoot>/CUB_200_2011)
 *   folder:<metadata dir>,<image root> wsolevaluation's metadata format (any user's own data;
 *                                      ILSVRC through wsolevaluation's metadata/ILSVRC)
 */
import * as fs from 'fs';
import * as path from 'path';
import { openCub } from './cub';
import { SPLITS, type Dataset, type Split } from './dataset';
import { DEFAULT_FASHION_CLUTTER, FASHION_CLASS_NAMES, fashionClutterDataset, findFashionDir, SYSTEM_FASHION_DIR } from './fashion-clutter';
import { DEFAULT_PARTS, partsDataset } from './parts-dataset';
import { fetchRemote, type PrepareOptions, type RemoteFile } from './remote-file';
import { extractTar } from './tar-extract';
import { openWsolFolder } from './wsol-metadata';

export interface OpenOptions {
  seed?: number;
  /** Root of downloaded data (default `data`, relative to the working directory). */
  dataRoot?: string;
  /** Split sizes of the generated datasets (parts, fashion-clutter). */
  sizes?: Partial<Record<Split, number>>;
  /** Native image size of the generated datasets. */
  imageSize?: number;
  /** CUB: images per class moved from train to a val split. */
  valPerClass?: number;
  /** Skip missing or undecodable images with a warning instead of failing. */
  skipBad?: boolean;
  onWarning?: (message: string) => void;
  /** Let metadata name files outside the image root (`../x.jpg`); refused by default. */
  allowOutsideRoot?: boolean;
}

/** Where an entry's files are and whether they are there. */
export interface DataLocation {
  present: boolean;
  where: string;
}

export interface DatasetEntry {
  name: string;
  /** How a spec names it, e.g. `cub[:<CUB_200_2011 dir>]`. */
  spec: string;
  description: string;
  kind: 'generated' | 'download' | 'metadata';
  /** Number of classes (null: the metadata says). */
  classes: number | null;
  /** Split sizes in words. */
  sizes: string;
  /** Where its files live under `dataRoot`; absent when there is nothing to fetch (your own folder). */
  locate?(dataRoot: string): DataLocation;
  /** Generates, verifies or downloads it; returns a one-line summary. */
  prepare?(opts: PrepareOptions): Promise<string>;
  /** The `wsol data prepare` key of its one download, for `--url` (a mirror). */
  download?: string;
  open(arg: string, opts: OpenOptions): Promise<Dataset>;
}

/** Official sources. The MD5s are the values torchvision checks against. */
export const DATASET_FILES: Record<string, RemoteFile> = {
  cub: {
    url: 'https://data.caltech.edu/records/65de6-vp158/files/CUB_200_2011.tgz?download=1',
    file: 'CUB_200_2011.tgz',
    md5: '97eceeb196236b17998738112f37df78',
    approxBytes: 1.15e9,
  },
  'fashion-train-images': { url: 'https://raw.githubusercontent.com/zalandoresearch/fashion-mnist/master/data/fashion/train-images-idx3-ubyte.gz', file: 'train-images-idx3-ubyte.gz', md5: '8d4fb7e6c68d591d4c3dfef9ec88bf0d', approxBytes: 26.4e6 },
  'fashion-train-labels': { url: 'https://raw.githubusercontent.com/zalandoresearch/fashion-mnist/master/data/fashion/train-labels-idx1-ubyte.gz', file: 'train-labels-idx1-ubyte.gz', md5: '25c81989df183df01b3e8a0aad5dffbe', approxBytes: 29.5e3 },
  'fashion-test-images': { url: 'https://raw.githubusercontent.com/zalandoresearch/fashion-mnist/master/data/fashion/t10k-images-idx3-ubyte.gz', file: 't10k-images-idx3-ubyte.gz', md5: 'bef4ecab320f06d8554ea6380940ec79', approxBytes: 4.4e6 },
  'fashion-test-labels': { url: 'https://raw.githubusercontent.com/zalandoresearch/fashion-mnist/master/data/fashion/t10k-labels-idx1-ubyte.gz', file: 't10k-labels-idx1-ubyte.gz', md5: 'bb300cfdad3c16e7a12a480ee83cd310', approxBytes: 5.1e3 },
};

export function cubRoot(dataRoot: string): string {
  return path.join(dataRoot, 'CUB_200_2011');
}

function fashionCandidates(dataRoot: string): string[] {
  return [path.join(dataRoot, 'fashion-mnist'), SYSTEM_FASHION_DIR];
}

const generated = (opts: OpenOptions) => ({
  ...(opts.seed !== undefined ? { seed: opts.seed } : {}),
  ...(opts.imageSize !== undefined ? { imageSize: opts.imageSize } : {}),
  ...(opts.sizes ? { sizes: opts.sizes as Record<Split, number> } : {}),
});

const splitSizes = (s: Record<string, number>) => SPLITS.map((k) => `${k} ${s[k]}`).join(' / ');

function describe(ds: Dataset): string {
  return `${ds.name}: ${ds.classNames.length} classes, ${SPLITS.map((s) => `${s} ${ds.items(s).length}`).join(', ')}`;
}

/** Builds every split once (what `prepare` does for generated data: it proves the recipe runs). */
function generateAll(ds: Dataset, what: string, started: number): string {
  SPLITS.forEach((s) => ds.items(s));
  return `${describe(ds)} (${what}generated in ${((Date.now() - started) / 1000).toFixed(1)} s)`;
}

export const DATASETS: DatasetEntry[] = [
  {
    name: 'parts',
    spec: 'parts',
    description: 'built-in synthetic objects: a small class-specific part on a larger, weakly informative body',
    kind: 'generated',
    classes: DEFAULT_PARTS.numClasses,
    sizes: splitSizes(DEFAULT_PARTS.sizes),
    locate: () => ({ present: true, where: `(built in, generated from a seed; ${DEFAULT_PARTS.imageSize} px)` }),
    prepare: async () => generateAll(partsDataset(), '', Date.now()),
    open: async (_arg, opts) => partsDataset({ seed: 1, ...generated(opts) }),
  },
  {
    name: 'fashion-clutter',
    spec: 'fashion-clutter[:<IDX dir>]',
    description: `Fashion-MNIST items at random scale/position on ${DEFAULT_FASHION_CLUTTER.imageSize} px cluttered canvases (masks from the item pixels)`,
    kind: 'generated',
    classes: FASHION_CLASS_NAMES.length,
    sizes: splitSizes(DEFAULT_FASHION_CLUTTER.sizes),
    locate: (dataRoot) => {
      const dir = findFashionDir(fashionCandidates(dataRoot));
      return { present: dir !== null, where: dir ?? fashionCandidates(dataRoot)[0] };
    },
    prepare: async (opts) => {
      let dir = findFashionDir(fashionCandidates(opts.dataRoot));
      if (!dir) {
        dir = path.join(opts.dataRoot, 'fashion-mnist');
        opts.onLog?.(`Fashion-MNIST not found; downloading into ${dir}`);
        for (const key of ['fashion-train-images', 'fashion-train-labels', 'fashion-test-images', 'fashion-test-labels']) await fetchRemote(DATASET_FILES, key, dir, opts);
      } else opts.onLog?.(`Fashion-MNIST IDX files in ${dir}`);
      const started = Date.now();
      return generateAll(fashionClutterDataset({ dir }), 'IDX files verified, ', started);
    },
    open: async (arg, opts) => fashionClutterDataset({ ...generated(opts), dataRoot: opts.dataRoot, ...(arg ? { dir: arg } : {}) }),
  },
  {
    name: 'cub',
    spec: 'cub[:<CUB_200_2011 dir>]',
    description: `CUB-200-2011 from its official files (boxes; masks with the segmentations archive); CUB_200_2011.tgz, about 1.1 GB, md5 ${DATASET_FILES.cub.md5}`,
    kind: 'download',
    classes: 200,
    sizes: 'train 5994 / test 5794 (official split)',
    download: 'cub',
    locate: (dataRoot) => ({ present: fs.existsSync(path.join(cubRoot(dataRoot), 'images.txt')), where: cubRoot(dataRoot) }),
    prepare: async (opts) => {
      const root = cubRoot(opts.dataRoot);
      if (!fs.existsSync(path.join(root, 'images.txt'))) {
        const log = opts.onLog ?? (() => undefined);
        log(`downloading CUB-200-2011 (about 1.1 GB) into ${opts.dataRoot}; an interrupted download resumes`);
        const archive = await fetchRemote(DATASET_FILES, 'cub', opts.dataRoot, opts);
        log(`extracting ${archive}`);
        const r = await extractTar(archive, opts.dataRoot, { onProgress: (d, t) => opts.onProgress?.('extract', d, t), onWarning: log });
        log(`extracted ${r.files} files`);
        if (!opts.keepArchive) fs.rmSync(archive);
        if (!fs.existsSync(path.join(root, 'images.txt'))) throw new Error(`${archive} did not contain CUB_200_2011/images.txt`);
      }
      return describe(await openCub(root, {}));
    },
    open: async (arg, opts) =>
      openCub(arg || cubRoot(opts.dataRoot ?? 'data'), {
        seed: opts.seed,
        skipBad: opts.skipBad,
        onWarning: opts.onWarning,
        valPerClass: opts.valPerClass,
        allowOutsideRoot: opts.allowOutsideRoot,
      }),
  },
  {
    name: 'folder',
    spec: 'folder:<metadata dir>,<image root>',
    description: "any dataset in wsolevaluation's metadata format (train/ val/ test/ folders; see docs/data.md)",
    kind: 'metadata',
    classes: null,
    sizes: 'as the metadata lists',
    open: async (arg, opts) => {
      // The first comma not written "\," separates the folders; "\," is a comma inside a path.
      const comma = arg.search(/(?<!\\),/);
      if (!arg || comma < 0) throw new Error(`folder dataset needs "folder:<metadata dir>,<image root>", got "folder:${arg}"`);
      const unescape = (p: string) => p.replace(/\\,/g, ',');
      return openWsolFolder(unescape(arg.slice(0, comma)), unescape(arg.slice(comma + 1)), { skipBad: opts.skipBad, onWarning: opts.onWarning, allowOutsideRoot: opts.allowOutsideRoot });
    },
  },
];

/** Adds a dataset (a plug-in's); a name already taken is an error. */
export function registerDataset(entry: DatasetEntry): void {
  if (DATASETS.some((d) => d.name === entry.name)) throw new Error(`a dataset named "${entry.name}" is already registered`);
  DATASETS.push(entry);
}

/** The entry of `name`; an unknown name is an error that lists the known ones. */
export function datasetEntry(name: string): DatasetEntry {
  const e = DATASETS.find((d) => d.name === name);
  if (!e) throw new Error(`unknown dataset "${name}"; known: ${DATASETS.map((d) => d.name).join(', ')}`);
  return e;
}

/** The spec forms, as the CLI's help lists them: `parts | fashion-clutter[:<IDX dir>] | ...`. */
export function datasetSpecs(): string {
  return DATASETS.map((d) => d.spec).join(' | ');
}

export async function openDataset(spec: string, opts: OpenOptions = {}): Promise<Dataset> {
  const colon = spec.indexOf(':');
  const name = colon >= 0 ? spec.slice(0, colon) : spec;
  const arg = colon >= 0 ? spec.slice(colon + 1) : '';
  if (!DATASETS.some((d) => d.name === name)) throw new Error(`unknown dataset "${spec}"; known: ${DATASETS.map((d) => d.name).join(', ')}`);
  return datasetEntry(name).open(arg, opts);
}
