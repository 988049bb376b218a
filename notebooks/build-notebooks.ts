/**
 * Writes the tutorial notebooks (.ipynb, tslab TypeScript kernel) from the cell lists below.
 * Run: npx tsx notebooks/build-notebooks.ts   (the .ipynb files are committed without outputs)
 */
import * as fs from 'fs';
import * as path from 'path';

type Cell = { md: string } | { code: string };

const SETUP = `import * as wsol from 'where-to-look';
// Quick mode (WSOL_QUICK=1) shrinks every run so the notebook executes in seconds, for tests.
const QUICK = process.env.WSOL_QUICK === '1';
const info = await wsol.initBackend();
console.log(\`backend: \${info.choice}\${QUICK ? ' (quick mode)' : ''}\`);`;

const PROBE_PNG = `// Helper: a normalised image tensor [1, S, S, 3] -> PNG with an optional heatmap overlay.
async function pngOf(image: wsol.tf.Tensor4D, map?: number[], mapSize?: number, boxes: wsol.Box[] = []): Promise<Uint8Array> {
  const size = image.shape[1];
  const rgb = await wsol.denormalize(image);
  const m = map ? { width: mapSize!, height: mapSize!, data: Float32Array.from(map) } : { width: 1, height: 1, data: new Float32Array(1) };
  return wsol.overlayPng(rgb, size, size, m, { alpha: map ? 0.5 : 0, gtBoxes: boxes }, 4);
}`;

