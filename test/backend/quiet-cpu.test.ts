/** tfjs's cpu backend asks for tfjs-node on its first tensor; the project's backend choice keeps it quiet. */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import * as path from 'node:path';

const ROOT = path.resolve(__dirname, '../..');
const BANNER = /looks like you are running TensorFlow\.js in Node\.js/;

function run(script: string): { out: string; status: number | null } {
  const r = spawnSync(process.execPath, ['--import', 'tsx', '-e', script], { cwd: ROOT, encoding: 'utf8', env: { ...process.env, WSOL_BACKEND: 'cpu' } });
  return { out: `${r.stdout}${r.stderr}`, status: r.status };
}

test('the cpu backend computes without the tfjs-node banner', () => {
  const quiet = run(`
    const { initBackend } = require('./src/backend/select.ts');
    const tf = require('@tensorflow/tfjs-core');
    initBackend().then((info) => {
      const s = tf.add(tf.tensor1d([1, 2]), tf.tensor1d([3, 4])).dataSync();
      console.log(info.tfBackend, Array.from(s).join(','));
    });`);
  assert.equal(quiet.status, 0, quiet.out);
  assert.match(quiet.out, /^cpu 4,6$/m);
  assert.doesNotMatch(quiet.out, BANNER);
  // The same computation on tfjs's cpu backend as it is registered by its package prints it.
  const plain = run(`
    const tf = require('@tensorflow/tfjs-core');
    require('@tensorflow/tfjs-backend-cpu');
    tf.setBackend('cpu').then(() => console.log(Array.from(tf.add(tf.tensor1d([1, 2]), tf.tensor1d([3, 4])).dataSync()).join(',')));`);
  assert.equal(plain.status, 0, plain.out);
  assert.match(plain.out, BANNER);
});
