#!/usr/bin/env node
/**
 * Builds the optional native addon (wsol_native.cc over oneDNN) with node-gyp, offline.
 *
 *   node src/backend/native/build-addon.js            # npm install: never fails, says why it skipped
 *   node src/backend/native/build-addon.js --strict   # npm run build:native: exits 1 if it cannot build
 *
 * Without the addon the wasm kernels run (src/backend/native/addon.ts says why in `wsol info`).
 * Needs g++, make and Debian's libdnnl-dev (data-scripts/setup-system.sh installs them) and
 * Node's own headers (Debian's nodejs ships them in /usr/include/node; official Node tarballs in
 * <prefix>/include/node). node-gyp is the copy bundled with npm, so nothing is downloaded.
 */
'use strict';
const { spawnSync } = require('child_process');
const fs = require('fs');
const path = require('path');

const strict = process.argv.includes('--strict');
const here = __dirname;
const addonFile = path.join(here, 'build', 'Release', 'wsol_native.node');

function done(ok, message) {
  process.stderr.write(`build-addon: ${message}\n`);
  if (!ok) process.stderr.write('build-addon: the wasm kernels will be used instead (slower CPU training)\n');
  process.exit(!ok && strict ? 1 : 0);
}

function findNodeGyp() {
  const candidates = [
    process.env.npm_config_node_gyp,
    path.join(path.dirname(process.execPath), '..', 'lib', 'node_modules', 'npm', 'node_modules', 'node-gyp', 'bin', 'node-gyp.js'),
    '/usr/lib/node_modules/npm/node_modules/node-gyp/bin/node-gyp.js',
    '/usr/share/nodejs/node-gyp/bin/node-gyp.js',
  ];
  try {
    candidates.push(require.resolve('node-gyp/bin/node-gyp.js'));
  } catch {
    // not installed locally: the npm-bundled copy is enough
  }
  return candidates.find((p) => p && fs.existsSync(p));
}

function nodeHeadersDir() {
  const prefix = path.resolve(path.dirname(process.execPath), '..');
  for (const dir of [prefix, '/usr', '/usr/local']) {
    if (fs.existsSync(path.join(dir, 'include', 'node', 'node_api.h'))) return dir;
  }
  return null;
}

const off = ['0', 'false', 'off', 'no'].includes((process.env.WSOL_NATIVE || '').trim().toLowerCase());
if (off) done(false, 'skipped: WSOL_NATIVE=0');
if (process.platform !== 'linux') done(false, `skipped: the addon is built on Linux only (this is ${process.platform})`);
if (!fs.existsSync('/usr/include/oneapi/dnnl/dnnl.hpp')) {
  done(false, 'skipped: oneDNN headers are missing (/usr/include/oneapi/dnnl/dnnl.hpp); install libdnnl-dev: bash data-scripts/setup-system.sh');
}
const gyp = findNodeGyp();
if (!gyp) done(false, 'skipped: node-gyp not found (it ships with npm)');
const nodedir = nodeHeadersDir();
if (!nodedir) done(false, "skipped: Node's headers (include/node/node_api.h) are not installed next to this node");
try {
  require.resolve('node-addon-api');
} catch {
  done(false, 'skipped: node-addon-api is not installed (run npm ci)');
}

const t0 = Date.now();
const r = spawnSync(process.execPath, [gyp, 'rebuild', `--nodedir=${nodedir}`], { cwd: here, encoding: 'utf8', env: { ...process.env, JOBS: '2' } });
if (r.status !== 0) {
  const tail = `${r.stdout || ''}\n${r.stderr || ''}`.split('\n').filter((l) => l && !l.startsWith('gyp info')).slice(-15).join('\n');
  done(false, `node-gyp rebuild failed (exit ${r.status}):\n${tail}`);
}
// Load it in a fresh process: a build that links but cannot load (missing libdnnl.so.2) is no build.
const check = spawnSync(process.execPath, ['-e', `const a = require(${JSON.stringify(addonFile)}); console.log(JSON.stringify(a.info()))`], { encoding: 'utf8' });
if (check.status !== 0) {
  fs.rmSync(addonFile, { force: true });
  done(false, `built, but it does not load: ${(check.stderr || '').trim().split('\n')[0]}`);
}
const info = JSON.parse(check.stdout.trim());
done(true, `built ${path.relative(process.cwd(), addonFile)} in ${((Date.now() - t0) / 1000).toFixed(1)} s (oneDNN ${info.onednn}, ${info.cpuRuntime}, ${info.threads} threads)`);