const NOTEBOOKS: Record<string, Cell[]> = {
  '00-setup-check': [
    { md: `# 0. Setup check

This notebook checks that the TypeScript kernel (tslab), the \`where-to-look\` package (built into \`dist/\` by \`npm run notebooks:setup\`) and inline figures work. Three things should appear below: which tfjs engine was chosen and why, an interactive plotly chart, and a heatmap overlay image.

The engine order is tfjs-node-gpu $\\to$ tfjs-node $\\to$ WebAssembly (with this project's training kernels) $\\to$ plain JavaScript; \`WSOL_BACKEND\` forces one.` },
    { code: SETUP },
    { code: `const bi = wsol.backendInfo()!;
wsol.showFigure(wsol.figures.resultsTable(bi.attempts.map((a) => ({ engine: a.choice, used: a.ok ? 'yes' : 'no', reason: a.reason }))));
console.log(\`tfjs backend: \${bi.tfBackend}, wasm SIMD: \${bi.wasmSimd}, versions: \${JSON.stringify(bi.versions)}\`);` },
    { md: 'An interactive chart (plotly.js is embedded from the installed `plotly.js-dist` package, so this works offline and in the HTML export):' },
    { code: `const xs = Array.from({ length: 101 }, (_, i) => i / 100);
wsol.showFigure({ data: [
  { type: 'scatter', mode: 'lines', name: 'sin(2πx)', x: xs, y: xs.map((x) => Math.sin(2 * Math.PI * x)) },
  { type: 'scatter', mode: 'lines', name: 'x²', x: xs, y: xs.map((x) => x * x) },
], layout: { title: { text: 'plotly works offline' }, height: 300 } });` },
    { md: 'A synthetic 7×7 "CAM" upsampled onto a grey image with the jet colormap, the ground-truth box in green and a predicted box in red:' },
    { code: `const cam = { width: 7, height: 7, data: Float32Array.from({ length: 49 }, (_, p) => Math.exp(-(((p % 7) - 4) ** 2 + (Math.floor(p / 7) - 3) ** 2) / 3)) };
const grey = new Uint8Array(96 * 96 * 3).fill(160);
wsol.showPng(await wsol.overlayPng(grey, 96, 96, cam, { alpha: 0.6, gtBoxes: [{ x0: 30, y0: 20, x1: 85, y1: 70 }], predBoxes: [{ x0: 45, y0: 28, x1: 80, y1: 62 }] }, 2));` },
  ],
  '01-the-problem': [
    { md: `# 1. The problem: CAM finds only the most discriminative part

A classifier trained with image-level labels needs only *one* piece of evidence per class. Class activation mapping (CAM) reads the last layer of a fully convolutional classifier as a map over positions,
$$S^c(i,j)=\\sum_k w^c_k\\,F_k(i,j),\\qquad \\text{logit}_c=\\frac{1}{hw}\\sum_{i,j}S^c(i,j),$$
and the box is drawn around the region where the normalised $S^y$ exceeds a threshold.

The built-in **parts** dataset makes the failure visible: every object is a large striped body (whose colour only loosely depends on the class) carrying a small glyph (which identifies the class exactly). The ground-truth box covers the whole object.` },
    { code: SETUP },
    { code: `${PROBE_PNG}
const ds = wsol.partsDataset({ sizes: { train: QUICK ? 160 : 1600, val: QUICK ? 32 : 200, test: 0 } });
const first = await wsol.batches(ds, 'val', { batchSize: 4, imageSize: 64, augment: false, shuffle: false, seed: 0, epoch: 0 }).next();
const b = first.value!;
for (let i = 0; i < 4; i++) {
  const one = wsol.tf.tidy(() => wsol.tf.slice(b.images, [i, 0, 0, 0], [1, -1, -1, -1])) as wsol.tf.Tensor4D;
  wsol.showPng(await pngOf(one, undefined, undefined, b.boxes[i]));
  console.log(ds.classNames[b.labels[i]]);
  one.dispose();
}
b.images.dispose();` },
    { md: 'Now train plain CAM for a short while and look at its maps. The green box is the ground truth.' },
    { code: `const run = await wsol.train({ method: 'cam', epochs: QUICK ? 1 : 3, limit: QUICK ? 64 : 0, evalLimit: QUICK ? 32 : 200, probes: 4 },
  { outDir: \`out/notebook-runs/01-cam-\${Date.now()}\`, dataset: ds, callbacks: { onEpoch: (r) => console.log(\`epoch \${r.epoch}: val Top-1 Cls \${r.valTop1Cls.toFixed(1)}%, GT-known Loc \${r.valGtKnownLoc.toFixed(1)}%\`) } });
const snaps = JSON.parse(require('fs').readFileSync(run.outDir + '/snapshots.json', 'utf8')) as wsol.SnapshotFile;
const last = snaps.snapshots[snaps.snapshots.length - 1];
wsol.showFigure(wsol.figures.attentionEvolution(snaps, 0));` },
    { md: 'Trained long enough, CAM fires on the glyph: its thresholded region, and so its box, is much smaller than the object. The next notebooks build the paper\'s remedy step by step.' },
  ],
  '02-complementary-dropout': [
    { md: `# 2. Complementary regional dropout

Hide-and-Seek hides random grid cells and throws the hidden information away. The paper instead makes **two** images from one input, hiding complementary regions:
$$x_A = M\\odot x + (1-M)\\,\\mu,\\qquad x_B=(1-M)\\odot x + M\\,\\mu,$$
where $M\\in\\{0,1\\}^{H\\times W}$ is a per-image grid of Bernoulli($p$) cells of side $s$ (drawn from a small set) upsampled to pixels, and $\\mu$ is the fill value (the dataset mean, which is 0 after normalisation). Every pixel is visible in exactly one of the two images, so nothing is lost: with $\\mu=0$, $x_A+x_B=x$. The cell sizes and $p$ are *our* defaults (HaS's 16/32/44/56 px at 224 px, $p=0.5$).` },
    { code: SETUP },
    { md: 'One validation image of the built-in **parts** dataset, then its two complementary views $x_A$ and $x_B$ (grey = the fill value).' },
    { code: `${PROBE_PNG}
const ds = wsol.partsDataset({ sizes: { train: 8, val: 8, test: 0 } });
const b = (await wsol.batches(ds, 'val', { batchSize: 2, imageSize: 64, augment: false, shuffle: false, seed: 0, epoch: 0 }).next()).value!;
const pair = wsol.applyComplementaryDropout(b.images, wsol.DEFAULT_DROPOUT, 1, 0);
const views: Uint8Array[] = [];
for (const t of [b.images, pair.imageA, pair.imageB]) {
  const one = wsol.tf.tidy(() => wsol.tf.slice(t, [0, 0, 0, 0], [1, -1, -1, -1])) as wsol.tf.Tensor4D;
  views.push(await pngOf(one));
  one.dispose();
}
wsol.showPng(await wsol.imageRow(views));
console.log('x  |  x_A  |  x_B');` },
    { md: 'The keep-masks of A and B are exact complements. They are drawn again at every training step, seeded by (run seed, step, image index), so a run is reproducible and can be resumed mid-epoch.' },
    { code: `const masks = wsol.complementaryMasks(2, 64, wsol.DEFAULT_DROPOUT, 1, 0);
const first = Array.from(masks.subarray(0, 64 * 64));
wsol.showFigure(wsol.figures.complementaryMasksFigure(first, 64, 64));
const sameAsUsed = wsol.tf.tidy(() => wsol.tf.max(wsol.tf.abs(wsol.tf.sub(wsol.tf.tensor4d(masks, [2, 64, 64, 1]), pair.maskA))).dataSync()[0]);
const lost = wsol.tf.tidy(() => wsol.tf.max(wsol.tf.abs(wsol.tf.sub(wsol.tf.add(pair.imageA, pair.imageB), b.images))).dataSync()[0]);
console.log('max |M(recomputed) - M(used)| =', sameAsUsed);
console.log('max |x_A + x_B - x| =', lost, '(mu = 0: no pixel is lost)');
wsol.tf.dispose([b.images, pair.imageA, pair.imageB, pair.maskA]);` },
    { md: `## Coverage over training

A single draw hides about half of the image from each branch, but over $T$ steps every region is shown to branch A in about a fraction $p$ of them:
$$\\bar M(i,j)=\\frac1T\\sum_{t=1}^{T} M_t(i,j)\\;\\approx\\;p .$$
So neither branch can rely on one fixed discriminative part being visible: each must also learn the others. The heatmap shows $\\bar M$; the histogram shows how much of each single draw A sees.` },
    { code: `const T = QUICK ? 60 : 600;
const size = 64;
const sum = new Float64Array(size * size);
const perStep: number[] = [];
for (let step = 0; step < T; step++) {
  const m = wsol.complementaryMasks(1, size, wsol.DEFAULT_DROPOUT, 1, step);
  let visible = 0;
  for (let p = 0; p < m.length; p++) { sum[p] += m[p]; visible += m[p]; }
  perStep.push(visible / m.length);
}
const mean = Array.from(sum, (v) => v / T);
wsol.showFigure({
  data: [
    { type: 'heatmap', z: Array.from({ length: size }, (_, y) => mean.slice(y * size, (y + 1) * size)), zmin: 0, zmax: 1, colorscale: 'Jet', xaxis: 'x', yaxis: 'y', colorbar: { x: 0.4, thickness: 12 } },
    { type: 'histogram', x: perStep, xbins: { start: 0, end: 1, size: 0.05 }, xaxis: 'x2', yaxis: 'y2', name: 'per draw' },
  ],
  layout: {
    title: { text: \`Visible in image A: per pixel over \${T} steps (left), per draw (right)\` },
    grid: { rows: 1, columns: 2, pattern: 'independent', xgap: 0.3 },
    yaxis: { autorange: 'reversed', scaleanchor: 'x', constrain: 'domain', showticklabels: false },
    xaxis: { constrain: 'domain', showticklabels: false },
    xaxis2: { title: { text: 'fraction of the image visible in A' }, range: [0, 1] },
    yaxis2: { title: { text: 'draws' } },
    height: 360, showlegend: false,
  },
});
const overall = mean.reduce((a, v) => a + v, 0) / mean.length;
console.log(\`mean visible fraction \${overall.toFixed(3)} (p = \${wsol.DEFAULT_DROPOUT.keepProbability}); per-pixel range \${Math.min(...mean).toFixed(2)}..\${Math.max(...mean).toFixed(2)}\`);` },
  ],
  '03-caam-ssam': [
    { md: `# 3. Two attention modules: CAAM and SSAM

**CAAM** (channel-wise assisted attention) looks at both branches at once. With $z=[\\mathrm{GAP}(F_A);\\mathrm{GAP}(F_B)]\\in\\mathbb{R}^{2C}$,
$$u=\\mathrm{ReLU}(W_1 z+b_1),\\quad a_A=\\sigma(W_A u+b_A),\\quad a_B=\\sigma(W_B u+b_B),\\quad F'_A=a_A\\odot F_A,\\ F'_B=a_B\\odot F_B.$$
So the channel weights of branch A depend on what branch B sees (the "assistance").

**SSAM** (spatial self-attention) lets each position gather features from all others:
$$A=\\mathrm{softmax}\\!\\Big(\\frac{QK^\\top}{\\sqrt{C/8}}\\Big),\\qquad G=\\gamma\\,(AV)+F',$$
with $\\gamma=0$ at the start, so the module begins as the identity. The exact equations are our reconstruction (the paper's are not available to us).` },
    { code: SETUP },
    { code: `const caam = new wsol.ChannelAssistedAttention({ reduction: 4 });
const fa = wsol.tf.randomNormal([1, 8, 8, 16]) as wsol.tf.Tensor4D;
const fb = wsol.tf.randomNormal([1, 8, 8, 16]) as wsol.tf.Tensor4D;
caam.apply([fa, fb]);
const [a1] = caam.channelWeights(fa, fb);
const fb2 = wsol.tf.mul(fb, 4) as wsol.tf.Tensor4D;
const [a2] = caam.channelWeights(fa, fb2);
wsol.showFigure({ data: [
  { type: 'bar', name: 'a_A with F_B', y: Array.from(a1.dataSync()) },
  { type: 'bar', name: 'a_A with 4 x F_B', y: Array.from(a2.dataSync()) },
], layout: { title: { text: 'CAAM: branch A\\'s channel weights depend on branch B' }, height: 320, yaxis: { range: [0, 1] } } });` },
    { code: `const ssam = new wsol.SpatialSelfAttention({ queryReduction: 8 });
const out = ssam.apply(fa) as wsol.tf.Tensor;
const same = wsol.tf.tidy(() => wsol.tf.max(wsol.tf.abs(wsol.tf.sub(out, fa))).dataSync()[0]);
console.log('gamma =', ssam.gammaValue(), '; max |SSAM(F) - F| =', same);
const att = ssam.attention(fa);
const row = Array.from(wsol.tf.slice(att, [0, 27, 0], [1, 1, 64]).dataSync());
console.log('attention row sums to', row.reduce((a, v) => a + v, 0).toFixed(6));
wsol.showFigure({ data: [{ type: 'heatmap', z: Array.from({ length: 8 }, (_, y) => row.slice(y * 8, y * 8 + 8)), colorscale: 'Jet' }],
  layout: { title: { text: 'Where position (3, 3) gathers from (one SSAM row)' }, height: 340, yaxis: { autorange: 'reversed' } } });
wsol.tf.dispose([fa, fb, fb2, a1, a2, out, att]);` },
  ],
  '04-fusion-loss': [
    { md: `# 4. The attention-based fusion loss

Each classifier sees only part of the image. The union of what they found,
$$T=\\mathrm{sg}\\big(\\max(\\mathrm{att}(S_A)^y,\\ \\mathrm{att}(S_B)^y)\\big),\\qquad \\mathrm{att}(S)=\\mathrm{minmax}(\\mathrm{ReLU}(S)),$$
describes more of the object than either map. A third pass on the full image gives $\\bar A=\\mathrm{att}(S_A(x))^y$ and $\\bar B$, and the loss pulls both towards the union:
$$L_{fuse}=\\mathrm{mean}|\\bar A-T|+\\mathrm{mean}|\\bar B-T|.$$
$\\mathrm{sg}$ (stop-gradient) keeps the target from being pulled towards the full-image maps. The total loss is $L=L^A_{cls}+L^B_{cls}+\\lambda_{full}L^{full}_{cls}+\\lambda_{fuse}L_{fuse}$ (our defaults: 1, 1).` },
    { code: SETUP },
    { code: `const A = wsol.tf.tensor3d([[[0.2, 0.8], [0.0, 1.0]]]);
const B = wsol.tf.tensor3d([[[0.6, 0.1], [0.5, 0.0]]]);
const T = wsol.unionTarget(A, B);
console.log('union target:', Array.from(T.dataSync()));
console.log('L_fuse(A, B -> T) =', wsol.attentionFusionLoss(A, B, T).dataSync()[0].toFixed(4), '(by hand: 0.225 + 0.425 = 0.65)');
console.log('L_fuse(T, T -> T) =', wsol.attentionFusionLoss(T, T, T).dataSync()[0]);
const g = wsol.tf.grad((a: wsol.tf.Tensor) => wsol.attentionFusionLoss(B, B, wsol.unionTarget(a as wsol.tf.Tensor3D, B)))(A);
console.log('gradient into the target (must be 0):', Array.from(g.dataSync()));
wsol.tf.dispose([A, B, T, g]);` },
  ],
  '05-training': [
    { md: `# 5. Training the full method and watching attention evolve

The trainer composes everything: complementary dropout $\\to$ shared backbone $\\to$ CAAM $\\to$ SSAM $\\to$ two classifiers, plus the full-image pass and the fusion loss. At each epoch it records, for a few fixed probe images, the maps of branch A (on image A), branch B (on image B), their union, and the full-image map, and how much of the ground-truth region each covers.` },
    { code: SETUP },
    { code: `const ds = wsol.partsDataset({ sizes: { train: QUICK ? 96 : 1600, val: QUICK ? 32 : 200, test: 0 } });
const run = await wsol.train({ method: 'ours', epochs: QUICK ? 2 : 6, probes: 3, evalLimit: QUICK ? 32 : 200, snapshotEvery: QUICK ? 0 : 50 },
  { outDir: \`out/notebook-runs/05-ours-\${Date.now()}\`, dataset: ds, callbacks: { onEpoch: (r) => console.log(\`epoch \${r.epoch}: loss \${r.loss.toFixed(3)}, val Top-1 Cls \${r.valTop1Cls.toFixed(1)}%, MaxBoxAccV2 \${r.valMaxBoxAccV2.toFixed(1)}%\`) } });
wsol.showFigure(wsol.figures.trainingCurves(run.history));` },
    { code: `const snaps = JSON.parse(require('fs').readFileSync(run.outDir + '/snapshots.json', 'utf8')) as wsol.SnapshotFile;
wsol.showFigure(wsol.figures.attentionEvolution(snaps, 0));
wsol.showFigure(wsol.figures.coverageFigure(snaps.coverage));` },
    { md: 'Drag the slider to move through training. The coverage plot shows whether the union of the two branches covers more of the object than either branch alone, and whether the full-image map follows it.' },
  ],
  '06-evaluation': [
    { md: `# 6. Evaluation against the baselines

Numbers follow *Evaluating WSOL Right* (Choe et al., CVPR 2020): the map is resized to the image, min-max normalised and thresholded at every $t\\in\\{0,0.01,\\dots,0.99\\}$; **MaxBoxAcc** takes the best threshold for IoU $\\ge 0.5$ with the largest region's box, **MaxBoxAccV2** averages the best accuracies at IoU 0.3/0.5/0.7 using every region, **PxAP** is the area under the pixel precision-recall curve. The classic GT-known / Top-1 Loc are also printed.` },
    { code: SETUP },
    { code: `const results = await wsol.reproduce({ quick: true, datasets: ['parts'], methods: QUICK ? ['cam', 'ours'] : wsol.QUICK_METHODS, seeds: [1],
  outDir: \`out/notebook-runs/06-\${Date.now()}\`, train: { epochs: QUICK ? 1 : 3, limit: QUICK ? 64 : 0, evalLimit: QUICK ? 32 : 400 } });
wsol.showFigure(wsol.figures.resultsTable(results.rows.map((r) => ({ method: r.method, 'Top-1 Cls': r.top1Cls, 'GT-known Loc': r.gtKnownLoc, MaxBoxAccV2: r.maxBoxAccV2, PxAP: r.pxap, 'train s': r.trainSeconds }))));` },
    { code: `// The threshold sweep of the last method: accuracy against the CAM threshold.
const last = results.rows[results.rows.length - 1];
const metrics = JSON.parse(require('fs').readFileSync(last.runDir + '/test-metrics.json', 'utf8')) as wsol.LocalizationMetrics;
wsol.showFigure(wsol.figures.thresholdSweepFigure(metrics));` },
  ],
  '07-cub': [
    { md: `# 7. Reproducing on CUB-200-2011

CUB-200-2011 (about 1.1 GB) is not shipped. Once it is extracted under \`data/CUB_200_2011\` (see the README), this notebook trains the VGG16 backbone on it. Without the data the notebook says so and stops cleanly.` },
    { code: SETUP },
    { code: `const fs = require('fs');
const root = process.env.WSOL_CUB_ROOT ?? "../data/CUB_200_2011";
if (!fs.existsSync(root + '/images.txt')) {
  console.log(\`CUB-200-2011 not found under \${root}: skipping (set WSOL_CUB_ROOT or extract the archive there).\`);
} else {
  const ds = await wsol.openDataset('cub:' + root);
  const run = await wsol.train({ dataset: 'cub:' + root, method: 'ours', backbone: 'vgg16', imageSize: 224, batchSize: 16, epochs: QUICK ? 1 : 10, limit: QUICK ? 32 : 0 }, { outDir: 'out/notebook-runs/07-cub', dataset: ds });
  wsol.showFigure(wsol.figures.trainingCurves(run.history));
}` },
  ],
};

