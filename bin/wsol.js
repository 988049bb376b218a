#!/usr/bin/env node
// Runs the TypeScript CLI directly through tsx, so `wsol` works without a build step.
require('tsx/cjs');
require('../src/cli/main.ts').main(process.argv.slice(2)).then(
  (code) => { process.exitCode = code ?? 0; },
  (err) => {
    process.stderr.write(`wsol: ${err && err.message ? err.message : String(err)}\n`);
    if (process.env.WSOL_DEBUG) process.stderr.write(`${err && err.stack}\n`);
    process.exitCode = 1;
  },
);
