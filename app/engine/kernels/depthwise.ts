/**
 * NHWC depthwise 2-D convolution with channel multiplier 1 (dilation 1) and its two gradients,
 * as direct loops whose innermost loop runs over the contiguous channel axis. Bounds are
 * resolved per output row and per tap, never inside the channel loop. The filter is
 * [kH, kW, C, 1], i.e. C values per tap. Filter-gradient sums are carried in float64.
 */
import type { ConvGeometry } from './im2col.js';
import { padIn, padOut, paddedSize, patchTable } from './conv2d.js';
import { withWasm, type WasmKernels } from './wasm/module.js';

/** Output columns [lo, hi) whose tap at column offset `kw` lands inside the input row. */
function colRange(g: ConvGeometry, kw: number): [number, number] {
  const off = kw - g.padLeft;
  const lo = Math.max(0, Math.ceil(-off / g.strideW));
  const hi = Math.min(g.outW, Math.floor((g.inW - 1 - off) / g.strideW) + 1);
  return [lo, Math.max(lo, hi)];
}

/** y [n, outH, outW, C] = depthwise conv of x [n, inH, inW, C] with w [kH, kW, C, 1]. */
export function depthwiseForward(g: ConvGeometry, x: Float32Array, w: Float32Array): Float32Array {
  const viaWasm = withWasm((W) => forwardWasm(W, g, x, w));
  if (viaWasm) return viaWasm;
  const { batch, inH, inW, inC: C, outH, outW, kH, kW, strideH, strideW, padTop } = g;
  const y = new Float32Array(batch * outH * outW * C);
  const ranges = Array.from({ length: kW }, (_, kw) => colRange(g, kw));
  for (let n = 0; n < batch; n++) {
    for (let oh = 0; oh < outH; oh++) {
      const yRow = ((n * outH + oh) * outW) * C;
      for (let kh = 0; kh < kH; kh++) {
        const ih = oh * strideH - padTop + kh;
        if (ih < 0 || ih >= inH) continue;
        const xRow = (n * inH + ih) * inW * C;
        for (let kw = 0; kw < kW; kw++) {
          const [lo, hi] = ranges[kw];
          const wOff = (kh * kW + kw) * C;
          const xStep = strideW * C;
          let xo = xRow + (lo * strideW + kw - g.padLeft) * C;
          for (let ow = lo, yo = yRow + lo * C; ow < hi; ow++, yo += C, xo += xStep) {
            for (let c = 0; c < C; c++) y[yo + c] += x[xo + c] * w[wOff + c];
          }
        }
      }
    }
  }
  return y;
}

/** dx [n, inH, inW, C] from dy [n, outH, outW, C] and w [kH, kW, C, 1]. */
export function depthwiseBackpropInput(g: ConvGeometry, dy: Float32Array, w: Float32Array): Float32Array {
  const viaWasm = withWasm((W) => backpropInputWasm(W, g, dy, w));
  if (viaWasm) return viaWasm;
  const { batch, inH, inW, inC: C, outH, outW, kH, kW, strideH, strideW, padTop } = g;
  const dx = new Float32Array(batch * inH * inW * C);
  const ranges = Array.from({ length: kW }, (_, kw) => colRange(g, kw));
  for (let n = 0; n < batch; n++) {
    for (let oh = 0; oh < outH; oh++) {
      const yRow = ((n * outH + oh) * outW) * C;
      for (let kh = 0; kh < kH; kh++) {
        const ih = oh * strideH - padTop + kh;
        if (ih < 0 || ih >= inH) continue;
        const xRow = (n * inH + ih) * inW * C;
        for (let kw = 0; kw < kW; kw++) {
          const [lo, hi] = ranges[kw];
          const wOff = (kh * kW + kw) * C;
          const xStep = strideW * C;
          let xo = xRow + (lo * strideW + kw - g.padLeft) * C;
          for (let ow = lo, yo = yRow + lo * C; ow < hi; ow++, yo += C, xo += xStep) {
            for (let c = 0; c < C; c++) dx[xo + c] += dy[yo + c] * w[wOff + c];
          }
        }
      }
    }
  }
  return dx;
}

/** dw [kH, kW, C, 1] from x [n, inH, inW, C] and dy [n, outH, outW, C]. */
export function depthwiseBackpropFilter(g: ConvGeometry, x: Float32Array, dy: Float32Array): Float32Array {
  const viaWasm = withWasm((W) => backpropFilterWasm(W, g, x, dy));
  if (viaWasm) return viaWasm;
  const { batch, inH, inW, inC: C, outH, outW, kH, kW, strideH, strideW, padTop } = g;
  const dw = new Float32Array(kH * kW * C);
  const acc = new Float64Array(C);
  for (let kh = 0; kh < kH; kh++) {
    for (let kw = 0; kw < kW; kw++) {
      const [lo, hi] = colRange(g, kw);
      const xStep = strideW * C;
      acc.fill(0);
      for (let n = 0; n < batch; n++) {
        for (let oh = 0; oh < outH; oh++) {
          const ih = oh * strideH - padTop + kh;
          if (ih < 0 || ih >= inH) continue;
          let xo = ((n * inH + ih) * inW + lo * strideW + kw - g.padLeft) * C;
          for (let ow = lo, yo = ((n * outH + oh) * outW + lo) * C; ow < hi; ow++, yo += C, xo += xStep) {
            for (let c = 0; c < C; c++) acc[c] += x[xo + c] * dy[yo + c];
          }
        }
      }
      const wOff = (kh * kW + kw) * C;
      for (let c = 0; c < C; c++) dw[wOff + c] = acc[c];
    }
  }
  return dw;
}

