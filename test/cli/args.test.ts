import { test } from 'node:test';
import assert from 'node:assert/strict';
import { formatHelp, parseArgs, type CommandSpec } from '../../src/cli/args';

const spec: CommandSpec = {
  name: 'demo',
  summary: 'demo',
  usage: 'wsol demo',
  options: {
    epochs: { type: 'int', description: 'epochs', min: 1, default: 3 },
    'image-size': { type: 'int', description: 'size' },
    lr: { type: 'number', description: 'lr' },
    split: { type: 'string', description: 'split', choices: ['val', 'test'] },
    seeds: { type: 'list', description: 'seeds' },
    json: { type: 'boolean', description: 'json' },
  },
};

test('parses typed options, camel-cases names and applies defaults', () => {
  const r = parseArgs(spec, ['--image-size', '96', '--lr=0.01', '--split', 'val', '--seeds', '1,2', '--json']);
  assert.deepEqual(r.options, { imageSize: 96, lr: 0.01, split: 'val', seeds: ['1', '2'], json: true, epochs: 3 });
  assert.equal(r.help, false);
});

test('unknown options and bad values are errors that name the option', () => {
  assert.throws(() => parseArgs(spec, ['--epoch', '3']), /unknown option --epoch for "wsol demo"/);
  assert.throws(() => parseArgs(spec, ['--epochs', 'x']), /--epochs expects an integer, got "x"/);
  assert.throws(() => parseArgs(spec, ['--epochs', '0']), /--epochs must be >= 1/);
  assert.throws(() => parseArgs(spec, ['--lr', 'abc']), /--lr expects a number/);
  assert.throws(() => parseArgs(spec, ['--split', 'train']), /--split must be one of val, test/);
  assert.throws(() => parseArgs(spec, ['--epochs']), /--epochs needs a value/);
  assert.throws(() => parseArgs(spec, ['stray']), /unexpected argument "stray"/);
});

test('help lists every option', () => {
  const text = formatHelp(spec);
  for (const flag of ['--epochs', '--image-size', '--lr', '--split', '--seeds', '--json', '--help']) assert.ok(text.includes(flag), flag);
  assert.ok(parseArgs(spec, ['--help']).help);
});
