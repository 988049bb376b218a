#!/usr/bin/env node
// Runs the TypeScript CLI directly through tsx, so `wsol` works without a build step.
require('tsx/cjs');
let settled = false;
// If nothing is left to keep Node running while the command still waits (a promise no handle will ever
// settle), Node would exit with status 0 and leave the work half done: say so and fail instead.
process.on('beforeExit', () => {
  if (settled) return;
  settled = true;
  process.stderr.write(`wsol: stopped before "${process.argv.slice(2).join(' ')}" finished: it was waiting on work that can no longer complete (set WSOL_DEBUG=1 and report it)\n`);
  process.exitCode = 70;
});
require('../src/cli/main.ts').main(process.argv.slice(2)).then(
  (code) => {
    settled = true;
    process.exitCode = code ?? 0;
  },
  (err) => {
    settled = true;
    process.stderr.write(`wsol: ${err && err.message ? err.message : String(err)}\n`);
    if (process.env.WSOL_DEBUG) process.stderr.write(`${err && err.stack}\n`);
    // A training stopped by a signal carries the status a shell expects (130 after Ctrl-C, 143 after SIGTERM).
    process.exitCode = err && Number.isInteger(err.exitCode) ? err.exitCode : 1;
  },
);
