/**
 * WsolAdamWUpdate (src/backend/fused-ops.ts holds the contract and the reference) on webgpu: one
 * dispatch per weight that reads weight, gradient and both moments and writes the three new
 * tensors, instead of ~15 elementwise programs per weight. Every scalar the reference rounds to
 * float32 (1 - rate * decay, 1 - beta1^t, ...) is computed here in double and passed as an f32
 * uniform, and the arithmetic runs in the reference's order.
 */
import * as tf from '@tensorflow/tfjs-core';
import type { WebgpuKernelBackend } from './program';
import { multiOutputBindings, packUniforms, runMultiOutput } from './multi-output';

const WORKGROUP = 256;
/** Workgroups per dispatch at most (threads stride over larger weights). */
const MAX_GROUPS = 65535;

const SOURCE = `${multiOutputBindings(
  'size : i32, wScale : f32, l2 : f32, beta1 : f32, oneMinusBeta1 : f32, beta2 : f32, oneMinusBeta2 : f32, bias1 : f32, bias2 : f32, epsilon : f32, rate : f32',
  ['weight', 'grad', 'm', 's'],
  ['weightOut', 'mOut', 'sOut'],
)}
@compute @workgroup_size(${WORKGROUP})
fn main(@builtin(global_invocation_id) gid : vec3<u32>, @builtin(num_workgroups) groups : vec3<u32>) {
  let stride = i32(groups.x) * ${WORKGROUP};
  for (var i = i32(gid.x); i < uniforms.size; i += stride) {
    let w0 = weight[i];
    let g = grad[i] + w0 * uniforms.l2;
    let w = w0 * uniforms.wScale;
    let m1 = m[i] * uniforms.beta1 + g * uniforms.oneMinusBeta1;
    let s1 = s[i] * uniforms.beta2 + (g * g) * uniforms.oneMinusBeta2;
    let step = ((m1 / uniforms.bias1) / (sqrt(s1 / uniforms.bias2) + uniforms.epsilon)) * uniforms.rate;
    weightOut[i] = w - step;
    mOut[i] = m1;
    sOut[i] = s1;
  }
}
`;

interface AdamWAttrs {
  count: number;
  step: number;
  rates: number[];
  decays: number[];
  decoupled: boolean;
  beta1: number;
  beta2: number;
  epsilon: number;
}

export function adamWUpdateWebgpu(args: { inputs: tf.NamedTensorInfoMap; backend: WebgpuKernelBackend; attrs: AdamWAttrs }): tf.TensorInfo[] {
  const { inputs, backend, attrs: a } = args;
  const out: tf.TensorInfo[] = [];
  for (let i = 0; i < a.count; i++) {
    const [weight, grad, m, s] = ['weight', 'grad', 'm', 's'].map((n) => {
      const t = inputs[`${n}${i}`];
      if (!t) throw new Error(`WsolAdamWUpdate: input ${n}${i} is missing (count ${a.count})`);
      return t;
    });
    const size = tf.util.sizeFromShape(weight.shape);
    for (const t of [grad, m, s]) {
      if (tf.util.sizeFromShape(t.shape) !== size) throw new Error(`WsolAdamWUpdate: weight${i} [${weight.shape}] and its grad or slots [${t.shape}] differ in size`);
    }
    const rate = a.rates[i];
    const decay = a.decays[i];
    const uniforms = packUniforms([
      { i32: size },
      { f32: a.decoupled && decay > 0 ? 1 - rate * decay : 1 },
      { f32: !a.decoupled && decay > 0 ? decay : 0 },
      { f32: a.beta1 },
      { f32: 1 - a.beta1 },
      { f32: a.beta2 },
      { f32: 1 - a.beta2 },
      { f32: 1 - Math.pow(a.beta1, a.step) },
      { f32: 1 - Math.pow(a.beta2, a.step) },
      { f32: a.epsilon },
      { f32: rate },
    ]);
    const groups = Math.max(1, Math.min(MAX_GROUPS, Math.ceil(size / WORKGROUP)));
    out.push(...runMultiOutput(backend, { key: 'wsolAdamWUpdate', source: SOURCE, uniforms, dispatch: [groups, 1, 1] }, [weight, grad, m, s], [weight.shape, weight.shape, weight.shape]));
  }
  return out;
}
