/**
 * A WGSL generator for a tiled matrix product C[m, n] = sum_k A[m, k] B[k, n] whose operands are
 * never materialised: the caller supplies `loadA(m, k)`, `loadB(k, n)` and `storeC(m, n, split, v)`
 * as WGSL functions (implicit GEMM). The three convolution kernels are such products over the
 * same data with different index maps (conv2d.ts, conv2d-backprop-input.ts,
 * conv2d-backprop-filter.ts).
 *
 * A workgroup computes a BM x BN tile of C; each thread an RM x RN block in registers. The k axis
 * is walked in steps of BK: both operand tiles are staged in workgroup memory (loaded so that
 * neighbouring threads read neighbouring addresses of the operand's contiguous axis), then every
 * thread does RM x RN fused multiply-adds per step, reading its operands as vec4s. Optionally the
 * k axis is split over grid z (`kChunk` < k): each split writes its own partial product.
 * Shapes are WGSL constants, so each layer shape gets its own pipeline (tfjs caches them by
 * `shaderKey`), and the inner loops are unrolled here.
 */
import type { WebgpuProgram } from './program';

export interface GemmTiling {
  bm: number;
  bn: number;
  bk: number;
  rm: number;
  rn: number;
}

export interface GemmShape {
  m: number;
  n: number;
  k: number;
  /** Length of k each split (grid z) covers; a multiple of the tiling's bk. */
  kChunk: number;
  /** Which axis of A (B) is contiguous in memory: loads walk it with neighbouring threads. */
  aContiguous: 'm' | 'k';
  bContiguous: 'k' | 'n';
}

/** Tiles for a product of m x n outputs: 128-row tiles, as wide as n needs, 64 rows when m is small. */
export function chooseTiling(m: number, n: number): GemmTiling {
  const bk = 16;
  if (m <= 64) return n > 32 ? { bm: 64, bn: 64, bk, rm: 4, rn: 4 } : { bm: 64, bn: 32, bk, rm: 4, rn: 4 };
  if (n > 64) return { bm: 128, bn: 128, bk, rm: 8, rn: 8 };
  if (n > 32) return { bm: 128, bn: 64, bk, rm: 8, rn: 4 };
  return { bm: 128, bn: 32, bk, rm: 4, rn: 4 };
}

export function workgroupSize(t: GemmTiling): [number, number, number] {
  return [t.bn / t.rn, t.bm / t.rm, 1];
}

export function gemmDispatch(s: GemmShape, t: GemmTiling): [number, number, number] {
  return [Math.ceil(s.n / t.bn), Math.ceil(s.m / t.bm), Math.ceil(s.k / s.kChunk)];
}

/** WebGPU's guaranteed maxComputeWorkgroupsPerDimension: larger grids go to the stock kernels. */
export const MAX_WORKGROUPS_PER_DIMENSION = 65535;

export function dispatchFits(d: [number, number, number]): boolean {
  return d.every((x) => x <= MAX_WORKGROUPS_PER_DIMENSION);
}

/** The whole k axis in one split, rounded up to the tiling's step. */
export function wholeK(k: number, t: GemmTiling): number {
  return Math.ceil(k / t.bk) * t.bk;
}

/** FNV-1a of a string, in base 36 (short shader-cache keys for generated code). */
function hash(text: string): string {
  let h = 0x811c9dc5;
  for (let i = 0; i < text.length; i++) {
    h ^= text.charCodeAt(i);
    h = Math.imul(h, 0x01000193) >>> 0;
  }
  return h.toString(36);
}

/**
 * A tfjs-backend-webgpu program running one implicit GEMM. `functions` defines loadA, loadB and
 * storeC (and whatever constants they use); it and the tiling decide the code, so they make the key.
 */
export class GemmProgram implements WebgpuProgram {
  dispatchLayout = { x: [2], y: [1], z: [0] };
  dispatch: [number, number, number];
  workgroupSize: [number, number, number];
  shaderKey: string;

  constructor(
    readonly variableNames: string[],
    readonly outputShape: number[],
    private readonly shape: GemmShape,
    private readonly tiling: GemmTiling,
    name: string,
    private readonly functions: string,
  ) {
    this.dispatch = gemmDispatch(shape, tiling);
    this.workgroupSize = workgroupSize(tiling);
    const t = tiling;
    this.shaderKey = `${name}_${[shape.m, shape.n, shape.k, shape.kChunk, shape.aContiguous, shape.bContiguous, t.bm, t.bn, t.bk, t.rm, t.rn].join('_')}_${hash(functions)}`;
  }