const EXERCISE_INTRO = `# Exercises: write the two key pieces yourself

Fill in the \`TODO\`s, then run the check cell: it compares your answer with the project's implementation on random inputs.`;

function exercise(solution: boolean): Cell[] {
  const mask = solution
    ? `  // Image A keeps the masked pixels, image B the rest; hidden pixels get the fill value.
  const a = M.map((m, i) => m * x[i] + (1 - m) * fill);
  const b = M.map((m, i) => (1 - m) * x[i] + m * fill);
  return [a, b];`
    : `  // TODO: return [x_A, x_B] = [M * x + (1 - M) * fill, (1 - M) * x + M * fill], element-wise.
  throw new Error('TODO: complementaryImages is not written yet');`;
  const target = solution
    ? `  return a.map((v, i) => Math.max(v, b[i]));`
    : `  // TODO: the fusion target is the element-wise union (maximum) of the two normalised maps.
  throw new Error('TODO: fusionTarget is not written yet');`;
  return [
    { md: EXERCISE_INTRO + (solution ? '\n\n*(Solutions.)*' : '') },
    { code: SETUP },
    { md: '## Exercise 1: the complementary images\n\nGiven a flat image `x`, a keep-mask `M` of the same length (values 0 or 1) and a fill value, return the two complementary images.' },
    { code: `function complementaryImages(x: number[], M: number[], fill: number): [number[], number[]] {\n${mask}\n}` },
    { md: '## Exercise 2: the fusion target\n\nGiven the two branches\' normalised maps `a` and `b` (flat arrays), return the target the full-image maps are pulled to.' },
    { code: `function fusionTarget(a: number[], b: number[]): number[] {\n${target}\n}` },
    { md: '## Check your answers' },
    { code: `const rng = new wsol.Rng(7);
const x = Array.from({ length: 64 * 64 * 3 }, () => rng.normal());
const masks = wsol.complementaryMasks(1, 64, wsol.DEFAULT_DROPOUT, 3, 0);
const M = Array.from({ length: x.length }, (_, i) => masks[Math.floor(i / 3)]);
const img = wsol.tf.tensor4d(x, [1, 64, 64, 3]);
const ref = wsol.applyComplementaryDropout(img, wsol.DEFAULT_DROPOUT, 3, 0);
const [a, b] = complementaryImages(x, M, 0);
const refA = Array.from(ref.imageA.dataSync());
const refB = Array.from(ref.imageB.dataSync());
const err1 = Math.max(...a.map((v, i) => Math.abs(v - refA[i])), ...b.map((v, i) => Math.abs(v - refB[i])));
if (!(err1 < 1e-5)) throw new Error(\`Exercise 1 is not right yet (max error \${err1})\`);
const ma = wsol.tf.randomUniform([1, 8, 8]) as wsol.tf.Tensor3D;
const mb = wsol.tf.randomUniform([1, 8, 8]) as wsol.tf.Tensor3D;
const refT = Array.from(wsol.unionTarget(ma, mb).dataSync());
const mine = fusionTarget(Array.from(ma.dataSync()), Array.from(mb.dataSync()));
const err2 = Math.max(...mine.map((v, i) => Math.abs(v - refT[i])));
if (!(err2 < 1e-6)) throw new Error(\`Exercise 2 is not right yet (max error \${err2})\`);
console.log('Both answers match the project implementation.');
wsol.tf.dispose([img, ref.imageA, ref.imageB, ref.maskA, ma, mb]);` },
  ];
}

