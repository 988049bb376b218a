/**
 * The implicit im2col of a channels-last, dilation-1 convolution as a WGSL function:
 *
 *   im2col(p, r) = src[b, oy*sh + kh - pt, ox*sw + kw - pl, c],  p = (b, oy, ox), r = (kh, kw, c)
 *
 * and 0 outside the source image. Shared by the three GEMMs: the forward convolution (src = x,
 * A[p, r]), the filter gradient (src = x, A[r, p]) and the input gradient (src = dy, a stride-1
 * convolution with the flipped filter and padding KH-1-pt, KW-1-pl). Shapes are WGSL constants.
 */
import type * as tf from '@tensorflow/tfjs-core';

export interface Im2col {
  /** The WGSL buffer read (a program input's name). */
  src: string;
  inHeight: number;
  inWidth: number;
  channels: number;
  outHeight: number;
  outWidth: number;
  filterWidth: number;
  strideHeight: number;
  strideWidth: number;
  padTop: number;
  padLeft: number;
}

/** The im2col of a convolution's input `x`. */
export function im2colOfInput(c: tf.backend_util.Conv2DInfo): Im2col {
  return {
    src: 'x', inHeight: c.inHeight, inWidth: c.inWidth, channels: c.inChannels, outHeight: c.outHeight, outWidth: c.outWidth,
    filterWidth: c.filterWidth, strideHeight: c.strideHeight, strideWidth: c.strideWidth, padTop: c.padInfo.top, padLeft: c.padInfo.left,
  };
}

export function im2colSnippet(m: Im2col): string {
  return `
const IM_H = ${m.inHeight}; const IM_W = ${m.inWidth}; const IM_C = ${m.channels};
const IM_OH = ${m.outHeight}; const IM_OW = ${m.outWidth}; const IM_KW = ${m.filterWidth};
const IM_SH = ${m.strideHeight}; const IM_SW = ${m.strideWidth}; const IM_PT = ${m.padTop}; const IM_PL = ${m.padLeft};
fn im2col(pp : i32, r : i32) -> f32 {
  let c = r % IM_C;
  let t = r / IM_C;
  let kw = t % IM_KW;
  let kh = t / IM_KW;
  let ox = pp % IM_OW;
  let t2 = pp / IM_OW;
  let oy = t2 % IM_OH;
  let b = t2 / IM_OH;
  let iy = oy * IM_SH + kh - IM_PT;
  let ix = ox * IM_SW + kw - IM_PL;
  if (iy < 0 || iy >= IM_H || ix < 0 || ix >= IM_W) { return 0.0; }
  return ${m.src}[((b * IM_H + iy) * IM_W + ix) * IM_C + c];
}
`;
}
