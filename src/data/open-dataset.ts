/**
 * Opens a dataset from its spec:
 *   parts                              built-in synthetic data (no files)
 *   fashion-clutter                    Fashion-MNIST items on cluttered canvases
 *   cub | cub:<CUB_200_2011 dir>       CUB-200-2011's official files (default <dataRoot>/CUB_200_2011)
 *   folder:<metadata dir>,<image root> wsolevaluation's metadata format (any user's own data;
 *                                      ILSVRC through wsolevaluation's metadata/ILSVRC); a comma
 *                                      inside either path is written \,
 */
import * as path from 'path';
import type { Dataset, Split } from './dataset';
import { openCub } from './cub';
import { fashionClutterDataset } from './fashion-clutter';
import { partsDataset } from './parts-dataset';
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

export interface DatasetLoader {
  name: string;
  description: string;
  open(arg: string, opts: OpenOptions): Promise<Dataset>;
}

const generated = (opts: OpenOptions) => ({
  ...(opts.seed !== undefined ? { seed: opts.seed } : {}),
  ...(opts.imageSize !== undefined ? { imageSize: opts.imageSize } : {}),
  ...(opts.sizes ? { sizes: opts.sizes as Record<Split, number> } : {}),
});

const LOADERS: DatasetLoader[] = [
  {
    name: 'parts',
    description: 'built-in synthetic objects: a small class-specific part on a larger, weakly informative body (64 px, 8 classes)',
    open: async (_arg, opts) => partsDataset({ seed: 1, ...generated(opts) }),
  },
  {
    name: 'fashion-clutter',
    description: 'Fashion-MNIST items at random scale/position on 64 px cluttered canvases (10 classes, masks from the item pixels)',
    open: async (arg, opts) => fashionClutterDataset({ ...generated(opts), dataRoot: opts.dataRoot, ...(arg ? { dir: arg } : {}) }),
  },
  {
    name: 'cub',
    description: 'CUB-200-2011 from its official files (200 classes, boxes; masks with the segmentations archive)',
    open: async (arg, opts) =>
      openCub(arg || path.join(opts.dataRoot ?? 'data', 'CUB_200_2011'), {
        seed: opts.seed,
        skipBad: opts.skipBad,
        onWarning: opts.onWarning,
        valPerClass: opts.valPerClass,
        allowOutsideRoot: opts.allowOutsideRoot,
      }),
  },
  {
    name: 'folder',
    description: 'wsolevaluation metadata: folder:<metadata dir with train/ val/ test/>,<image root>',
    open: async (arg, opts) => {
      // The first comma not written "\," separates the folders; "\," is a comma inside a path.
      const comma = arg.search(/(?<!\\),/);
      if (!arg || comma < 0) throw new Error(`folder dataset needs "folder:<metadata dir>,<image root>", got "folder:${arg}"`);
      const unescape = (p: string) => p.replace(/\\,/g, ',');
      return openWsolFolder(unescape(arg.slice(0, comma)), unescape(arg.slice(comma + 1)), { skipBad: opts.skipBad, onWarning: opts.onWarning, allowOutsideRoot: opts.allowOutsideRoot });
    },
  },
];

export function registerDatasetLoader(loader: DatasetLoader): void {
  if (!LOADERS.some((l) => l.name === loader.name)) LOADERS.push(loader);
}

export function datasetLoaders(): readonly DatasetLoader[] {
  return LOADERS;
}

export async function openDataset(spec: string, opts: OpenOptions = {}): Promise<Dataset> {
  const colon = spec.indexOf(':');
  const name = colon >= 0 ? spec.slice(0, colon) : spec;
  const arg = colon >= 0 ? spec.slice(colon + 1) : '';
  const loader = LOADERS.find((l) => l.name === name);
  if (!loader) throw new Error(`unknown dataset "${spec}"; known: ${LOADERS.map((l) => l.name).join(', ')}`);
  return loader.open(arg, opts);
}
