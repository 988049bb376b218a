/**
 * WsolScaleAdd (src/backend/fused-ops.ts): y = a * scale + b with a one-value scale, in one
 * dispatch instead of a multiply and an add.
 */
import * as tf from '@tensorflow/tfjs-core';
import type { WebgpuKernelBackend, WebgpuProgram } from './program';

class ScaleAddProgram implements WebgpuProgram {
  variableNames = ['a', 'scale', 'b'];
  outputShape: number[];
  shaderKey = 'wsolScaleAdd';
  dispatchLayout: { x: number[] };
  dispatch: [number, number, number];
  workgroupSize: [number, number, number] = [64, 1, 1];
  size = true;

  constructor(shape: number[]) {
    this.outputShape = shape;
    this.dispatchLayout = { x: shape.map((_, i) => i) };
    this.dispatch = [Math.ceil(tf.util.sizeFromShape(shape) / 64), 1, 1];
  }

  getUserCode(): string {
    return `
fn main(index : i32) {
  if (index < uniforms.size) { result[index] = a[index] * scale[0] + b[index]; }
}
`;
  }
}

export function scaleAddWebgpu(args: { inputs: { a: tf.TensorInfo; scale: tf.TensorInfo; b: tf.TensorInfo }; backend: WebgpuKernelBackend }): tf.TensorInfo {
  const { a, scale, b } = args.inputs;
  if (tf.util.sizeFromShape(scale.shape) !== 1) throw new Error(`WsolScaleAdd: scale must hold one value, got shape [${scale.shape}]`);
  if (!tf.util.arraysEqual(a.shape, b.shape)) throw new Error(`WsolScaleAdd: a [${a.shape}] and b [${b.shape}] must have one shape`);
  if (a.dtype !== 'float32' || b.dtype !== 'float32' || scale.dtype !== 'float32') throw new Error('WsolScaleAdd: inputs must be float32');
  return args.backend.runWebGPUProgram(new ScaleAddProgram(a.shape), [a, scale, b], 'float32');
}
