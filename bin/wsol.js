#!/usr/bin/env node
// Runs the TypeScript CLI directly through tsx, so `wsol` works without a build step.
require('tsx/cjs');
const { failIfUnfinished } = require('../src/cli/unfinished-guard.ts');
const argv = process.argv.slice(2);
failIfUnfinished(require('../src/cli/main.ts').main(argv), `wsol ${argv.join(' ')}`).then(
  (code) => { process.exitCode = code ?? 0; },
  (err) => {
    process.stderr.write(`wsol: ${err && err.message ? err.message : String(err)}\n`);
    if (process.env.WSOL_DEBUG) process.stderr.write(`${err && err.stack}\n`);
    // A training stopped by a signal carries the status a shell expects (130 after Ctrl-C, 143 after SIGTERM).
    process.exitCode = err && Number.isInteger(err.exitCode) ? err.exitCode : 1;
  },
);