NOTEBOOKS['08-exercises'] = exercise(false);
NOTEBOOKS['08-exercises-solutions'] = exercise(true);

/**
 * Extra notebook metadata. `wsol.expect_error`: the notebook is meant to stop with this error
 * until the reader fills it in; run_notebooks.py then checks that it does exactly that.
 */
const METADATA: Record<string, object> = {
  '08-exercises': { wsol: { expect_error: 'TODO: complementaryImages is not written yet' } },
};

const lines = (text: string): string[] => text.split('\n').map((l, i, a) => (i < a.length - 1 ? l + '\n' : l));

function toIpynb(name: string, cells: Cell[]): object {
  return {
    // Stable cell ids (nbformat 4.5 requires them) so regenerating gives a clean diff.
    cells: cells.map((c, k) =>
      'md' in c
        ? { cell_type: 'markdown', id: `${name}-${k}`, metadata: {}, source: lines(c.md) }
        : { cell_type: 'code', id: `${name}-${k}`, metadata: {}, execution_count: null, outputs: [], source: lines(c.code) },
    ),
    metadata: {
      kernelspec: { display_name: 'TypeScript', language: 'typescript', name: 'tslab' },
      language_info: { name: 'typescript', file_extension: '.ts', mimetype: 'text/typescript' },
      ...METADATA[name],
    },
    nbformat: 4,
    nbformat_minor: 5,
  };
}

export function buildNotebooks(dir = __dirname): string[] {
  return Object.entries(NOTEBOOKS).map(([name, cells]) => {
    const file = path.join(dir, `${name}.ipynb`);
    const tmp = `${file}.${process.pid}.tmp`;
    fs.writeFileSync(tmp, JSON.stringify(toIpynb(name, cells), null, 1) + '\n');
    fs.renameSync(tmp, file); // atomic: a half-written notebook never replaces a good one
    return file;
  });
}

if (require.main === module) {
  for (const f of buildNotebooks()) console.log(`wrote ${path.relative(process.cwd(), f)}`);
}
