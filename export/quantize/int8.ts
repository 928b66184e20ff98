/**
 * Integer quantization arithmetic shared by the writers: per-channel symmetric int8 weights,
 * per-tensor asymmetric uint8 activations, int32 biases, and TF.js-style uint8 affine weights.
 * Rounding is half away from zero as in ONNX QuantizeLinear's reference (saturating).
 */

export interface PerChannel {
  q: Int8Array;
  /** One scale per channel along `axis`. */
  scales: Float32Array;
}

const round = (v: number): number => Math.sign(v) * Math.round(Math.abs(v));

/**
 * Symmetric int8 per channel over the channel axis of a row-major tensor `dims`; values in
 * [−127, 127], zero point 0. A channel of zeros gets scale 1 (any scale is exact for it).
 */
export function quantizePerChannel(w: Float32Array, dims: number[], axis: number): PerChannel {
  const C = dims[axis];
  const inner = dims.slice(axis + 1).reduce((a, b) => a * b, 1);
  const maxAbs = new Float32Array(C);
  for (let i = 0; i < w.length; i++) {
    const c = Math.floor(i / inner) % C;
    maxAbs[c] = Math.max(maxAbs[c], Math.abs(w[i]));
  }
  const scales = new Float32Array(C);
  for (let c = 0; c < C; c++) scales[c] = maxAbs[c] > 0 ? maxAbs[c] / 127 : 1;
  const q = new Int8Array(w.length);
  for (let i = 0; i < w.length; i++) {
    const c = Math.floor(i / inner) % C;
    q[i] = Math.max(-127, Math.min(127, round(w[i] / scales[c])));
  }
  return { q, scales };
}

export interface Affine {
  scale: number;
  zeroPoint: number;
}

/** uint8 activation parameters for a calibrated range; the range is widened to include 0 so 0 is exact. */
export function uint8Params(min: number, max: number): Affine {
  const lo = Math.min(0, min);
  const hi = Math.max(0, max);
  if (!(hi > lo)) return { scale: 1, zeroPoint: 0 };
  const scale = (hi - lo) / 255;
  const zeroPoint = Math.max(0, Math.min(255, round(-lo / scale)));
  return { scale, zeroPoint };
}

/** int32 bias for a quantized conv/gemm: scale_b[o] = s_x · s_w[o]. */
export function quantizeBias(b: Float32Array, inputScale: number, weightScales: Float32Array): { q: Int32Array; scales: Float32Array } {
  const scales = new Float32Array(b.length);
  const q = new Int32Array(b.length);
  for (let o = 0; o < b.length; o++) {
    scales[o] = Math.fround(inputScale * weightScales[o]);
    q[o] = Math.max(-(2 ** 31), Math.min(2 ** 31 - 1, round(b[o] / scales[o])));
  }
  return { q, scales };
}

/** TF.js weight-manifest uint8 quantization: w ≈ q · scale + min. */
export function quantizeUint8Affine(w: Float32Array): { q: Uint8Array; scale: number; min: number } {
  let min = Infinity;
  let max = -Infinity;
  for (const v of w) {
    if (v < min) min = v;
    if (v > max) max = v;
  }
  if (!(max > min)) return { q: new Uint8Array(w.length), scale: 1, min: Number.isFinite(min) ? min : 0 };
  const scale = Math.fround((max - min) / 255);
  const q = new Uint8Array(w.length);
  for (let i = 0; i < w.length; i++) q[i] = Math.max(0, Math.min(255, Math.round((w[i] - min) / scale)));
  return { q, scale, min };
}
