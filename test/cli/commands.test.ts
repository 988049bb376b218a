/** The `wsol` command line: option bounds, --set, early checks, `wsol methods`, `wsol localize` outputs. */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import * as fs from 'fs';
import * as os from 'os';
import * as path from 'path';
import sharp from 'sharp';
import { overlayNames } from '../../src/cli/commands/localize';
import { initBackend } from '../../src/backend/select';
import { partsDataset } from '../../src/data/parts-dataset';
import { methodOptionList, setMethodOption } from '../../src/method/method-options';
import { METHODS } from '../../src/method/registry';
import { train } from '../../src/train/trainer';

function wsol(args: string[]): { code: number | null; stdout: string; stderr: string; ms: number } {
  const t0 = Date.now();
  const r = spawnSync(process.execPath, ['bin/wsol.js', ...args], { encoding: 'utf8', timeout: 60_000 });
  return { code: r.status, stdout: r.stdout, stderr: r.stderr, ms: Date.now() - t0 };
}
const tmp = (tag: string) => fs.mkdtempSync(path.join(os.tmpdir(), `wsol-${tag}-`));

test('integer options have sane bounds; errors name the option', () => {
  const out = path.join(tmp('cli'), 'run');
  const cases: [string[], RegExp][] = [
    [['--epochs', '100000000000000000000'], /--epochs must be <= 100000, got 100000000000000000000/],
    [['--epochs', '1e20'], /--epochs expects an integer, got "1e20"/],
    [['--seed', '4294967296'], /--seed must be <= 4294967295, got 4294967296/],
    [['--seed', '-1'], /--seed must be >= 0, got -1/],
    [['--batch-size', '1000000'], /--batch-size must be <= 65536/],
    [['--set', 'loss.bogus=1'], /--set: unknown method option "loss\.bogus"/],
    [['--set', 'loss.lambdaFuse=abc'], /--set: loss\.lambdaFuse expects a number, got "abc"/],
    [['--set', 'lambdaFuse'], /--set expects <option>=<value>/],
    [['--set', 'loss.fusion=sideways'], /--set: model config: loss\.fusion must be 'three-pass' or 'two-pass'/],
  ];
  for (const [args, expected] of cases) {
    const r = wsol(['train', ...args, '--out', out]);
    assert.equal(r.code, 2, `${args.join(' ')}: ${r.stderr}`);
    assert.match(r.stderr, expected);
  }
  assert.ok(!fs.existsSync(out), 'nothing was created');
  const seeds = wsol(['reproduce', '--seeds', '1,4294967296', '--out', out]);
  assert.equal(seeds.code, 2);
  assert.match(seeds.stderr, /--seeds expects integers in 0\.\.4294967295, got "4294967296"/);
});

test('early failures: reproduce checks method names before training; --out under /proc fails fast; --resume needs a checkpoint', () => {
  const root = tmp('early');
  const r = wsol(['reproduce', '--methods', 'cam,bogus', '--out', path.join(root, 'rep')]);
  assert.equal(r.code, 1);
  assert.match(r.stderr, /unknown method "bogus"; known: ours/);
  assert.ok(!fs.existsSync(path.join(root, 'rep')), 'cam was not trained first');
  if (fs.existsSync('/proc/self')) {
    const p = wsol(['train', '--method', 'cam', '--out', '/proc/wsol-x']);
    assert.equal(p.code, 1);
    assert.match(p.stderr, /cannot create folder \/proc\/wsol-x/);
    assert.ok(p.ms < 30_000, `${p.ms} ms`);
  }
  const resume = wsol(['train', '--method', 'cam', '--resume', '--out', path.join(root, 'none')]);
  assert.equal(resume.code, 1);
  assert.match(resume.stderr, /--resume: .*none holds no run to resume; start a new run without --resume/);
});

test('wsol methods lists every method and every option with its default; --set writes the typed option', () => {
  const r = wsol(['methods', '--json']);
  assert.equal(r.code, 0, r.stderr);
  const listed = JSON.parse(r.stdout) as { methods: { id: string }[]; options: { path: string; default: string }[] };
  assert.deepEqual(listed.methods.map((m) => m.id), Object.keys(METHODS));
  const paths = listed.options.map((o) => o.path);
  for (const p of ['tinyWidth', 'headWidth', 'dropout.keepProbability', 'attention.caamReduction', 'loss.lambdaFuse', 'loss.fusion', 'acolThreshold', 'adlDropRate']) {
    assert.ok(paths.includes(p), p);
  }
  assert.equal(listed.options.find((o) => o.path === 'loss.lambdaFuse')!.default, '1');
  const text = wsol(['methods']).stdout;
  for (const id of Object.keys(METHODS)) assert.match(text, new RegExp(`^  ${id} `, 'm'));
  assert.equal(methodOptionList().length, listed.options.length);
  let o = setMethodOption({}, 'loss.lambdaFuse=0.5');
  o = setMethodOption(o, 'loss.fusion=two-pass');
  o = setMethodOption(o, 'dropout.cellFractions=0.25,0.5');
  o = setMethodOption(o, 'dropout.checkerboard=true');
  o = setMethodOption(o, 'tinyWidth=4');
  assert.deepEqual(o, { loss: { lambdaFuse: 0.5, fusion: 'two-pass' }, dropout: { cellFractions: [0.25, 0.5], checkerboard: true }, tinyWidth: 4 });
});

test('wsol localize a.png a.jpg writes one overlay per input', async () => {
  await initBackend();
  const root = tmp('localize');
  const run = path.join(root, 'run');
  const r = await train(
    { method: 'cam', epochs: 1, imageSize: 32, batchSize: 8, methodOptions: { tinyWidth: 4, headWidth: 8 }, probes: 0, evalLimit: 8, backboneInit: 'scratch' },
    { outDir: run, dataset: partsDataset({ imageSize: 32, sizes: { train: 16, val: 8, test: 8 } }) },
  );
  r.model.net.dispose();
  const pixels = (v: number) => Buffer.alloc(40 * 30 * 3, v);
  await sharp(pixels(40), { raw: { width: 40, height: 30, channels: 3 } }).png().toFile(path.join(root, 'a.png'));
  await sharp(pixels(200), { raw: { width: 40, height: 30, channels: 3 } }).jpeg().toFile(path.join(root, 'a.jpg'));
  const out = path.join(root, 'out');
  const res = wsol(['localize', '--run', run, '--out', out, path.join(root, 'a.png'), path.join(root, 'a.jpg')]);
  assert.equal(res.code, 0, res.stderr);
  assert.deepEqual(fs.readdirSync(out).sort(), ['.wsol-output.json', 'a.jpg-overlay.png', 'a.png-overlay.png', 'localizations.json']);
  const json = JSON.parse(fs.readFileSync(path.join(out, 'localizations.json'), 'utf8')) as { overlay: string }[];
  assert.deepEqual(json.map((j) => j.overlay), ['a.png-overlay.png', 'a.jpg-overlay.png']);
  assert.ok(!fs.readFileSync(path.join(out, 'a.png-overlay.png')).equals(fs.readFileSync(path.join(out, 'a.jpg-overlay.png'))));
  assert.deepEqual(overlayNames(['x/a.png', 'y/a.png', 'a.png']), ['a.png-overlay.png', 'a.png-2-overlay.png', 'a.png-3-overlay.png']);
});
