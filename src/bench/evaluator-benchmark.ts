/**
 * Throughput of the evaluator: random smooth maps (a few Gaussian bumps plus noise, made at
 * 14x14 like a CAM and upsampled inside the evaluator) through LocalizationEvaluator at the
 * default step 0.01: MaxBoxAcc + MaxBoxAccV2 + classic metrics (no masks unless --masks).
 *
 *   node --import tsx src/bench/evaluator-benchmark.ts [--n 5000] [--size 224] [--cam 14]
 *        [--interpolation bicubic|bilinear] [--masks]
 */
import type { Box, ScoreMap } from '../common/box';
import { Rng } from '../common/rng';
import { LocalizationEvaluator } from '../localize/localization-evaluator';
import type { Interpolation } from '../localize/score-map';
import { parseScriptOptions } from './script-options';

const OPTIONS = {
  n: { type: 'int', default: 5000 },
  size: { type: 'int', default: 224 },
  cam: { type: 'int', default: 14 },
  interpolation: { type: 'choice', choices: ['bicubic', 'bilinear'], default: 'bicubic' },
  masks: { type: 'boolean' },
} as const;

/** A CAM-like map: 1-3 Gaussian bumps of random width plus a little noise. */
export function randomSmoothMap(rng: Rng, size: number): ScoreMap {
  const data = new Float32Array(size * size);
  const bumps = Array.from({ length: 1 + rng.int(3) }, () => ({
    x: rng.next() * size,
    y: rng.next() * size,
    s: size * (0.05 + 0.2 * rng.next()),
    a: 0.3 + rng.next(),
  }));
  for (let y = 0; y < size; y++) {
    for (let x = 0; x < size; x++) {
      let v = 0.05 * rng.next();
      for (const b of bumps) v += b.a * Math.exp(-((x - b.x) ** 2 + (y - b.y) ** 2) / (2 * b.s * b.s));
      data[y * size + x] = v;
    }
  }
  return { width: size, height: size, data };
}

function randomBox(rng: Rng, size: number): Box {
  const x0 = rng.int(size / 2);
  const y0 = rng.int(size / 2);
  return { x0, y0, x1: x0 + rng.int(size - x0), y1: y0 + rng.int(size - y0) };
}

function main(): void {
  const args = parseScriptOptions(OPTIONS, process.argv.slice(2));
  const rng = new Rng(2021);
  // Pre-generate the inputs so that only the evaluator is timed.
  const pool = Array.from({ length: Math.min(args.n, 200) }, () => ({
    map: randomSmoothMap(rng, args.cam),
    gtBoxes: [randomBox(rng, args.size)],
    mask: args.masks ? Uint8Array.from({ length: args.size * args.size }, () => (rng.next() < 0.3 ? 1 : 0)) : null,
  }));
  const evaluator = new LocalizationEvaluator({ interpolation: args.interpolation as Interpolation });
  const start = process.hrtime.bigint();
  const cpuStart = process.cpuUsage();
  for (let i = 0; i < args.n; i++) {
    const s = pool[i % pool.length];
    evaluator.accumulate({ map: s.map, imageWidth: args.size, imageHeight: args.size, gtBoxes: s.gtBoxes, gtRank: i % 7, mask: s.mask });
  }
  const metrics = evaluator.compute();
  const seconds = Number(process.hrtime.bigint() - start) / 1e9;
  const cpu = process.cpuUsage(cpuStart);
  const cpuSeconds = (cpu.user + cpu.system) / 1e6;
  console.log(
    `${args.n} maps ${args.cam}x${args.cam} -> ${args.size}x${args.size} (${args.interpolation}${args.masks ? ', masks' : ''}), ` +
      `${evaluator.thresholds.length} thresholds: ${seconds.toFixed(2)} s, ${(args.n / seconds).toFixed(1)} images/s ` +
      `(CPU time ${cpuSeconds.toFixed(2)} s: ${(args.n / cpuSeconds).toFixed(1)} images/s on one core)`,
  );
  console.log(`(MaxBoxAcc ${metrics.maxBoxAcc.toFixed(1)}, MaxBoxAccV2 ${metrics.maxBoxAccV2.toFixed(1)}, GT-known ${metrics.gtKnownLoc.toFixed(1)})`);
}

if (require.main === module) main();
