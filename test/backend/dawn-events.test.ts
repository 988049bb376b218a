/**
 * The Dawn event hook (src/backend/webgpu/dawn-events.ts) wraps the global setImmediate and unrefs
 * only Dawn's pump. Any other callback it took for the pump would be unref'd too, and a process that
 * waited on it would exit with status 0, its work half done (a `wsol reproduce` on webgpu did exactly
 * that at its first interrupt check, which waits on `new Promise((r) => setImmediate(r))`).
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { spawnSync } from 'child_process';
import * as path from 'path';
import { isDawnPump } from '../../src/backend/webgpu/dawn-events';

const repo = path.resolve(__dirname, '../..');

test('only a native, anonymous, parameterless function is taken for Dawn\'s pump', () => {
  let resolver: unknown;
  void new Promise((r) => (resolver = r));
  assert.equal(isDawnPump(resolver), false, "a Promise's resolve function (native, anonymous, one parameter)");
  assert.equal(isDawnPump(function pump() {}.bind(null)), false, 'a bound function (native source, named "bound pump")');
  assert.equal(isDawnPump(() => undefined), false, 'a JavaScript arrow function');
  assert.equal(isDawnPump(Math.random), false, 'a named native function');
  // Function.prototype is the one built-in with Dawn's pump's shape: native, name "", length 0.
  assert.equal(isDawnPump(Function.prototype), true);
});

test('with the hook installed, waiting on a setImmediate keeps the process alive until it runs', () => {
  const script = [
    "const { installDawnEventHook } = require('./src/backend/webgpu/dawn-events.ts');",
    "const { yieldToEventLoop } = require('./src/train/interrupt.ts');",
    'installDawnEventHook();',
    '(async () => { for (let i = 0; i < 3; i++) await yieldToEventLoop(); console.log("done after 3 turns"); })();',
  ].join('\n');
  const r = spawnSync(process.execPath, ['--import', 'tsx', '-e', script], { cwd: repo, encoding: 'utf8' });
  assert.equal(r.status, 0, r.stderr);
  assert.equal(r.stdout.trim(), 'done after 3 turns', 'the process waited for the three event-loop turns');
});
