/** Results files, tables and comparisons: checked input, settings groups, paired intervals, generated docs. */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import * as fs from 'fs';
import * as path from 'path';
import { loadResultSet, regenerated } from '../../src/cli/commands/report';
import { BASELINE_METHODS, valChosenGtKnown } from '../../src/train/reproduce';
import { findSection } from '../../src/train/results-document';
import { checkResults, readResultsFile, resolvedSettings, settingsHash, type ResultRow } from '../../src/train/results-file';
import { mergeResults } from '../../src/train/results-set';
import { comparisonMarkdown, resultsMarkdown } from '../../src/train/results-table';
import { pairedDifference, studentTCentralProbability, studentTCritical } from '../../src/train/paired-difference';
import type { LocalizationMetrics } from '../../src/localize/localization-evaluator';
import { tempDir } from '../data/fixtures';

function row(method: string, seed: number, maxBoxAccV2: number, gtVal: number, configHash = 'h1', top1Cls = 90): ResultRow {
  return {
    method, dataset: 'parts', seed, configHash, trainSeconds: 10, imagesPerSecond: 100, valThreshold: 0.3, gtKnownLocValThreshold: gtVal, runDir: 'x',
    top1Cls, top5Cls: 100, top1Loc: 50, top5Loc: 50, gtKnownLoc: 50, maxBoxAcc: 50, maxBoxAccV2, pxap: null,
  };
}

/** A version-1 results file with the given rows, all under the settings of `overrides`. */
function resultsFile(dir: string, name: string, rows: Omit<ResultRow, 'configHash'>[], overrides: Record<string, unknown> = { epochs: 1 }): string {
  const settings = resolvedSettings(overrides);
  const hash = settingsHash(settings);
  const file = path.join(dir, name);
  fs.writeFileSync(file, JSON.stringify({ version: 1, createdAt: 'now', quick: false, train: overrides, matrix: null, shard: null, settings: { [hash]: settings }, rows: rows.map((r) => ({ ...r, configHash: hash })) }));
  return file;
}

test('results table: mean ± sample std over seeds and every seed listed', () => {
  const md = resultsMarkdown([row('cam', 1, 50, 40), row('cam', 2, 54, 44), row('ours', 1, 60, 52), row('ours', 2, 62, 58)]);
  // cam MaxBoxAccV2: mean 52, sample std sqrt(((50-52)^2 + (54-52)^2) / 1) = 2.83
  assert.match(md, /\| cam \| 1, 2 \|.*\| 52\.0 ± 2\.8 \|/);
  assert.match(md, /\| ours \| 2 \|/, 'per-seed rows');
  assert.match(md, /All rows ran with the same settings \(h1\)/);
});

test('rows with different settings are separate groups, never averaged, and the table says how they differ', () => {
  const dir = tempDir('groups');
  const one = resultsFile(dir, 'a.json', [row('cam', 1, 50, 40)], { epochs: 1 });
  const two = resultsFile(dir, 'b.json', [row('cam', 1, 70, 40), row('cam', 2, 80, 40)], { epochs: 2 });
  const set = mergeResults([readResultsFile(one), readResultsFile(two)]);
  const md = resultsMarkdown(set.rows, { settings: set.settings });
  const [h1, h2] = [set.rows[0].configHash, set.rows[1].configHash];
  assert.notEqual(h1, h2);
  assert.match(md, new RegExp(`\\| cam \\[${h1.slice(0, 8)}\\] \\| 1 \\|.*\\| 50\\.0 \\|`), 'the 1-epoch run alone');
  assert.match(md, new RegExp(`\\| cam \\[${h2.slice(0, 8)}\\] \\| 1, 2 \\|.*\\| 75\\.0 ± 7\\.1 \\|`), 'the 2-epoch runs alone');
  assert.doesNotMatch(md, /66\.7/, 'never the mean of all three');
  assert.match(md, /2 different settings; rows with different settings are never averaged together/);
  assert.match(md, /differs from .* in epochs \(1 there, 2 here\)/);
});

test('Student t: central probabilities and 95% critical values match the published table', () => {
  // Two-sided 95% critical values from standard t tables.
  const table: [number, number][] = [[1, 12.706], [2, 4.303], [3, 3.182], [4, 2.776], [5, 2.571], [9, 2.262], [10, 2.228], [29, 2.045]];
  for (const [df, t] of table) assert.ok(Math.abs(studentTCritical(df) - t) < 5e-4, `df ${df}: ${studentTCritical(df)}`);
  // df = 2 has the closed form P(|T| < t) = t / sqrt(2 + t^2).
  for (const t of [0.5, 1, 3]) assert.ok(Math.abs(studentTCentralProbability(t, 2) - t / Math.sqrt(2 + t * t)) < 1e-12);
  // df = 1 is Cauchy: P(|T| < t) = 2 atan(t) / pi.
  assert.ok(Math.abs(studentTCentralProbability(1, 1) - 0.5) < 1e-12);
  const d = pairedDifference([10, -1]);
  // mean 4.5, sd = 11 / sqrt(2) = 7.778, half width = 12.706 * 7.778 / sqrt(2) = 69.88
  assert.equal(d.mean, 4.5);
  assert.ok(Math.abs(d.interval!.low - (4.5 - 69.884)) < 0.01 && Math.abs(d.interval!.high - (4.5 + 69.884)) < 0.01, JSON.stringify(d));
  assert.equal(pairedDifference([3]).interval, null);
});

