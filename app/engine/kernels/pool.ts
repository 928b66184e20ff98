/**
 * The input gradient of NHWC average pooling (dilation 1) as a scatter: each output pixel's
 * gradient, divided by the window size (tfjs counts padded taps), is added to every input pixel
 * of its window, a channel row at a time. Same geometry type as the convolutions.
 */
import type { ConvGeometry } from './im2col.js';

/** dx [n, inH, inW, C] from dy [n, outH, outW, C] for a kH×kW average pool. */
export function avgPoolBackprop(g: ConvGeometry, dy: Float32Array): Float32Array {
  const { batch, inH, inW, inC: C, outH, outW, kH, kW, strideH, strideW, padTop, padLeft } = g;
  const dx = new Float32Array(batch * inH * inW * C);
  const scale = 1 / (kH * kW);
  const row = new Float32Array(C);
  for (let n = 0; n < batch; n++) {
    for (let oh = 0; oh < outH; oh++) {
      for (let ow = 0; ow < outW; ow++) {
        const yo = ((n * outH + oh) * outW + ow) * C;
        for (let c = 0; c < C; c++) row[c] = dy[yo + c] * scale;
        for (let kh = 0; kh < kH; kh++) {
          const ih = oh * strideH - padTop + kh;
          if (ih < 0 || ih >= inH) continue;
          for (let kw = 0; kw < kW; kw++) {
            const iw = ow * strideW - padLeft + kw;
            if (iw < 0 || iw >= inW) continue;
            const xo = ((n * inH + ih) * inW + iw) * C;
            for (let c = 0; c < C; c++) dx[xo + c] += row[c];
          }
        }
      }
    }
  }
  return dx;
}

/**
 * NHWC max pooling (dilation 1) with tfjs' semantics: padded taps are skipped, the first strict
 * maximum of a window (row-major) wins, and a window whose values are all −∞ or NaN yields −∞.
 */
export function maxPoolForward(g: ConvGeometry, x: Float32Array): Float32Array {
  const { batch, inH, inW, inC: C, outH, outW, kH, kW, strideH, strideW, padTop, padLeft } = g;
  const y = new Float32Array(batch * outH * outW * C).fill(-Infinity);
  for (let n = 0; n < batch; n++) {
    for (let oh = 0; oh < outH; oh++) {
      const ih0 = oh * strideH - padTop;
      const h0 = Math.max(0, ih0);
      const h1 = Math.min(inH, ih0 + kH);
      for (let ow = 0; ow < outW; ow++) {
        const iw0 = ow * strideW - padLeft;
        const w0 = Math.max(0, iw0);
        const w1 = Math.min(inW, iw0 + kW);
        const yo = ((n * outH + oh) * outW + ow) * C;
        for (let ih = h0; ih < h1; ih++) {
          for (let iw = w0; iw < w1; iw++) {
            const xo = ((n * inH + ih) * inW + iw) * C;
            for (let c = 0; c < C; c++) {
              const v = x[xo + c];
              const m = y[yo + c];
              y[yo + c] = v > m ? v : m;
            }
          }
        }
      }
    }
  }
  return y;
}

/**
 * The flat input index of each output's maximum as maxPoolForward picks it (−1 when none). A
 * function of its own: one taking an optional argmax array was polymorphic and kept being
 * deoptimised, at 3× the cost of the loop.
 */
function maxPoolArgmax(g: ConvGeometry, x: Float32Array): Int32Array {
  const { batch, inH, inW, inC: C, outH, outW, kH, kW, strideH, strideW, padTop, padLeft } = g;
  const best = new Float32Array(batch * outH * outW * C).fill(-Infinity);
  const argmax = new Int32Array(best.length).fill(-1);
  for (let n = 0; n < batch; n++) {
    for (let oh = 0; oh < outH; oh++) {
      const ih0 = oh * strideH - padTop;
      const h0 = Math.max(0, ih0);
      const h1 = Math.min(inH, ih0 + kH);
      for (let ow = 0; ow < outW; ow++) {
        const iw0 = ow * strideW - padLeft;
        const w0 = Math.max(0, iw0);
        const w1 = Math.min(inW, iw0 + kW);
        const yo = ((n * outH + oh) * outW + ow) * C;
        for (let ih = h0; ih < h1; ih++) {
          for (let iw = w0; iw < w1; iw++) {
            const xo = ((n * inH + ih) * inW + iw) * C;
            for (let c = 0; c < C; c++) {
              const v = x[xo + c];
              if (v > best[yo + c]) {
                best[yo + c] = v;
                argmax[yo + c] = xo + c;
              }
            }
          }
        }
      }
    }
  }
  return argmax;
}

/** dx [n, inH, inW, C] of max pooling: each output's gradient goes to its window's maximum (see maxPoolForward). */
export function maxPoolBackprop(g: ConvGeometry, x: Float32Array, dy: Float32Array): Float32Array {
  const argmax = maxPoolArgmax(g, x);
  const dx = new Float32Array(g.batch * g.inH * g.inW * g.inC);
  for (let i = 0; i < dy.length; i++) {
    const at = argmax[i];
    if (at >= 0) dx[at] += dy[i];
  }
  return dx;
}
