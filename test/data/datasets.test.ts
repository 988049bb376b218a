/**
 * One dataset registry: each entry carries its spec, classes, sizes, presence, preparation and
 * loader, and openDataset, `wsol data list`, `wsol data prepare` and `wsol train --help` read it.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import * as fs from 'fs';
import * as os from 'os';
import * as path from 'path';
import { main } from '../../src/cli/main';
import { DATASETS, datasetEntry, datasetSpecs, openDataset, registerDataset, type DatasetEntry } from '../../src/data/datasets';
import { partsDataset, PARTS_CLASS_NAMES } from '../../src/data/parts-dataset';

async function capture(argv: string[]): Promise<{ code: number; out: string; err: string }> {
  const out: string[] = [];
  const err: string[] = [];
  const [w, e] = [process.stdout.write.bind(process.stdout), process.stderr.write.bind(process.stderr)];
  process.stdout.write = ((s: string) => (out.push(String(s)), true)) as typeof process.stdout.write;
  process.stderr.write = ((s: string) => (err.push(String(s)), true)) as typeof process.stderr.write;
  try {
    return { code: await main(argv), out: out.join(''), err: err.join('') };
  } finally {
    process.stdout.write = w;
    process.stderr.write = e;
  }
}

test('each built-in entry says what it holds, and what it says is what it opens', async () => {
  const help = await capture(['train', '--help']);
  assert.match(help.out, /--dataset .*parts \| fashion-clutter\[:<IDX dir>\] \| cub\[:<CUB_200_2011 dir>\] \| folder:<metadata dir>,<image root> \(default: parts\)/);
  assert.deepEqual(DATASETS.map((d) => d.name), ['parts', 'fashion-clutter', 'cub', 'folder']);
  const parts = await openDataset('parts', { sizes: { train: 4, val: 2, test: 2 } });
  assert.equal(datasetEntry('parts').classes, parts.classNames.length);
  assert.equal(datasetEntry('parts').classes, PARTS_CLASS_NAMES.length);
  const full = partsDataset();
  assert.equal(datasetEntry('parts').sizes, `train ${full.items('train').length} / val ${full.items('val').length} / test ${full.items('test').length}`);
  assert.throws(() => datasetEntry('imagenet'), /unknown dataset "imagenet"; known: parts, fashion-clutter, cub, folder/);
  await assert.rejects(openDataset('imagenet:x'), /unknown dataset "imagenet:x"; known: parts/);
  await assert.rejects(openDataset('folder:only-one-part'), /folder dataset needs "folder:<metadata dir>,<image root>"/);
  assert.equal(datasetEntry('cub').locate!('/nonexistent-wsol').where, '/nonexistent-wsol/CUB_200_2011');
});

test('a registered dataset is opened, listed and prepared like the built-in ones', async () => {
  const root = fs.mkdtempSync(path.join(os.tmpdir(), 'wsol-datasets-'));
  const marker = path.join(root, 'tiny-parts.ready');
  const entry: DatasetEntry = {
    name: 'tiny-parts',
    spec: 'tiny-parts',
    description: 'a handful of parts images',
    kind: 'generated',
    classes: PARTS_CLASS_NAMES.length,
    sizes: 'train 4 / val 2 / test 2',
    locate: (dataRoot) => ({ present: fs.existsSync(path.join(dataRoot, 'tiny-parts.ready')), where: path.join(dataRoot, 'tiny-parts.ready') }),
    prepare: async (opts) => {
      fs.writeFileSync(path.join(opts.dataRoot, 'tiny-parts.ready'), '');
      return 'tiny-parts ready';
    },
    open: async () => partsDataset({ sizes: { train: 4, val: 2, test: 2 } }),
  };
  registerDataset(entry);
  try {
    assert.throws(() => registerDataset(entry), /a dataset named "tiny-parts" is already registered/);
    assert.equal((await openDataset('tiny-parts')).items('train').length, 4);
    assert.match(datasetSpecs(), /\| tiny-parts$/);
    let listed = JSON.parse((await capture(['data', 'list', '--json', '--data-root', root])).out) as { name: string; present: boolean; classes: number }[];
    assert.deepEqual(listed.map((e) => e.name), ['parts', 'fashion-clutter', 'cub', 'tiny-parts', 'vgg16']);
    assert.equal(listed.find((e) => e.name === 'tiny-parts')!.present, false);
    const prepared = await capture(['data', 'prepare', 'tiny-parts', '--data-root', root]);
    assert.equal(prepared.code, 0, prepared.err);
    assert.equal(prepared.out, 'tiny-parts ready\n');
    assert.ok(fs.existsSync(marker));
    listed = JSON.parse((await capture(['data', 'list', '--json', '--data-root', root])).out);
    assert.equal(listed.find((e) => e.name === 'tiny-parts')!.present, true);
    const url = await capture(['data', 'prepare', 'tiny-parts', '--url', 'http://example.invalid/x', '--data-root', root]);
    assert.equal(url.code, 2);
    assert.match(url.err, /--url applies to cub and vgg16, not "tiny-parts"/);
  } finally {
    DATASETS.splice(DATASETS.indexOf(entry), 1);
  }
});