test('comparison with CAM: per seed, the mean and a paired 95% interval with n, in plain words, no pass/fail lines', () => {
  const rows = [
    row('cam', 1, 50, 40), row('cam', 2, 54, 44), row('cam', 3, 52, 41),
    row('ours', 1, 52, 52), row('ours', 2, 57, 58), row('ours', 3, 53, 45),
    row('acol', 1, 70, 0), row('acol', 2, 70, 0), row('acol', 3, 70, 0),
  ];
  const md = comparisonMarkdown(rows, 'ours', { baselines: BASELINE_METHODS });
  // ours - cam MaxBoxAccV2: +2, +3, +1 -> mean 2, sd 1, half = 4.303 * 1 / sqrt(3) = 2.484
  assert.match(md, /seeds 1, 2, 3; n = 3; 95% interval from the t distribution with 2 degrees of freedom/);
  assert.match(md, /\| MaxBoxAccV2 \| \+2\.0 \/ \+3\.0 \/ \+1\.0 \| \+2\.0 \| -0\.5 to \+4\.5 \|/);
  assert.match(md, /ours is above CAM on MaxBoxAccV2 on 3 of 3 seeds, by \+2\.0 points on average; the 95% interval includes 0/);
  assert.match(md, /Of the other methods, acol has the best MaxBoxAccV2 \(70\.0\); ours \(54\.0\) is 16\.0 points below it/);
  assert.match(md, /^The paper reports, in its abstract, a clear gain in localization over CAM and other weakly supervised methods on CUB-200-2011 and ILSVRC/);
  assert.doesNotMatch(md, /NOT met|acceptance|issue|\bmet:/i);
  // A clear gain: every seed far above CAM.
  const clear = comparisonMarkdown([...rows.slice(0, 3), row('ours', 1, 60, 52), row('ours', 2, 64, 58), row('ours', 3, 62, 45)]);
  assert.match(clear, /95% interval lies above 0: at this budget ours localizes better than CAM/);
});

test('GT-known at the val-chosen threshold reads the test curve at val\'s best threshold', () => {
  const curves = (gtKnown: number[]) => ({ curves: { thresholds: [0, 0.1, 0.2, 0.3], gtKnown } }) as unknown as LocalizationMetrics;
  const chosen = valChosenGtKnown(curves([10, 30, 20, 5]), curves([40, 25, 60, 1]));
  assert.deepEqual(chosen, { threshold: 0.1, gtKnown: 25 }, 'test\'s own best (60) is never used');
  assert.deepEqual(valChosenGtKnown(null, curves([1, 2, 3, 4])), { threshold: null, gtKnown: null });
});

