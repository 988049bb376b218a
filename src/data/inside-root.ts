import * as fs from 'fs';
import * as path from 'path';

/** The real path of `p` (links resolved); for a path that does not exist yet, that of its nearest existing parent. */
function realPath(p: string): string {
  try {
    return fs.realpathSync(p);
  } catch {
    const parent = path.dirname(p);
    return parent === p ? p : path.join(realPath(parent), path.basename(p));
  }
}

/**
 * `root/rel` as a path, refusing a `rel` that climbs out of `root` (`../x.jpg`, `a/../../x`), or
 * that is (or passes through) a symbolic link to a place outside it, unless `allowOutside`:
 * metadata files must not make the loader read arbitrary files.
 * `where` (e.g. `image_ids.txt:12`) starts the error.
 */
export function pathInside(root: string, rel: string, where: string, allowOutside = false): string {
  const joined = path.join(root, rel);
  if (allowOutside) return joined;
  const inside = (base: string, full: string) => full === base || full.startsWith(base + path.sep);
  if (!inside(path.resolve(root), path.resolve(joined))) {
    throw new Error(`${where}: "${rel}" lies outside the image root ${root} (allow such paths with --allow-outside-root)`);
  }
  const real = realPath(joined);
  if (!inside(realPath(root), real)) {
    throw new Error(`${where}: "${rel}" is a link to ${real}, outside the image root ${root} (allow such paths with --allow-outside-root)`);
  }
  return joined;
}
