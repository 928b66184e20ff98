/**
 * Bias correction for int8 weights (Nagel et al., "Data-Free Quantization", the empirical form):
 * rounding a filter shifts each output's mean by Σ (W_q − W) · E[x] over its taps; subtracting
 * that shift from the bias makes the quantized op's output mean equal the float op's for inputs
 * with the calibration images' per-channel means. Layouts are the TFLite plan's: CONV_2D filters
 * [O, kh, kw, I], DEPTHWISE_CONV_2D [1, kh, kw, C·m] (output c reads input ⌊c / m⌋), and
 * FULLY_CONNECTED [O, I]; `scales` has one entry per output channel, or one for all.
 */
export type WeightLayout = 'conv-filter' | 'dw-filter' | 'fc-weights';

export function correctBias(
  layout: WeightLayout,
  shape: number[],
  w: Float32Array,
  q: Int8Array,
  scales: ArrayLike<number>,
  bias: Float32Array,
  inputMean: ArrayLike<number>,
): Float32Array {
  const out = Float64Array.from(bias);
  const n = w.length;
  const sc = (o: number): number => scales[scales.length > 1 ? o : 0];
  if (layout === 'dw-filter') {
    const C = shape[3];
    const m = C / inputMean.length;
    for (let idx = 0; idx < n; idx++) {
      const o = idx % C;
      out[o] -= (q[idx] * sc(o) - w[idx]) * inputMean[Math.floor(o / m)];
    }
  } else {
    const O = shape[0];
    const I = shape[shape.length - 1];
    if (I !== inputMean.length) return bias;
    const per = n / O;
    for (let idx = 0; idx < n; idx++) {
      const o = Math.floor(idx / per);
      out[o] -= (q[idx] * sc(o) - w[idx]) * inputMean[idx % I];
    }
  }
  return Float32Array.from(out);
}