// The same three passes on the wasm module (wasm/module.ts `depthwise`), channels four at a time:
// the input (or a zeroed input gradient) is laid out zero-padded in its memory, so no tap needs
// a bounds check; a table gives each output pixel's window origin, a second one each tap's
// offset from it. Filter-gradient sums are float32 within blocks of BLOCK pixels and added up
// here in float64.

const BLOCK = 256;

function layout(W: WasmKernels, sizes: number[]): { F: Float32Array; at: number[] } {
  const at: number[] = [];
  let end = 0;
  for (const size of sizes) {
    at.push(end);
    end += (size + 3) & ~3;
  }
  return { F: new Float32Array(W.reserve(end * 4)), at };
}

interface Prepared {
  F: Float32Array;
  imageOff: number;
  tableOff: number;
  tapsOff: number;
  wOff: number;
  denseOff: number;
}

/** Lays out [padded image, pixel table, tap offsets, filter (taps·C), dense (P·C)] and fills the tables. */
function prepare(W: WasmKernels, g: ConvGeometry): Prepared & { Hp: number; Wp: number } {
  const C = g.inC;
  const P = g.batch * g.outH * g.outW;
  const taps = g.kH * g.kW;
  const [Hp, Wp] = paddedSize(g);
  const { F, at } = layout(W, [g.batch * Hp * Wp * C, P, taps, taps * C, P * C]);
  const [imageOff, tableOff, tapsOff, wOff, denseOff] = at;
  const I = new Int32Array(F.buffer);
  patchTable(g, imageOff, Hp, Wp, 0, P, I.subarray(tableOff, tableOff + P));
  for (let kh = 0; kh < g.kH; kh++) for (let kw = 0; kw < g.kW; kw++) I[tapsOff + kh * g.kW + kw] = (kh * Wp + kw) * C * 4;
  return { F, imageOff, tableOff, tapsOff, wOff, denseOff, Hp, Wp };
}

function forwardWasm(W: WasmKernels, g: ConvGeometry, x: Float32Array, w: Float32Array): Float32Array {
  const C = g.inC;
  const P = g.batch * g.outH * g.outW;
  const q = prepare(W, g);
  padIn(g, x, q.F, q.imageOff, q.Hp, q.Wp);
  q.F.set(w, q.wOff);
  W.depthwise.fwd(q.tableOff * 4, P, C * 4, (C & ~3) * 4, g.kH * g.kW, q.tapsOff * 4, q.denseOff * 4, q.wOff * 4);
  return q.F.slice(q.denseOff, q.denseOff + P * C);
}

function backpropInputWasm(W: WasmKernels, g: ConvGeometry, dy: Float32Array, w: Float32Array): Float32Array {
  const C = g.inC;
  const P = g.batch * g.outH * g.outW;
  const q = prepare(W, g);
  q.F.fill(0, q.imageOff, q.imageOff + g.batch * q.Hp * q.Wp * C);
  q.F.set(w, q.wOff);
  q.F.set(dy, q.denseOff);
  W.depthwise.bpi(q.tableOff * 4, P, C * 4, (C & ~3) * 4, g.kH * g.kW, q.tapsOff * 4, q.denseOff * 4, q.wOff * 4);
  const dx = new Float32Array(g.batch * g.inH * g.inW * C);
  padOut(g, q.F, q.imageOff, q.Hp, q.Wp, dx);
  return dx;
}

function backpropFilterWasm(W: WasmKernels, g: ConvGeometry, x: Float32Array, dy: Float32Array): Float32Array {
  const C = g.inC;
  const P = g.batch * g.outH * g.outW;
  const taps = g.kH * g.kW;
  const q = prepare(W, g);
  padIn(g, x, q.F, q.imageOff, q.Hp, q.Wp);
  q.F.set(dy, q.denseOff);
  const acc = new Float64Array(taps * C);
  for (let p0 = 0; p0 < P; p0 += BLOCK) {
    const count = Math.min(BLOCK, P - p0);
    q.F.fill(0, q.wOff, q.wOff + taps * C);
    W.depthwise.bpf((q.tableOff + p0) * 4, count, C * 4, (C & ~3) * 4, taps, q.tapsOff * 4, (q.denseOff + p0 * C) * 4, q.wOff * 4);
    for (let i = 0; i < taps * C; i++) acc[i] += q.F[q.wOff + i];
  }
  return Float32Array.from(acc);
}
