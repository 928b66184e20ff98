/**
 * NHWC 2-D convolution (dilation 1) and its two gradients as matrix products on Float32Array,
 * with output pixels processed in tiles so the patch matrix of a tile stays in cache:
 *
 * - forward:        Y[p, co]  = Σ_k cols[p, k] · W[k, co]           (k = (kh, kw, ci))
 * - input gradient: dcols[p, k] = Σ_co dY[p, co] · W[k, co], then added back with col2im
 * - filter gradient: dW[k, co] += Σ_p cols[p, k] · dY[p, co], summed over tiles
 *
 * A 1×1 stride-1 unpadded conv uses the input itself as the patch matrix. Filter layout
 * [kh, kw, ci, co] is already the K×Co matrix W.
 */
import { gemm } from './gemm.js';
import { col2im, im2col, isPointwise, type ConvGeometry } from './im2col.js';

/** Output pixels per tile: about 32k patch values, at least 64 and at most 1024, a multiple of 4. */
function tileSize(g: ConvGeometry): number {
  const k = g.kH * g.kW * g.inC;
  const t = Math.max(64, Math.min(1024, Math.floor(32768 / k)));
  return t - (t % 4);
}

function pixels(g: ConvGeometry): number {
  return g.batch * g.outH * g.outW;
}

/** Forward convolution: x [n, inH, inW, inC], w [kH, kW, inC, outC] → y [n, outH, outW, outC]. */
export function conv2dForward(g: ConvGeometry, x: Float32Array, w: Float32Array): Float32Array {
  const P = pixels(g);
  const K = g.kH * g.kW * g.inC;
  const y = new Float32Array(P * g.outC);
  const B = { data: w, off: 0, col: 1, k: g.outC };
  if (isPointwise(g)) {
    gemm(P, g.outC, K, { data: x, off: 0, row: K, k: 1 }, B, { data: y, off: 0, ld: g.outC }, false);
    return y;
  }
  const T = tileSize(g);
  const cols = new Float32Array(T * K);
  for (let p0 = 0; p0 < P; p0 += T) {
    const count = Math.min(T, P - p0);
    im2col(g, x, p0, count, cols);
    gemm(count, g.outC, K, { data: cols, off: 0, row: K, k: 1 }, B, { data: y, off: p0 * g.outC, ld: g.outC }, false);
  }
  return y;
}

/** Gradient with respect to the input: dy [n, outH, outW, outC], w → dx [n, inH, inW, inC]. */
export function conv2dBackpropInput(g: ConvGeometry, dy: Float32Array, w: Float32Array): Float32Array {
  const P = pixels(g);
  const K = g.kH * g.kW * g.inC;
  const dx = new Float32Array(g.batch * g.inH * g.inW * g.inC);
  const B = { data: w, off: 0, col: g.outC, k: 1 };
  if (isPointwise(g)) {
    gemm(P, K, g.outC, { data: dy, off: 0, row: g.outC, k: 1 }, B, { data: dx, off: 0, ld: K }, false);
    return dx;
  }
  const T = tileSize(g);
  const cols = new Float32Array(T * K);
  for (let p0 = 0; p0 < P; p0 += T) {
    const count = Math.min(T, P - p0);
    gemm(count, K, g.outC, { data: dy, off: p0 * g.outC, row: g.outC, k: 1 }, B, { data: cols, off: 0, ld: K }, false);
    col2im(g, cols, p0, count, dx);
  }
  return dx;
}

/** Gradient with respect to the filter: x, dy → dw [kH, kW, inC, outC]. */
export function conv2dBackpropFilter(g: ConvGeometry, x: Float32Array, dy: Float32Array): Float32Array {
  const P = pixels(g);
  const K = g.kH * g.kW * g.inC;
  const dw = new Float32Array(K * g.outC);
  const C = { data: dw, off: 0, ld: g.outC };
  const T = tileSize(g);
  const pointwise = isPointwise(g);
  const cols = pointwise ? x : new Float32Array(T * K);
  for (let p0 = 0; p0 < P; p0 += T) {
    const count = Math.min(T, P - p0);
    if (!pointwise) im2col(g, x, p0, count, cols);
    const aOff = pointwise ? p0 * K : 0;
    gemm(K, g.outC, count, { data: cols, off: aOff, row: 1, k: K }, { data: dy, off: p0 * g.outC, col: 1, k: g.outC }, C, true);
  }
  return dw;
}
