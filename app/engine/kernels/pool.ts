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