  getUserCode(): string {
    return gemmSource(this.shape, this.tiling, this.functions);
  }
}

function tileLoad(name: 'A' | 'B', rows: number, contiguousRows: boolean, bk: number, threads: number, load: string, rowConst: string, rowBase: string): string {
  // The tile is bk x rows (stored [k][row]); `rows` and `bk` are powers of two.
  const count = (rows * bk) / threads;
  if (!Number.isInteger(count)) throw new Error(`tiled-gemm: ${name} tile ${bk}x${rows} does not split over ${threads} threads`);
  const lines: string[] = [];
  for (let i = 0; i < count; i++) {
    const e = `lid + ${i * threads}`;
    const [kk, rr] = contiguousRows ? [`(${e}) / ${rows}`, `(${e}) % ${rows}`] : [`(${e}) % ${bk}`, `(${e}) / ${bk}`];
    lines.push(`  {
    let kk = ${kk}; let rr = ${rr};
    let gr = ${rowBase} + rr; let gk = k0 + kk;
    var v = 0.0;
    if (gr < ${rowConst} && gk < kEnd) { v = ${load}; }
    let idx = kk * ${rows} + rr;
    ${name}s[idx / 4][idx % 4] = v;
  }`);
  }
  return lines.join('\n');
}

/** The shader's user code (the backend prepends bindings and the `_start` entry point). */
export function gemmSource(s: GemmShape, t: GemmTiling, functions: string): string {
  const { bm, bn, bk, rm, rn } = t;
  if (rm % 4 || rn % 4 || s.kChunk % bk) throw new Error('tiled-gemm: rm and rn must be multiples of 4 and kChunk of bk');
  const threads = (bm / rm) * (bn / rn);
  const compute: string[] = [];
  for (let i = 0; i < rm / 4; i++) compute.push(`    let a${i} = As[(kk * ${bm} + ty * ${rm}) / 4 + ${i}];`);
  for (let j = 0; j < rn / 4; j++) compute.push(`    let b${j} = Bs[(kk * ${bn} + tx * ${rn}) / 4 + ${j}];`);
  for (let r = 0; r < rm; r++) {
    for (let j = 0; j < rn / 4; j++) {
      compute.push(`    acc[${r * (rn / 4) + j}] = fma(vec4<f32>(a${Math.floor(r / 4)}[${r % 4}]), b${j}, acc[${r * (rn / 4) + j}]);`);
    }
  }
  const store: string[] = [];
  for (let r = 0; r < rm; r++) {
    store.push(`  { let gm = m0 + ty * ${rm} + ${r};
    if (gm < GM) {`);
    for (let c = 0; c < rn; c++) {
      store.push(`      if (n0 + tx * ${rn} + ${c} < GN) { storeC(gm, n0 + tx * ${rn} + ${c}, split, acc[${r * (rn / 4) + (c >> 2)}][${c % 4}]); }`);
    }
    store.push('    } }');
  }
  return `
const GM = ${s.m}; const GN = ${s.n}; const GK = ${s.k}; const KCHUNK = ${s.kChunk};
var<workgroup> As : array<vec4<f32>, ${(bk * bm) / 4}>;
var<workgroup> Bs : array<vec4<f32>, ${(bk * bn) / 4}>;
${functions}
fn main() {
  _ = uniforms.NAN; // keeps the uniform binding that the backend always binds
  let tx = i32(localId.x);
  let ty = i32(localId.y);
  let lid = i32(localIndex);
  let n0 = i32(workgroupId.x) * ${bn};
  let m0 = i32(workgroupId.y) * ${bm};
  let split = i32(workgroupId.z);
  let kStart = split * KCHUNK;
  let kEnd = min(kStart + KCHUNK, GK);
  var acc : array<vec4<f32>, ${(rm * rn) / 4}>;
  for (var t = 0; t < KCHUNK / ${bk}; t++) {
    let k0 = kStart + t * ${bk};
${tileLoad('A', bm, s.aContiguous === 'm', bk, threads, 'loadA(gr, gk)', 'GM', 'm0')}
${tileLoad('B', bn, s.bContiguous === 'n', bk, threads, 'loadB(gk, gr)', 'GN', 'n0')}
    workgroupBarrier();
    for (var kk = 0; kk < ${bk}; kk++) {
${compute.join('\n')}
    }
    workgroupBarrier();
  }
${store.join('\n')}
}
`;
}
