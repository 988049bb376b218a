/**
 * Opens a dataset from its spec:
 *   parts                              built-in synthetic data (no files)
 *   fashion-clutter                    Fashion-MNIST items on cluttered canvases
 *   folder:<metadata dir>,<image root> wsolevaluation's metadata format (any user's own data)
 *   cub:<CUB_200_2011 dir>             CUB-200-2011's official files
 */
import type { Dataset } from './dataset';
import { partsDataset } from './parts-dataset';

export interface OpenOptions {
  seed?: number;
  /** Skip undecodable images with a warning instead of failing. */
  skipBad?: boolean;
  onWarning?: (message: string) => void;
}

export interface DatasetLoader {
  name: string;
  description: string;
  open(arg: string, opts: OpenOptions): Promise<Dataset>;
}

const LOADERS: DatasetLoader[] = [
  {
    name: 'parts',
    description: 'built-in synthetic objects: a small class-specific part on a larger, weakly informative body (64 px, 8 classes)',
    open: async (_arg, opts) => partsDataset({ seed: opts.seed ?? 1 }),
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
