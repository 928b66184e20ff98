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
import { withWasm, type WasmKernels } from './wasm/module.js';

/** Output pixels per tile: about 32k patch values, at least 64 and at most 1024, a multiple of 4. */
function tileSize(g: ConvGeometry): number {
  const k = g.kH * g.kW * g.inC;
  const t = Math.max(64, Math.min(1024, Math.floor(32768 / k)));
  return t - (t % 4);
}

function pixels(g: ConvGeometry): number {
  return g.batch * g.outH * g.outW;
}

/**
 * Kernel taps that fall in the padding for every output pixel multiply only zeros: on a small
 * image (a 3×3 conv with padding 1 on 1×1 pixels, ResNet's last stage on a 32×32 input) most of
 * the patch matrix is zeros. The taps some output reaches are the range kh0 … kh1 (and kw0 … kw1);
 * the conv over just those, with the padding reduced by kh0 (kw0), is the same conv. Null when
 * every tap is reached.
 */
export function trimTaps(g: ConvGeometry): { g: ConvGeometry; kh0: number; kw0: number } | null {
  const kh0 = Math.max(0, g.padTop - (g.outH - 1) * g.strideH);
  const kh1 = Math.min(g.kH - 1, g.inH + g.padTop - 1);
  const kw0 = Math.max(0, g.padLeft - (g.outW - 1) * g.strideW);
  const kw1 = Math.min(g.kW - 1, g.inW + g.padLeft - 1);
  if (kh0 === 0 && kw0 === 0 && kh1 === g.kH - 1 && kw1 === g.kW - 1) return null;
  if (kh1 < kh0 || kw1 < kw0) return null; // no tap reaches the image: leave it to the plain path
  return { g: { ...g, kH: kh1 - kh0 + 1, kW: kw1 - kw0 + 1, padTop: g.padTop - kh0, padLeft: g.padLeft - kw0 }, kh0, kw0 };
}

/** The taps [kh0, kh0 + t.kH) × [kw0, kw0 + t.kW) of the filter w [kH, kW, inC, outC]. */
function filterTaps(g: ConvGeometry, t: ConvGeometry, kh0: number, kw0: number, w: Float32Array): Float32Array {
  const tap = g.inC * g.outC;
  const out = new Float32Array(t.kH * t.kW * tap);
  for (let kh = 0; kh < t.kH; kh++) {
    const src = ((kh0 + kh) * g.kW + kw0) * tap;
    out.set(w.subarray(src, src + t.kW * tap), kh * t.kW * tap);
  }
  return out;
}

