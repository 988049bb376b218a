/**
 * Methods describe themselves: each registry entry names its role and the option groups it reads,
 * each option its default, description and rule, and the lists (wsol methods, reproduce's methods,
 * the config checks) are read off them.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { initBackend } from '../../src/backend/select';
import { DEFAULT_LOSS, OPTION_GROUPS } from '../../src/method/method-config';
import { methodOptionList, setMethodOption } from '../../src/method/method-options';
import { resolveModelConfig } from '../../src/method/model-config';
import { ablations, checkMethodOptions, comparedMethods, createModel, METHODS, methodsReading, resolveMethodConfig } from '../../src/method/registry';
import { ABLATIONS, MORE_ABLATIONS, QUICK_METHODS } from '../../src/train/reproduce';

const base = { backbone: 'tiny' as const, numClasses: 3, inputSize: 32, tinyWidth: 2, headWidth: 4 };

test('every option has a description, and its default meets its own rule', () => {
  const list = methodOptionList();
  assert.ok(list.length >= 20);
  for (const o of list) assert.ok(o.description.length > 10, o.path);
  for (const g of Object.values(OPTION_GROUPS)) {
    for (const [k, spec] of Object.entries(g.options)) assert.ok(spec.rule.test(spec.default), `${k}: default ${String(spec.default)} ${spec.rule.accepts}`);
  }
  // Which methods read a group comes from their entries.
  assert.deepEqual(list.find((o) => o.path === 'acolThreshold')!.usedBy, ['acol']);
  assert.deepEqual(list.find((o) => o.path === 'tinyWidth')!.usedBy, Object.keys(METHODS));
  assert.ok(list.find((o) => o.path === 'dropout.keepProbability')!.usedBy.includes('has'));
  assert.ok(!list.find((o) => o.path === 'loss.lambdaFuse')!.usedBy.includes('cam'));
});

test('the checks come from the option tables and name the option', () => {
  const bad: [object, RegExp][] = [
    [{ loss: { lambdaFuse: -1 } }, /loss\.lambdaFuse must be >= 0, got -1/],
    [{ loss: { fusion: 'one-pass' } }, /loss\.fusion must be 'three-pass' or 'two-pass', got one-pass/],
    [{ attention: { caamReduction: 0 } }, /attention\.caamReduction must be a positive integer, got 0/],
    [{ attention: { ssamWindow: 1.5 } }, /attention\.ssamWindow must be an integer >= 0, got 1\.5/],
    [{ dropout: { cellFractions: [] } }, /dropout\.cellFractions must be a non-empty list/],
    [{ acolThreshold: 1 }, /acolThreshold must be in \(0, 1\), got 1/],
    [{ adlDropRate: 2 }, /adlDropRate must be in \[0, 1\], got 2/],
    [{ headWidth: 0 }, /headWidth must be a positive integer/],
    [{ loss: { nope: 1 } }, /unknown option loss\.nope; known: loss\.lambdaClsFull/],
    [{ nope: 1 }, /unknown option "nope"/],
  ];
  for (const [options, message] of bad) assert.throws(() => resolveModelConfig({ ...base, method: 'ours', ...options }), message);
  // Without an input size, the size-dependent check waits; with one, it runs.
  assert.doesNotThrow(() => checkMethodOptions('ours', { dropout: { cellFractions: [1] } }, { backbone: 'tiny' }));
  assert.throws(() => checkMethodOptions('ours', { dropout: { cellFractions: [1] } }, { backbone: 'tiny', inputSize: 32 }), /not smaller than the 32 px image/);
  assert.throws(() => checkMethodOptions('nope', {}, { backbone: 'tiny' }), /unknown method "nope"; known: ours, /);
});

test('a method\'s fixed options win over the run\'s, and defaults fill the rest', () => {
  const r = resolveMethodConfig({ ...base, method: 'ours-minmax-fusion', loss: { fuseTarget: 'mosaic', lambdaFuse: 0.3 } });
  assert.equal(r.loss.fuseTarget, 'union');
  assert.equal(r.loss.fuseNormalization, 'minmax');
  assert.equal(r.loss.lambdaFuse, 0.3);
  assert.equal(r.loss.lambdaClsFull, DEFAULT_LOSS.lambdaClsFull);
  assert.equal(r.backbone.headWidth, 4);
  assert.equal(resolveMethodConfig({ ...base, method: 'ours', tinyWidth: 3, headWidth: undefined }).backbone.headWidth, 12, 'tiny head = 4 x tinyWidth');
  assert.equal(resolveMethodConfig({ ...base, method: 'ours-global-ssam' }).attention.ssamWindow, 0);
});

test('reproduce\'s method lists come from the roles in the registry', () => {
  const baselines = Object.keys(METHODS).filter((id) => METHODS[id].role === 'baseline');
  assert.ok(['cam', 'has', 'acol', 'adl'].every((b) => baselines.includes(b)));
  assert.deepEqual(QUICK_METHODS, [...baselines, 'ours']);
  const explaining = Object.keys(METHODS).filter((id) => METHODS[id].role === 'ablation' && METHODS[id].inDefaultRun);
  assert.ok(explaining.includes('ours-no-fusion') && explaining.includes('dropout-one-branch'));
  assert.deepEqual(ABLATIONS, explaining);
  assert.ok(MORE_ABLATIONS.every((id) => METHODS[id].role === 'ablation' && !METHODS[id].inDefaultRun));
  assert.deepEqual(new Set([...QUICK_METHODS, ...ABLATIONS, ...MORE_ABLATIONS]), new Set(Object.keys(METHODS)), 'every method is in one list');
});

test('adding a method is one registry entry: it is listed, checked, built and compared', async () => {
  await initBackend();
  METHODS['cam-copy'] = { ...METHODS.cam, description: 'a second CAM', fixed: { headWidth: 6 } };
  try {
    assert.ok(comparedMethods().includes('cam-copy'));
    assert.ok(!ablations('default').includes('cam-copy'));
    assert.ok(methodsReading('backbone').includes('cam-copy'));
    assert.ok(methodOptionList().find((o) => o.path === 'tinyWidth')!.usedBy.includes('cam-copy'));
    const m = createModel({ ...base, method: 'cam-copy' });
    try {
      assert.equal(m.resolved.backbone.headWidth, 6);
      assert.equal(m.method, 'cam-copy');
    } finally {
      m.net.dispose();
    }
  } finally {
    delete METHODS['cam-copy'];
  }
});

test('--set parses by the option\'s kind and refuses unknown options', () => {
  assert.deepEqual(setMethodOption({}, 'attention.inferenceMap=mean'), { attention: { inferenceMap: 'mean' } });
  assert.throws(() => setMethodOption({}, 'loss.lambdaFuse=abc'), /--set: loss\.lambdaFuse expects a number, got "abc"/);
  assert.throws(() => setMethodOption({}, 'loss.nope=1'), /unknown method option "loss\.nope"/);
});
