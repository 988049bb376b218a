/**
 * The GPU benchmark's pack-and-run path end to end (data-scripts/gpu-bench.sh): pack into a temp
 * folder, unpack the one tar into another, and run the script there with tiny budgets on whatever
 * WebGPU adapter this machine has (mesa's lavapipe in CI). Checks that each part runs under its own
 * timeout, that the table is printed after each part, and that a part over its budget is reported
 * as timed out while the later parts still run. The packed Node and Dawn are this machine's; the
 * Vulkan loader packages are left out (this machine has the loader). Skips without an adapter.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { spawnSync } from 'child_process';
import * as fs from 'fs';
import * as os from 'os';
import * as path from 'path';
import { initBackend } from '../../src/backend/select';

const repo = path.resolve(__dirname, '../..');

test('gpu-bench.sh packs, unpacks and runs every part with its own timeout on this machine\'s WebGPU adapter', { timeout: 1_500_000 }, async (t) => {
  const why = await initBackend('webgpu').then(
    () => null,
    (err: Error) => `no usable WebGPU adapter: ${err.message}`,
  );
  if (why) {
    console.log(`SKIP gpu-bench end-to-end test: ${why}`);
    return t.skip(why);
  }
  const tmp = fs.mkdtempSync(path.join(os.tmpdir(), 'wsol-gpu-bench-'));
  try {
    const packed = path.join(tmp, 'pack');
    const pack = spawnSync('bash', [path.join(repo, 'data-scripts/gpu-bench.sh'), 'pack', packed], {
      encoding: 'utf8',
      env: { ...process.env, GPU_BENCH_NO_DEBS: '1', GPU_BENCH_XZ_LEVEL: '0' },
    });
    assert.equal(pack.status, 0, `pack failed: ${pack.stderr}`);
    const there = path.join(tmp, 'there');
    fs.mkdirSync(there);
    assert.equal(spawnSync('tar', ['xf', path.join(packed, 'gpu-bench.tar'), '-C', there]).status, 0, 'the tar unpacks');
    assert.ok(!fs.existsSync(path.join(there, 'node')), 'Node travels compressed (node.xz)');
    const run = spawnSync('bash', ['gpu-bench.sh', 'run', '.'], {
      cwd: there,
      encoding: 'utf8',
      env: {
        // A GPU machine runs the script from a plain shell: npm's variables (npm test) stay out.
        ...Object.fromEntries(Object.entries(process.env).filter(([k]) => !k.startsWith('npm_'))),
        GPU_BENCH_PARTS: 'bench method quick reproduce',
        GPU_BENCH_BENCH_ARGS: '--nets vgg-64 --batch 1 --input-size 16 --steps 1 --kernels auto,stock',
        GPU_BENCH_METHOD_ARGS: '--nets cam --batch 1 --input-size 32 --steps 1',
        GPU_BENCH_QUICK_ARGS: '--methods cam --limit 4 --epochs 1 --eval-limit 4 --image-size 32 --batch-size 2',
        // Far too short for the default reproduce: this part must be reported as timed out.
        GPU_BENCH_REPRODUCE_TIMEOUT: '5',
      },
    });
    const out = run.stdout;
    assert.equal(run.status, 0, `run failed: ${run.stderr.slice(-2000)}`);
    for (const p of ['bench', 'method', 'quick', 'reproduce']) assert.match(out, new RegExp(`== gpu-bench part ${p} \\(timeout \\d+ s\\)`), `part ${p} ran`);
    assert.ok((out.match(/^parts: /gm) ?? []).length >= 4, 'the table is printed after every part');
    assert.match(out, /webgpu adapter: /);
    assert.match(out, /^vgg-64 +\d+\.\d +- +- +\d+\.\d .* \d+ +\d+$/m, 'the bench row has auto and stock times and both dispatch counts');
    // The loss difference prints as 0.0e+00 whenever both kernel paths give bit-identical losses.
    const methodRow = out.match(/^cam +1 +32 +\d+\.\d .* \d+ +\d+ +(\d\.\de[-+]\d+)$/m);
    assert.ok(methodRow, `the method row has a time, both dispatch counts and the loss difference:\n${out.split('method nets')[1]?.slice(0, 400)}`);
    assert.ok(Number(methodRow[1]) < 1e-4, `this project's kernels and the stock ones give the same loss (difference ${methodRow[1]})`);
    assert.match(out, /quick +wsol reproduce +\d+ s +done/, 'reproduce --quick ran to the end');
    const last = out.trim().split('\n').filter((l) => l.startsWith('parts: ')).pop() ?? '';
    assert.match(last, /bench done .*method done .*quick done .*reproduce timed out/, `every part's status: ${last}`);
    // The packed quick reproduce ran to its end on webgpu: its results table names the method it trained.
    const results = path.join(there, 'runs', 'reproduce-quick', 'results.md');
    assert.ok(fs.existsSync(results), 'the quick reproduce wrote results.md');
    assert.match(fs.readFileSync(results, 'utf8'), /\| cam \|/);
  } finally {
    fs.rmSync(tmp, { recursive: true, force: true });
  }
});
