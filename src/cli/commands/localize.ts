import * as fs from 'fs';
import * as path from 'path';
import sharp from 'sharp';
import * as tf from '@tensorflow/tfjs-core';
import { initBackend } from '../../backend/select';
import { writeFileAtomic, writeJsonAtomic } from '../../common/atomic-write';
import { IMAGENET_MEAN, IMAGENET_STD } from '../../data/image-ops';
import { largestRegionBox } from '../../localize/connected-regions';
import { normalizeScoreMap, resizeScoreMap } from '../../localize/score-map';
import { channelMap } from '../../train/evaluate';
import { loadRunModel } from '../../train/trainer';
import { overlayPng } from '../../viz/overlay';
import type { Command } from '../command';

export const localizeCommand: Command = {
  spec: {
    name: 'localize',
    summary: 'predict the class and box of images with a trained run; writes an overlay PNG per image',
    usage: 'wsol localize --run DIR IMAGE... --out DIR [--threshold T]',
    options: {
      run: { type: 'string', description: 'run directory written by wsol train' },
      out: { type: 'string', description: 'output directory', default: 'out/localize' },
      threshold: { type: 'number', description: 'CAM threshold for the box (default: the run\'s locThreshold)', min: 0 },
    },
    positionals: { name: 'image files', min: 1 },
  },
  async run(options, images) {
    if (!options.run) throw new Error('wsol localize needs --run DIR');
    await initBackend();
    const { model, config } = await loadRunModel(options.run as string);
    const size = config.train.imageSize;
    const threshold = (options.threshold as number | undefined) ?? config.train.locThreshold;
    if (threshold >= 1) throw new Error(`--threshold must be in [0, 1), got ${threshold}`);
    const outDir = options.out as string;
    fs.mkdirSync(outDir, { recursive: true });
    const results = [];
    for (const file of images) {
      if (!fs.existsSync(file)) throw new Error(`image not found: ${file}`);
      let rgb: Buffer;
      try {
        rgb = await sharp(file).removeAlpha().resize(size, size, { fit: 'fill' }).raw().toBuffer();
      } catch (err) {
        throw new Error(`cannot decode ${file}: ${(err as Error).message}`);
      }
      const pixels = new Float32Array(size * size * 3);
      for (let i = 0; i < pixels.length; i++) pixels[i] = (rgb[i] / 255 - IMAGENET_MEAN[i % 3]) / IMAGENET_STD[i % 3];
      const { scores, cams, shape } = tf.tidy(() => {
        const p = model.predict(tf.tensor4d(pixels, [1, size, size, 3]));
        return { scores: p.logits.dataSync().slice(), cams: p.cams.dataSync().slice() as Float32Array, shape: p.cams.shape };
      });
      const [, h, w, K] = shape;
      let cls = 0;
      for (let k = 1; k < K; k++) if (scores[k] > scores[cls]) cls = k;
      const map = normalizeScoreMap(resizeScoreMap(channelMap(cams, 0, h, w, K, cls), size, size));
      const box = largestRegionBox(map, threshold);
      const png = await overlayPng(new Uint8Array(rgb), size, size, map, { alpha: 0.5, predBoxes: [box] }, Math.max(1, Math.round(256 / size)));
      const name = path.basename(file).replace(/\.[^.]+$/, '');
      writeFileAtomic(path.join(outDir, `${name}-overlay.png`), png);
      results.push({ image: file, class: cls, className: config.classNames[cls] ?? String(cls), box, inputSize: size, threshold });
      process.stdout.write(`${file}: ${config.classNames[cls] ?? cls} box ${JSON.stringify(box)} (in ${size}x${size} input pixels)\n`);
    }
    writeJsonAtomic(path.join(outDir, 'localizations.json'), results);
    model.net.dispose();
    return 0;
  },
};
