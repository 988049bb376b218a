import * as path from 'path';

/**
 * `root/rel` as a path, refusing a `rel` that climbs out of `root` (`../x.jpg`, `a/../../x`)
 * unless `allowOutside`: metadata files must not make the loader read arbitrary files.
 * `where` (e.g. `image_ids.txt:12`) starts the error.
 */
export function pathInside(root: string, rel: string, where: string, allowOutside = false): string {
  const joined = path.join(root, rel);
  if (allowOutside) return joined;
  const base = path.resolve(root);
  const full = path.resolve(joined);
  if (full !== base && !full.startsWith(base + path.sep)) {
    throw new Error(`${where}: "${rel}" lies outside the image root ${root} (allow such paths with --allow-outside-root)`);
  }
  return joined;
}