/** Forward convolution: x [n, inH, inW, inC], w [kH, kW, inC, outC] → y [n, outH, outW, outC]. */
export function conv2dForward(g: ConvGeometry, x: Float32Array, w: Float32Array): Float32Array {
  const trim = trimTaps(g);
  if (trim) return conv2dForward(trim.g, x, filterTaps(g, trim.g, trim.kh0, trim.kw0, w));
  const viaWasm = withWasm((W) => forwardWasm(W, g, x, w));
  if (viaWasm) return viaWasm;
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
  const trim = trimTaps(g);
  if (trim) return conv2dBackpropInput(trim.g, dy, filterTaps(g, trim.g, trim.kh0, trim.kw0, w));
  const viaWasm = withWasm((W) => backpropInputWasm(W, g, dy, w));
  if (viaWasm) return viaWasm;
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
  const trim = trimTaps(g);
  if (trim) {
    // The taps no output reaches get zero gradient.
    const t = trim.g;
    const part = conv2dBackpropFilter(t, x, dy);
    const tap = g.inC * g.outC;
    const dw = new Float32Array(g.kH * g.kW * tap);
    for (let kh = 0; kh < t.kH; kh++) dw.set(part.subarray(kh * t.kW * tap, (kh + 1) * t.kW * tap), ((trim.kh0 + kh) * g.kW + trim.kw0) * tap);
    return dw;
  }
  const viaWasm = withWasm((W) => backpropFilterWasm(W, g, x, dy));
  if (viaWasm) return viaWasm;
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

// The same three products on the wasm SIMD kernel (wasm/module.ts). The input (or, for the input
// gradient, a zeroed gradient) lives in its linear memory with the padding materialised, so
// every patch is kH runs of kW·inC consecutive floats that the module's gather / scatterAdd
// move four at a time (the JS im2col was 2/3 of a conv's time). Per call: that padded image,
// the filter, then one tile of patch rows / output gradient at a time; every row the product
// writes or reads as B or C is padded to a multiple of 8 floats.

const pad8 = (n: number) => (n + 7) & ~7;
const pad4 = (n: number) => (n + 3) & ~3;

/** Float offsets of consecutive regions (each 16-byte aligned) and the whole memory as floats. */
function layout(W: WasmKernels, sizes: number[]): { F: Float32Array; at: number[] } {
  const at: number[] = [];
  let end = 0;
  for (const s of sizes) {
    at.push(end);
    end += pad4(s);
  }
  return { F: new Float32Array(W.reserve(end * 4)), at };
}

/** Height and width of the input with its padding, as far as the windows reach. */
export function paddedSize(g: ConvGeometry): [number, number] {
  return [Math.max(g.padTop + g.inH, (g.outH - 1) * g.strideH + g.kH), Math.max(g.padLeft + g.inW, (g.outW - 1) * g.strideW + g.kW)];
}

/** Writes x into F at `off` as the zero-padded image [n, Hp, Wp, C]. */
export function padIn(g: ConvGeometry, x: Float32Array, F: Float32Array, off: number, Hp: number, Wp: number): void {
  const C = g.inC;
  if (Hp === g.inH && Wp === g.inW) {
    F.set(x, off);
    return;
  }
  F.fill(0, off, off + g.batch * Hp * Wp * C);
  const row = g.inW * C;
  for (let n = 0; n < g.batch; n++) {
    for (let h = 0; h < g.inH; h++) {
      const src = (n * g.inH + h) * row;
      F.set(x.subarray(src, src + row), off + ((n * Hp + g.padTop + h) * Wp + g.padLeft) * C);
    }
  }
}

/** Reads the interior of the padded image at `off` in F back into dx [n, inH, inW, C]. */
export function padOut(g: ConvGeometry, F: Float32Array, off: number, Hp: number, Wp: number, dx: Float32Array): void {
  const C = g.inC;
  if (Hp === g.inH && Wp === g.inW) {
    dx.set(F.subarray(off, off + dx.length));
    return;
  }
  const row = g.inW * C;
  for (let n = 0; n < g.batch; n++) {
    for (let h = 0; h < g.inH; h++) {
      const src = off + ((n * Hp + g.padTop + h) * Wp + g.padLeft) * C;
      dx.set(F.subarray(src, src + row), (n * g.inH + h) * row);
    }
  }
}

/** Byte address of the top-left tap of each patch p0 … p0 + count − 1 in the padded image, into `table`. */
export function patchTable(g: ConvGeometry, imageOff: number, Hp: number, Wp: number, p0: number, count: number, table: Int32Array): void {
  const hw = g.outH * g.outW;
  let n = Math.floor(p0 / hw);
  let oh = Math.floor((p0 % hw) / g.outW);
  let ow = p0 % g.outW;
  const C = g.inC;
  for (let p = 0; p < count; p++) {
    table[p] = (imageOff + ((n * Hp + oh * g.strideH) * Wp + ow * g.strideW) * C) * 4;
    if (++ow === g.outW) {
      ow = 0;
      if (++oh === g.outH) {
        oh = 0;
        n++;
      }
    }
  }
}

/** Copies `rows` rows of `cols` floats from src (dense) into dst at `off`, one row every `ld`. */
function copyRowsIn(src: Float32Array, srcOff: number, rows: number, cols: number, dst: Float32Array, off: number, ld: number): void {
  if (ld === cols) {
    dst.set(src.subarray(srcOff, srcOff + rows * cols), off);
    return;
  }
  for (let r = 0; r < rows; r++) dst.set(src.subarray(srcOff + r * cols, srcOff + (r + 1) * cols), off + r * ld);
}

/** Copies `rows` rows of `cols` floats, one every `ld` from src at `off`, densely into dst at dstOff. */
function copyRowsOut(src: Float32Array, off: number, ld: number, rows: number, cols: number, dst: Float32Array, dstOff: number): void {
  if (ld === cols) {
    dst.set(src.subarray(off, off + rows * cols), dstOff);
    return;
  }
  for (let r = 0; r < rows; r++) dst.set(src.subarray(off + r * ld, off + r * ld + cols), dstOff + r * cols);
}


/**
 * Output pixels grouped by the taps that reach the image: a pixel on the border of a small image
 * has some taps in the padding (a 3×3 conv with padding 1 on 2×2 pixels: 4 of 9 taps for
 * every pixel; on 8×8: 84 % over the image). Each class is the pixels (indices p over
 * (n, oh, ow)) whose taps are rows khA … khB and columns kwA … kwB; its products leave the other
 * taps out instead of multiplying zeros. Null when every pixel reaches every tap.
 */
export interface TapClass {
  khA: number;
  khB: number;
  kwA: number;
  kwB: number;
  pixels: Int32Array;
}

const classCache = new Map<string, TapClass[] | null>();

/** tapClasses, remembered per geometry (a training step asks for the same few every time). */
export function tapClasses(g: ConvGeometry): TapClass[] | null {
  const key = [g.batch, g.inH, g.inW, g.outH, g.outW, g.kH, g.kW, g.strideH, g.strideW, g.padTop, g.padLeft].join(',');
  if (classCache.has(key)) return classCache.get(key)!;
  const c = computeTapClasses(g);
  if (classCache.size > 256) classCache.clear();
  classCache.set(key, c);
  return c;
}

function computeTapClasses(g: ConvGeometry): TapClass[] | null {
  const range = (o: number, stride: number, pad: number, k: number, size: number): [number, number] => [Math.max(0, pad - o * stride), Math.min(k - 1, size + pad - 1 - o * stride)];
  const groups = (count: number, stride: number, pad: number, k: number, size: number) => {
    const by = new Map<string, { r: [number, number]; at: number[] }>();
    for (let o = 0; o < count; o++) {
      const r = range(o, stride, pad, k, size);
      const key = `${r[0]},${r[1]}`;
      const e = by.get(key);
      if (e) e.at.push(o);
      else by.set(key, { r, at: [o] });
    }
    return [...by.values()];
  };
  const rows = groups(g.outH, g.strideH, g.padTop, g.kH, g.inH);
  const cols = groups(g.outW, g.strideW, g.padLeft, g.kW, g.inW);
  const full = (e: { r: [number, number] }, k: number) => e.r[0] === 0 && e.r[1] === k - 1;
  if (rows.every((e) => full(e, g.kH)) && cols.every((e) => full(e, g.kW))) return null;
  if ([...rows, ...cols].some((e) => e.r[1] < e.r[0])) return null;
  const out: TapClass[] = [];
  for (const r of rows) {
    for (const c of cols) {
      const pixels = new Int32Array(g.batch * r.at.length * c.at.length);
      let i = 0;
      for (let n = 0; n < g.batch; n++) for (const oh of r.at) for (const ow of c.at) pixels[i++] = (n * g.outH + oh) * g.outW + ow;
      out.push({ khA: r.r[0], khB: r.r[1], kwA: c.r[0], kwB: c.r[1], pixels });
    }
  }
  return out;
}

/** Byte address, in the padded image at `imageOff`, of tap (khA, kwA) of each pixel of `cl` from t0 on, into `table`. */
function classTable(g: ConvGeometry, cl: TapClass, imageOff: number, Hp: number, Wp: number, t0: number, count: number, table: Int32Array): void {
  const hw = g.outH * g.outW;
  for (let i = 0; i < count; i++) {
    const p = cl.pixels[t0 + i];
    const n = Math.floor(p / hw);
    const oh = Math.floor((p % hw) / g.outW);
    const ow = p % g.outW;
    table[i] = (imageOff + ((n * Hp + oh * g.strideH + cl.khA) * Wp + ow * g.strideW + cl.kwA) * g.inC) * 4;
  }
}

/** forwardWasm for convs with tap classes: per class, patch rows and filter rows of its taps only. */
function forwardByClass(W: WasmKernels, g: ConvGeometry, x: Float32Array, w: Float32Array, classes: TapClass[]): Float32Array {
  const K = g.kH * g.kW * g.inC;
  const N = g.outC;
  const Np = pad8(N);
  const T = tileSize(g);
  const [Hp, Wp] = paddedSize(g);
  const y = new Float32Array(pixels(g) * N);
  const { F, at } = layout(W, [g.batch * Hp * Wp * g.inC, T, K * Np, K * Np, T * K, T * Np]);
  const [xOff, tOff, wOff, wcOff, colsOff, outOff] = at;
  const table = new Int32Array(F.buffer, tOff * 4, T);
  padIn(g, x, F, xOff, Hp, Wp);
  F.fill(0, wOff, wOff + K * Np);
  copyRowsIn(w, 0, K, N, F, wOff, Np);
  for (const cl of classes) {
    const segs = cl.khB - cl.khA + 1;
    const len = (cl.kwB - cl.kwA + 1) * g.inC;
    const Kc = segs * len;
    // The class's filter: the rows of its taps, in patch order.
    for (let s = 0; s < segs; s++) {
      const wRow = ((cl.khA + s) * g.kW + cl.kwA) * g.inC;
      F.copyWithin(wcOff + s * len * Np, wOff + wRow * Np, wOff + (wRow + len) * Np);
    }
    for (let t0 = 0; t0 < cl.pixels.length; t0 += T) {
      const count = Math.min(T, cl.pixels.length - t0);
      classTable(g, cl, xOff, Hp, Wp, t0, count, table);
      W.gather(tOff * 4, count, colsOff * 4, Kc * 4, len, segs, Wp * g.inC * 4);
      W.gemm(count, Np, Kc, colsOff * 4, Kc * 4, 4, wcOff * 4, Np * 4, outOff * 4, Np * 4, 0);
      for (let i = 0; i < count; i++) {
        const src = outOff + i * Np;
        const dst = cl.pixels[t0 + i] * N;
        for (let j = 0; j < N; j++) y[dst + j] = F[src + j];
      }
    }
  }
  return y;
}

/** backpropFilterWasm for convs with tap classes: each class's product, added into the filter rows of its taps. */
function backpropFilterByClass(W: WasmKernels, g: ConvGeometry, x: Float32Array, dy: Float32Array, classes: TapClass[]): Float32Array {
  const K = g.kH * g.kW * g.inC;
  const N = g.outC;
  const Np = pad8(N);
  const T = tileSize(g);
  const [Hp, Wp] = paddedSize(g);
  const { F, at } = layout(W, [g.batch * Hp * Wp * g.inC, T, T * K, T * Np, K * Np, K * Np]);
  const [xOff, tOff, colsOff, dyOff, dwOff, dcOff] = at;
  const table = new Int32Array(F.buffer, tOff * 4, T);
  padIn(g, x, F, xOff, Hp, Wp);
  F.fill(0, dyOff, dwOff + K * Np);
  for (const cl of classes) {
    const segs = cl.khB - cl.khA + 1;
    const len = (cl.kwB - cl.kwA + 1) * g.inC;
    const Kc = segs * len;
    F.fill(0, dcOff, dcOff + Kc * Np);
    for (let t0 = 0; t0 < cl.pixels.length; t0 += T) {
      const count = Math.min(T, cl.pixels.length - t0);
      classTable(g, cl, xOff, Hp, Wp, t0, count, table);
      W.gather(tOff * 4, count, colsOff * 4, Kc * 4, len, segs, Wp * g.inC * 4);
      for (let i = 0; i < count; i++) {
        const src = cl.pixels[t0 + i] * N;
        const dst = dyOff + i * Np;
        for (let j = 0; j < N; j++) F[dst + j] = dy[src + j];
      }
      W.gemm(Kc, Np, count, colsOff * 4, 4, Kc * 4, dyOff * 4, Np * 4, dcOff * 4, Np * 4, 1);
    }
    for (let s = 0; s < segs; s++) {
      const dst = dwOff + ((cl.khA + s) * g.kW + cl.kwA) * g.inC * Np;
      const src = dcOff + s * len * Np;
      for (let i = 0; i < len * Np; i++) F[dst + i] += F[src + i];
    }
  }
  const dw = new Float32Array(K * N);
  copyRowsOut(F, dwOff, Np, K, N, dw, 0);
  return dw;
}

function forwardWasm(W: WasmKernels, g: ConvGeometry, x: Float32Array, w: Float32Array): Float32Array {
  const classes = isPointwise(g) ? null : tapClasses(g);
  if (classes) return forwardByClass(W, g, x, w, classes);
  const P = pixels(g);
  const K = g.kH * g.kW * g.inC;
  const N = g.outC;
  const Np = pad8(N);
  const T = tileSize(g);
  const [Hp, Wp] = paddedSize(g);
  const y = new Float32Array(P * N);
  const pointwise = isPointwise(g);
  const { F, at } = layout(W, [pointwise ? 0 : g.batch * Hp * Wp * g.inC, T, K * Np, T * K, T * Np]);
  const [xOff, tOff, wOff, colsOff, outOff] = at;
  const table = new Int32Array(F.buffer, tOff * 4, T);
  if (!pointwise) padIn(g, x, F, xOff, Hp, Wp);
  F.fill(0, wOff, wOff + K * Np);
  copyRowsIn(w, 0, K, N, F, wOff, Np);
  for (let p0 = 0; p0 < P; p0 += T) {
    const count = Math.min(T, P - p0);
    if (pointwise) F.set(x.subarray(p0 * K, (p0 + count) * K), colsOff);
    else {
      patchTable(g, xOff, Hp, Wp, p0, count, table);
      W.gather(tOff * 4, count, colsOff * 4, K * 4, g.kW * g.inC, g.kH, Wp * g.inC * 4);
    }
    W.gemm(count, Np, K, colsOff * 4, K * 4, 4, wOff * 4, Np * 4, outOff * 4, Np * 4, 0);
    copyRowsOut(F, outOff, Np, count, N, y, p0 * N);
  }
  return y;
}

/**
 * For stride 1 (padding at most kernel − 1) the input gradient is the forward convolution of
 * dy, padded by kernel − 1 − pad, with the filter flipped in space and its channel axes swapped:
 * a product with depth kH·kW·outC, where the col2im form has depth outC only (too short for the
 * register-blocked product, and it needs a scatter after it).
 */
function backpropInputAsForward(W: WasmKernels, g: ConvGeometry, dy: Float32Array, w: Float32Array): Float32Array | null {
  const { kH, kW, inC, outC } = g;
  if (g.strideH !== 1 || g.strideW !== 1 || g.padTop > kH - 1 || g.padLeft > kW - 1) return null;
  const flipped: ConvGeometry = {
    batch: g.batch,
    inH: g.outH,
    inW: g.outW,
    inC: outC,
    outH: g.inH,
    outW: g.inW,
    outC: inC,
    kH,
    kW,
    strideH: 1,
    strideW: 1,
    padTop: kH - 1 - g.padTop,
    padLeft: kW - 1 - g.padLeft,
  };
  const w2 = new Float32Array(w.length);
  for (let kh = 0; kh < kH; kh++) {
    for (let kw = 0; kw < kW; kw++) {
      const src = ((kH - 1 - kh) * kW + (kW - 1 - kw)) * inC * outC;
      const dst = (kh * kW + kw) * outC * inC;
      for (let ci = 0; ci < inC; ci++) for (let co = 0; co < outC; co++) w2[dst + co * inC + ci] = w[src + ci * outC + co];
    }
  }
  return forwardWasm(W, flipped, dy, w2);
}

function backpropInputWasm(W: WasmKernels, g: ConvGeometry, dy: Float32Array, w: Float32Array): Float32Array {
  if (!isPointwise(g)) {
    const viaForward = backpropInputAsForward(W, g, dy, w);
    if (viaForward) return viaForward;
  }
  const P = pixels(g);
  const K = g.kH * g.kW * g.inC;
  const N = g.outC;
  const Kp = pad8(K);
  const T = tileSize(g);
  const [Hp, Wp] = paddedSize(g);
  const dx = new Float32Array(g.batch * g.inH * g.inW * g.inC);
  const pointwise = isPointwise(g);
  const { F, at } = layout(W, [pointwise ? 0 : g.batch * Hp * Wp * g.inC, T, N * Kp, T * N, T * Kp]);
  const [dxOff, tOff, wtOff, dyOff, dcOff] = at;
  const table = new Int32Array(F.buffer, tOff * 4, T);
  if (!pointwise) F.fill(0, dxOff, dxOff + g.batch * Hp * Wp * g.inC);
  // B = Wᵀ: row co holds w[k, co] for every k.
  F.fill(0, wtOff, wtOff + N * Kp);
  for (let k = 0; k < K; k++) for (let co = 0; co < N; co++) F[wtOff + co * Kp + k] = w[k * N + co];
  for (let p0 = 0; p0 < P; p0 += T) {
    const count = Math.min(T, P - p0);
    F.set(dy.subarray(p0 * N, (p0 + count) * N), dyOff);
    W.gemm(count, Kp, N, dyOff * 4, N * 4, 4, wtOff * 4, Kp * 4, dcOff * 4, Kp * 4, 0);
    if (pointwise) copyRowsOut(F, dcOff, Kp, count, K, dx, p0 * K);
    else {
      patchTable(g, dxOff, Hp, Wp, p0, count, table);
      W.scatterAdd(tOff * 4, count, dcOff * 4, Kp * 4, g.kW * g.inC, g.kH, Wp * g.inC * 4);
    }
  }
  if (!pointwise) padOut(g, F, dxOff, Hp, Wp, dx);
  return dx;
}

function backpropFilterWasm(W: WasmKernels, g: ConvGeometry, x: Float32Array, dy: Float32Array): Float32Array {
  const classes = isPointwise(g) ? null : tapClasses(g);
  if (classes) return backpropFilterByClass(W, g, x, dy, classes);
  const P = pixels(g);
  const K = g.kH * g.kW * g.inC;
  const N = g.outC;
  const Np = pad8(N);
  const T = tileSize(g);
  const [Hp, Wp] = paddedSize(g);
  const pointwise = isPointwise(g);
  const { F, at } = layout(W, [pointwise ? 0 : g.batch * Hp * Wp * g.inC, T, T * K, T * Np, K * Np]);
  const [xOff, tOff, colsOff, dyOff, dwOff] = at;
  const table = new Int32Array(F.buffer, tOff * 4, T);
  if (!pointwise) padIn(g, x, F, xOff, Hp, Wp);
  F.fill(0, dyOff, dwOff + K * Np);
  for (let p0 = 0; p0 < P; p0 += T) {
    const count = Math.min(T, P - p0);
    if (pointwise) F.set(x.subarray(p0 * K, (p0 + count) * K), colsOff);
    else {
      patchTable(g, xOff, Hp, Wp, p0, count, table);
      W.gather(tOff * 4, count, colsOff * 4, K * 4, g.kW * g.inC, g.kH, Wp * g.inC * 4);
    }
    copyRowsIn(dy, p0 * N, count, N, F, dyOff, Np);
    W.gemm(K, Np, count, colsOff * 4, 4, K * 4, dyOff * 4, Np * 4, dwOff * 4, Np * 4, 1);
  }
  const dw = new Float32Array(K * N);
  copyRowsOut(F, dwOff, Np, K, N, dw, 0);
  return dw;
}
