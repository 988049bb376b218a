/** A Dataset over samples rendered in memory (parts, fashion-clutter): each split on first use. */
import type { Box } from '../common/box';
import type { Dataset, DatasetItem, RgbImage, Split } from './dataset';

export interface GeneratedSample {
  image: RgbImage;
  mask: Uint8Array;
  box: Box;
  label: number;
}

export interface GeneratedDatasetSpec<S extends GeneratedSample> {
  name: string;
  classNames: string[];
  imageSize: number;
  sizes: Record<Split, number>;
  render(split: Split, index: number): S;
}

export function generatedDataset<S extends GeneratedSample>(spec: GeneratedDatasetSpec<S>): Dataset {
  const cache = new Map<string, S>();
  const items = new Map<Split, DatasetItem[]>();
  const splitItems = (split: Split): DatasetItem[] => {
    let list = items.get(split);
    if (!list) {
      list = [];
      for (let i = 0; i < spec.sizes[split]; i++) {
        const s = spec.render(split, i);
        const id = `${split}/${String(i).padStart(5, '0')}`;
        cache.set(id, s);
        list.push({ id, label: s.label, width: spec.imageSize, height: spec.imageSize, boxes: [s.box], hasMask: true });
      }
      items.set(split, list);
    }
    return list;
  };
  const sample = (item: DatasetItem): S => {
    const s = cache.get(item.id);
    if (!s) throw new Error(`${spec.name}: unknown item id "${item.id}"`);
    return s;
  };
  return {
    name: spec.name,
    classNames: spec.classNames,
    hasMasks: true,
    items: splitItems,
    loadImage: async (item) => sample(item).image,
    loadMask: async (item) => sample(item).mask,
  };
}
