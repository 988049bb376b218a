/**
 * The `--dataset` values of reproduce and report. Each value is one dataset spec and keeps its
 * commas (`folder:META,IMAGES`); a value without a colon may list built-in names,
 * comma-separated (`parts,fashion-clutter`). A comma inside a folder path is written `\,`.
 */
import { UsageError } from './args';

export function datasetSpecs(values: readonly string[], option = '--dataset'): string[] {
  const specs: string[] = [];
  for (const value of values) {
    const colon = value.indexOf(':');
    if (colon < 0) {
      specs.push(...value.split(',').map((s) => s.trim()).filter((s) => s.length > 0));
    } else if (value.slice(0, colon).includes(',')) {
      const first = value.slice(0, value.indexOf(','));
      throw new UsageError(`${option} "${value}": give a spec with a colon its own ${option} (e.g. ${option} ${first} ${option} ${value.slice(value.indexOf(',') + 1)})`);
    } else {
      specs.push(value);
    }
  }
  return checkedList(specs, option);
}

/** A list option's values: at least one, none twice. */
export function checkedList<T>(values: readonly T[], option: string): T[] {
  if (values.length === 0) throw new UsageError(`${option} is empty; give at least one value`);
  const twice = values.filter((v, i) => values.indexOf(v) !== i);
  if (twice.length > 0) throw new UsageError(`${option} lists ${[...new Set(twice)].map((v) => `"${String(v)}"`).join(', ')} more than once`);
  return [...values];
}
