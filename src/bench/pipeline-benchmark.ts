/**
 * Throughput of the input pipeline (decode + augment + normalise + tensor), in images per second:
 *   224 px from JPEG files (CUB-like 500x375 images written to a temp folder, wsolevaluation metadata)
 *   64 px from the generated datasets (parts, fashion-clutter)
 * Run: node --import tsx src/bench/pipeline-benchmark.ts [--images N]
 */
import * as fs from 'fs';
import * as os from 'os';
import * as path from 'path';
import { initBackend } from '../backend/select';
import { batches } from '../data/batches';
import type { Dataset, Split } from '../data/dataset';
import { fashionClutterDataset } from '../data/fashion-clutter';
import { encodeImage } from '../data/image-io';
import { partsDataset } from '../data/parts-dataset';
import { openWsolFolder } from '../data/wsol-metadata';
import { parseScriptOptions } from './script-options';

export interface PipelineTiming {
  name: string;
  imageSize: number;
  images: number;
  seconds: number;
  imagesPerSecond: number;
}

/** Times one pass over `split` with training augmentation. */
export async function timePipeline(name: string, ds: Dataset, split: Split, imageSize: number, batchSize = 16): Promise<PipelineTiming> {
  const t = process.hrtime.bigint();
  let images = 0;
  for await (const b of batches(ds, split, { batchSize, imageSize, augment: true, shuffle: true, seed: 1, epoch: 0 })) {
    images += b.ids.length;
    b.images.dispose();
  }
  const seconds = Number(process.hrtime.bigint() - t) / 1e9;
  return { name, imageSize, images, seconds, imagesPerSecond: images / seconds };
}

/** Writes `n` 500x375 JPEGs (smooth colour fields with an object-like blob) and their metadata. */
export async function writeJpegFolder(dir: string, n: number): Promise<{ metadata: string; images: string }> {
  const images = path.join(dir, 'images');
  const metadata = path.join(dir, 'metadata', 'train');
  fs.mkdirSync(metadata, { recursive: true });
  const lines = { ids: [] as string[], labels: [] as string[], sizes: [] as string[], loc: [] as string[] };
  const w = 500;
  const h = 375;
  for (let i = 0; i < n; i++) {
    const data = new Uint8Array(w * h * 3);
    for (let y = 0; y < h; y++) {
      for (let x = 0; x < w; x++) {
        const inBlob = ((x - 250) / 150) ** 2 + ((y - 180) / 100) ** 2 < 1;
        data.set(inBlob ? [200, 80 + (i % 100), 60] : [(x * 255) / w, (y * 255) / h, (i * 37) % 256], (y * w + x) * 3);
      }
    }
    const id = `c${i % 10}/img_${i}.jpg`;
    fs.mkdirSync(path.join(images, `c${i % 10}`), { recursive: true });
    fs.writeFileSync(path.join(images, id), await encodeImage({ width: w, height: h, data }, 'jpeg', 90));
    lines.ids.push(id);
    lines.labels.push(`${id},${i % 10}`);
    lines.sizes.push(`${id},${w},${h}`);
    lines.loc.push(`${id},100,80,399,279`);
  }
  fs.writeFileSync(path.join(metadata, 'image_ids.txt'), lines.ids.join('\n') + '\n');
  fs.writeFileSync(path.join(metadata, 'class_labels.txt'), lines.labels.join('\n') + '\n');
  fs.writeFileSync(path.join(metadata, 'image_sizes.txt'), lines.sizes.join('\n') + '\n');
  fs.writeFileSync(path.join(metadata, 'localization.txt'), lines.loc.join('\n') + '\n');
  return { metadata: path.dirname(metadata), images };
}

async function runBenchmark(): Promise<void> {
  const n = parseScriptOptions({ images: { type: 'int', default: 256 } }, process.argv.slice(2)).images;
  await initBackend();
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'wsol-data-bench-'));
  try {
    const folder = await writeJpegFolder(dir, n);
    const results: PipelineTiming[] = [];
    results.push(await timePipeline('jpeg 500x375 -> 224 (sharp decode+resize)', await openWsolFolder(folder.metadata, folder.images), 'train', 224));
    const parts = partsDataset({ sizes: { train: 1600, val: 0, test: 0 } });
    parts.items('train');
    results.push(await timePipeline('parts 64 -> 64', parts, 'train', 64));
    try {
      const fashion = fashionClutterDataset({ sizes: { train: 1600, val: 0, test: 0 } });
      fashion.items('train');
      results.push(await timePipeline('fashion-clutter 64 -> 64', fashion, 'train', 64));
    } catch (err) {
      process.stdout.write(`fashion-clutter skipped: ${(err as Error).message}\n`);
    }
    for (const r of results) {
      process.stdout.write(`${r.name.padEnd(44)} ${r.images} images in ${r.seconds.toFixed(2)} s: ${r.imagesPerSecond.toFixed(0)} images/s\n`);
    }
  } finally {
    fs.rmSync(dir, { recursive: true, force: true });
  }
}

if (require.main === module) {
  runBenchmark().catch((err) => {
    process.stderr.write(`${(err as Error).stack}\n`);
    process.exitCode = 1;
  });
}
