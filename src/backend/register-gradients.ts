/**
 * tfjs-core's CommonJS bundle registers neither gradients nor chained ops (x.mul()); the union
 * package @tensorflow/tfjs does, but pulls in webgl, converter and data. The registration files
 * ship only as extension-less ES modules, so they are loaded through tsx's scoped require hook
 * (tsx is a regular dependency). The registries are global, shared by every tfjs-core copy.
 */
import * as tf from '@tensorflow/tfjs-core';
// Type-only: brings the chained-op declarations (x.mul()) without loading the ES module here.
import type {} from '@tensorflow/tfjs-core/dist/public/chained_ops/register_all_chained_ops';

let done = false;

export function registerGradientsAndChainedOps(): void {
  if (done || tf.getGradient('Sum') !== undefined) {
    done = true;
    return;
  }
  // eslint-disable-next-line @typescript-eslint/no-var-requires
  const { register } = require('tsx/cjs/api') as { register(): () => void };
  const unregister = register();
  try {
    require('@tensorflow/tfjs-core/dist/register_all_gradients');
    require('@tensorflow/tfjs-core/dist/public/chained_ops/register_all_chained_ops');
  } finally {
    unregister();
  }
  if (tf.getGradient('Sum') === undefined) throw new Error('tfjs gradients could not be registered');
  done = true;
}

registerGradientsAndChainedOps();
