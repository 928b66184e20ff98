/**
 * NHWC depthwise 2-D convolution with channel multiplier 1 (dilation 1) and its two gradients,
 * as direct loops whose innermost loop runs over the contiguous channel axis. Bounds are
 * resolved per output row and per tap, never inside the channel loop. The filter is
 * [kH, kW, C, 1], i.e. C values per tap. Filter-gradient sums are carried in float64.
 */
import type { ConvGeometry } from './im2col.js';

/** Output columns [lo, hi) whose tap at column offset `kw` lands inside the input row. */
function colRange(g: ConvGeometry, kw: number): [number, number] {
  const off = kw - g.padLeft;
  const lo = Math.max(0, Math.ceil(-off / g.strideW));
  const hi = Math.min(g.outW, Math.floor((g.inW - 1 - off) / g.strideW) + 1);
  return [lo, Math.max(lo, hi)];
}

/** y [n, outH, outW, C] = depthwise conv of x [n, inH, inW, C] with w [kH, kW, C, 1]. */
export function depthwiseForward(g: ConvGeometry, x: Float32Array, w: Float32Array): Float32Array {
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
