/**
 * Patch matrices for NHWC convolution: `im2col` copies the receptive fields of a run of output
 * pixels into rows of a matrix (one row per output pixel, columns ordered (kh, kw, ci) like the
 * filter [kh, kw, ci, co]), zeros where a tap falls in the padding; `col2im` adds such rows back
 * onto an input-shaped gradient. Output pixels are numbered over (n, oh, ow) in memory order.
 */

/** The geometry of one 2-D convolution (dilation 1), taken from tfjs' `computeConv2DInfo`. */
export interface ConvGeometry {
  batch: number;
  inH: number;
  inW: number;
  inC: number;
  outH: number;
  outW: number;
  outC: number;
  kH: number;
  kW: number;
  strideH: number;
  strideW: number;
  padTop: number;
  padLeft: number;
}

/** True when the patch matrix is the input itself: 1×1 kernel, stride 1, no padding. */
export function isPointwise(g: ConvGeometry): boolean {
  return g.kH === 1 && g.kW === 1 && g.strideH === 1 && g.strideW === 1 && g.padTop === 0 && g.padLeft === 0 && g.outH === g.inH && g.outW === g.inW;
}

/**
 * Writes rows for output pixels [p0, p0 + count) of input `x` into `cols` (row length kH·kW·inC),
 * starting at `cols[off]`, one row every `ld` values (default: the row length, no gap).
 */
export function im2col(g: ConvGeometry, x: Float32Array, p0: number, count: number, cols: Float32Array, off = 0, ld = g.kH * g.kW * g.inC): void {
  const { inH, inW, inC, outH, outW, kH, kW, strideH, strideW, padTop, padLeft } = g;
  const tapRow = kW * inC;
  const gap = ld - kH * tapRow;
  const hw = outH * outW;
  let n = Math.floor(p0 / hw);
  let oh = Math.floor((p0 % hw) / outW);
  let ow = p0 % outW;
  let dst = off;
  for (let p = 0; p < count; p++) {
    const ih0 = oh * strideH - padTop;
    const iw0 = ow * strideW - padLeft;
    const xImg = n * inH * inW * inC;
    const fullRow = iw0 >= 0 && iw0 + kW <= inW;
    for (let kh = 0; kh < kH; kh++) {
      const ih = ih0 + kh;
      if (ih < 0 || ih >= inH) {
        cols.fill(0, dst, dst + tapRow);
        dst += tapRow;
        continue;
      }
      const xRow = xImg + ih * inW * inC;
      if (fullRow) {
        // All kW taps are inside the row: kW·inC consecutive input values.
        let src = xRow + iw0 * inC;
        for (let e = 0; e < tapRow; e++) cols[dst++] = x[src++];
        continue;
      }
      for (let kw = 0; kw < kW; kw++) {
        const iw = iw0 + kw;
        if (iw < 0 || iw >= inW) {
          cols.fill(0, dst, dst + inC);
          dst += inC;
          continue;
        }
        let src = xRow + iw * inC;
        for (let c = 0; c < inC; c++) cols[dst++] = x[src++];
      }
    }
    dst += gap;
    if (++ow === outW) {
      ow = 0;
      if (++oh === outH) {
        oh = 0;
        n++;
      }
    }
  }
}

/**
 * Adds rows for output pixels [p0, p0 + count) of `cols` (from `cols[off]`, one row every `ld`
 * values) onto the input gradient `dx`.
 */
export function col2im(g: ConvGeometry, cols: Float32Array, p0: number, count: number, dx: Float32Array, off = 0, ld = g.kH * g.kW * g.inC): void {
  const { inH, inW, inC, outH, outW, kH, kW, strideH, strideW, padTop, padLeft } = g;
  const gap = ld - kH * kW * inC;
  const hw = outH * outW;
  let n = Math.floor(p0 / hw);
  let oh = Math.floor((p0 % hw) / outW);
  let ow = p0 % outW;
  let src = off;
  for (let p = 0; p < count; p++) {
    const ih0 = oh * strideH - padTop;
    const iw0 = ow * strideW - padLeft;
    const xImg = n * inH * inW * inC;
    const fullRow = iw0 >= 0 && iw0 + kW <= inW;
    for (let kh = 0; kh < kH; kh++) {
      const ih = ih0 + kh;
      if (ih < 0 || ih >= inH) {
        src += kW * inC;
        continue;
      }
      const xRow = xImg + ih * inW * inC;
      if (fullRow) {
        let dst = xRow + iw0 * inC;
        const end = src + kW * inC;
        while (src < end) dx[dst++] += cols[src++];
        continue;
      }
      for (let kw = 0; kw < kW; kw++) {
        const iw = iw0 + kw;
        if (iw < 0 || iw >= inW) {
          src += inC;
          continue;
        }
        let dst = xRow + iw * inC;
        const end = src + inC;
        while (src < end) dx[dst++] += cols[src++];
      }
    }
    src += gap;
    if (++ow === outW) {
      ow = 0;
      if (++oh === outH) {
        oh = 0;
        n++;
      }
    }
  }
}
