import * as fs from 'fs';
import * as path from 'path';
import * as tf from '@tensorflow/tfjs-core';
import { initBackend } from '../../backend/select';
import type { Box } from '../../common/box';
import { openOutputFolder, type OutputFolder } from '../../common/output-folder';
import { normalizePixels } from '../../data/batches';
import { decodeImageFile } from '../../data/image-io';
import { largestRegionBox } from '../../localize/connected-regions';
import { normalizeScoreMap, resizeScoreMap } from '../../localize/score-map';
import { channelMap } from '../../evaluate/evaluate';
import type { WsolModel } from '../../method/wsol-model';
import { loadRunModel, type SavedRunConfig } from '../../train/run-folder';
import { overlayPng } from '../../viz/overlay';
import type { Command } from '../command';

/** `<file name>-overlay.png` per image, with `-2`, `-3`... when two inputs share a name (a/x.png, b/x.png). */
export function overlayNames(files: string[]): string[] {
  const used = new Set<string>();
  return files.map((file) => {
    const base = path.basename(file);
    let name = `${base}-overlay.png`;
    for (let k = 2; used.has(name); k++) name = `${base}-${k}-overlay.png`;
    used.add(name);
    return name;
  });
}

/** One image's result, as localizations.json lists it. */
export interface Localization {
  image: string;
  overlay: string;
  class: number;
  className: string;
  /** In input pixels (inputSize x inputSize). */
  box: Box;
  inputSize: number;
  threshold: number;
}

export const LOCALIZATIONS_FILE = 'localizations.json';

/** Class, box and overlay of each image; overlays are written into `out` as they are made. */
async function localizeImages(
  model: WsolModel,
  config: SavedRunConfig,
  images: string[],
  names: string[],
  threshold: number,
  out: OutputFolder,
): Promise<Localization[]> {
  const size = config.train.imageSize;
  const results: Localization[] = [];
  for (const [i, file] of images.entries()) {
    // The same decoding and resizing as the dataset pipeline's evaluation batches.
    const rgb = await decodeImageFile(file, { resize: { width: size, height: size } });
    const { scores, cams, shape } = tf.tidy(() => {
      const p = model.predict(tf.tensor4d(normalizePixels(rgb.data), [1, size, size, 3]));
      return { scores: p.logits.dataSync().slice(), cams: p.cams.dataSync().slice() as Float32Array, shape: p.cams.shape };
    });
    const [, h, w, K] = shape;
    let cls = 0;
    for (let k = 1; k < K; k++) if (scores[k] > scores[cls]) cls = k;
    const map = normalizeScoreMap(resizeScoreMap(channelMap(cams, 0, h, w, K, cls), size, size));
    const box = largestRegionBox(map, threshold);
    const png = await overlayPng(rgb.data, size, size, map, { alpha: 0.5, predBoxes: [box] }, Math.max(1, Math.round(256 / size)));
    out.writeFile(names[i], png);
    results.push({ image: file, overlay: names[i], class: cls, className: config.classNames[cls] ?? String(cls), box, inputSize: size, threshold });
    process.stdout.write(`${file}: ${config.classNames[cls] ?? cls} box ${JSON.stringify(box)} (in ${size}x${size} input pixels) -> ${names[i]}\n`);
  }
  return results;
}

export const localizeCommand: Command = {
  spec: {
    name: 'localize',
    summary: 'predict the class and box of images with a trained run; writes an overlay PNG per image',
    usage: 'wsol localize --run DIR IMAGE... --out DIR [--threshold T] [--overwrite]',
    options: {
      run: { type: 'string', description: 'run directory written by wsol train' },
      out: { type: 'string', description: 'output directory: new, empty, or holding the output of this same call', default: 'out/localize' },
      overwrite: { type: 'boolean', description: 'write into an --out that holds other files (same-named files are replaced, the output of an earlier call removed, other files kept)' },
      threshold: { type: 'number', description: 'CAM threshold for the box (default: the run\'s locThreshold)', min: 0 },
    },
    positionals: { name: 'image files', min: 1 },
  },
  async run(options, images) {
    if (!options.run) throw new Error('wsol localize needs --run DIR');
    for (const file of images) if (!fs.existsSync(file)) throw new Error(`image not found: ${file}`);
    const threshold = options.threshold as number | undefined;
    if (threshold !== undefined && threshold >= 1) throw new Error(`--threshold must be in [0, 1), got ${threshold}`);
    const names = overlayNames(images);
    const out = openOutputFolder(options.out as string, {
      command: 'wsol localize',
      settings: { run: path.resolve(options.run as string), images: images.map((f) => path.resolve(f)), threshold: threshold ?? null },
      overwrite: options.overwrite === true,
      optionName: '--out',
    });
    try {
      out.plan([...names, LOCALIZATIONS_FILE]);
      await initBackend();
      const { model, config } = await loadRunModel(options.run as string);
      try {
        const results = await localizeImages(model, config, images, names, threshold ?? config.train.locThreshold, out);
        out.writeJson(LOCALIZATIONS_FILE, results);
      } finally {
        model.net.dispose();
      }
      out.finish();
    } finally {
      out.close();
    }
    return 0;
  },
};
