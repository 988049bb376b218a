/**
 * Builds the browser bundle: one ES module with tfjs, the networks, their layers, `predict` and the
 * map-to-box code (src/browser/index.ts). `npm run build:browser` writes dist/browser/where-to-look.mjs.
 */
import * as path from 'path';
import { build } from 'esbuild';

export const BROWSER_BUNDLE = 'where-to-look.mjs';

/** Bundles src/browser/index.ts into `outDir`; returns the bundle's path. */
export async function buildBrowserBundle(outDir: string, options: { minify?: boolean } = {}): Promise<string> {
  const outfile = path.join(outDir, BROWSER_BUNDLE);
  await build({
    entryPoints: [path.join(__dirname, 'index.ts')],
    bundle: true,
    format: 'esm',
    platform: 'browser',
    target: 'es2020',
    outfile,
    minify: options.minify ?? false,
    sourcemap: true,
    logLevel: 'warning',
  });
  return outfile;
}

if (require.main === module) {
  buildBrowserBundle(process.argv[2] ?? path.join(__dirname, '..', '..', 'dist', 'browser'), { minify: true }).then(
    (file) => process.stdout.write(`wrote ${file}\n`),
    (err) => {
      process.stderr.write(`${(err as Error).message}\n`);
      process.exitCode = 1;
    },
  );
}