test('a results file is checked: schema, version, numeric metrics, seeds, digests; errors name the file and field', () => {
  const dir = tempDir('check');
  const good = JSON.parse(fs.readFileSync(resultsFile(dir, 'g.json', [row('cam', 1, 50, 40)]), 'utf8'));
  const cases: [unknown, RegExp][] = [
    [{ name: 'package', version: '1.0.0' }, /x\.json is not a wsol results file .*no "rows" list/],
    [[1, 2], /x\.json is not a wsol results file/],
    [{ ...good, version: 7 }, /x\.json: results version 7 is not one this wsol reads/],
    [{ ...good, rows: [] }, /x\.json: "rows" is empty/],
    [{ ...good, rows: [{ ...good.rows[0], maxBoxAccV2: 'high' }] }, /x\.json: rows\[0\]\.maxBoxAccV2 must be a number or null, got "high"/],
    [{ ...good, rows: [{ ...good.rows[0], top1Cls: undefined }] }, /rows\[0\]\.top1Cls must be a number or null, got nothing/],
    [{ ...good, rows: [{ ...good.rows[0], seed: null }] }, /rows\[0\]\.seed must be an integer in 0\.\.4294967295, got null/],
    [{ ...good, rows: [{ ...good.rows[0], seed: 1.5 }] }, /rows\[0\]\.seed must be an integer/],
    [{ ...good, rows: ['cam'] }, /rows\[0\] must be an object, got "cam"/],
    [{ ...good, rows: [{ ...good.rows[0], method: '' }] }, /rows\[0\]\.method must be a non-empty string/],
    [{ ...good, rows: [{ ...good.rows[0], configHash: 'other' }] }, /rows\[0\]\.configHash must name one of the file's settings/],
    [{ ...good, settings: { [Object.keys(good.settings)[0]]: { ...Object.values(good.settings)[0] as object, epochs: 9 } } }, /settings\.\w+ does not match its digest/],
  ];
  for (const [content, expected] of cases) assert.throws(() => checkResults(content, 'x.json'), expected);
  const notJson = path.join(dir, 'n.json');
  fs.writeFileSync(notJson, '{ rows: ');
  assert.throws(() => readResultsFile(notJson), /n\.json: not JSON/);
});

test('a run given twice is refused, and so is a file given twice (under another name too)', () => {
  const dir = tempDir('dup');
  const a = resultsFile(dir, 'a.json', [row('cam', 1, 50, 40)]);
  const b = resultsFile(dir, 'b.json', [row('cam', 2, 50, 40), row('cam', 1, 51, 40)]);
  assert.throws(() => loadResultSet([a, b]), /b\.json: cam on parts, seed 1 \(settings \w+\) is already in .*a\.json; each run may be reported once/);
  assert.throws(() => loadResultSet([a, a]), /a\.json is given twice/);
  fs.symlinkSync(a, path.join(dir, 'link.json'));
  assert.throws(() => loadResultSet([a, path.join(dir, 'link.json')]), /link\.json is given twice \(also as .*a\.json\)/);
  // The same seed under other settings is another run.
  const c = resultsFile(dir, 'c.json', [row('cam', 1, 60, 40)], { epochs: 2 });
  assert.equal(loadResultSet([a, c]).rows.length, 2);
});

test('files without a version (docs/results/scratch-init) are read as version 0, with a digest from the overrides they store', () => {
  const legacy = 'docs/results/scratch-init';
  const files = fs.readdirSync(legacy).filter((f) => f.endsWith('.json')).map((f) => path.join(legacy, f));
  assert.ok(files.length >= 40);
  const loaded = files.map(readResultsFile);
  assert.ok(loaded.every((l) => l.version === 0));
  const cam = loaded.find((l) => l.file.endsWith('parts-cam-s1.json'))!;
  const cam2 = loaded.find((l) => l.file.endsWith('parts-cam-s2.json'))!;
  const ours = loaded.find((l) => l.file.endsWith('parts-ours-s1.json'))!;
  assert.equal(cam.rows[0].configHash, cam2.rows[0].configHash, 'the same stored overrides give the same digest');
  assert.notEqual(cam.rows[0].configHash, ours.rows[0].configHash, 'ours stored attention.ssamWindow');
  // A version-1 file with the same overrides never shares a version-0 digest (the defaults may have moved).
  assert.notEqual(settingsHash(resolvedSettings({ epochs: 3, limit: 1600, evalLimit: 400 })), cam.rows[0].configHash);
  const set = mergeResults(loaded);
  assert.equal(set.legacyFiles.length, files.length);
  const md = comparisonMarkdown(set.rows, 'ours', { settings: set.settings, baselines: BASELINE_METHODS });
  assert.match(md, /CAM ran with other method options \(methodOptions\.attention\.ssamWindow\); the training budget is the same/);
});

test('the README and docs/results/summary.md hold exactly the tables that docs/results/*.json give', () => {
  const files = fs.readdirSync('docs/results').filter((f) => f.endsWith('.json')).map((f) => path.join('docs/results', f));
  const set = loadResultSet(files);
  for (const [file, style] of [['README.md', 'compact'], ['docs/results/summary.md', 'full']] as const) {
    const text = fs.readFileSync(file, 'utf8');
    const section = findSection(text, file);
    assert.ok(section, `${file} has a wsol report section`);
    assert.ok(section.methods.length > 0, `${file}: its marker names the compared methods`);
    const { after } = regenerated(file, set, { style, baselines: BASELINE_METHODS }, false);
    assert.equal(text, after, `${file}: regenerate it with wsol report docs/results/*.json ${style === 'compact' ? '--readme' : '--out'} ${file}`);
  }
});

test('a marked section is replaced in place; the rest of the file stays byte for byte; broken markers are errors', () => {
  const dir = tempDir('section');
  const set = mergeResults([readResultsFile(resultsFile(dir, 'r.json', [row('cam', 1, 50, 40), row('ours', 1, 55, 45)]))]);
  const file = path.join(dir, 'README.md');
  const head = '# Title\n\nprose before\n\n';
  const tail = '\n\nprose after\n';
  fs.writeFileSync(file, `${head}<!-- wsol report begin --method ours -->\nold table\n<!-- wsol report end -->${tail}`);
  const { after } = regenerated(file, set, { methods: ['ours'], style: 'compact', baselines: [] }, false);
  assert.ok(after.startsWith(head) && after.endsWith(tail));
  assert.doesNotMatch(after, /old table/);
  assert.match(after, /\| ours \| 1 \|/);
  assert.match(after, /\| MaxBoxAccV2 \| \+5\.0 \| \+5\.0 \| n\/a \(one seed\) \|/);
  fs.writeFileSync(file, '# no markers\n');
  assert.throws(() => regenerated(file, set, { methods: ['ours'], style: 'compact', baselines: [] }, false), /README\.md has no "<!-- wsol report begin -->" \.\.\. "<!-- wsol report end -->" section/);
  fs.writeFileSync(file, '<!-- wsol report begin -->\n<!-- wsol report begin -->\n<!-- wsol report end -->\n');
  assert.throws(() => findSection(fs.readFileSync(file, 'utf8'), file), /needs exactly one .* \(found 2 and 1\)/);
});
