/**
 * The squeeze-and-excitation path recomputed in plain JS from the SE block's input, for the
 * calibration ranges of the tensors that exist only inside the lowered block (the pooled vector,
 * the first FC's output, the gate logits). Tiny: [n, C] vectors.
 */
import type { ActivationFn, SeNode } from '../../app/model/ir.js';

/** Global average over H, W: x [n, H·W, C] → [n, C]. */
export function globalAverage(x: Float32Array, n: number, C: number): Float32Array {
  const hw = x.length / n / C;
  const out = new Float32Array(n * C);
  for (let i = 0; i < n; i++) {
    for (let p = 0; p < hw; p++) {
      const base = (i * hw + p) * C;
      for (let c = 0; c < C; c++) out[i * C + c] += x[base + c];
    }
  }
  for (let k = 0; k < out.length; k++) out[k] /= hw;
  return out;
}

/** v [n, I] · W [I, O] + b. */
export function fullyConnected(v: Float32Array, n: number, W: Float32Array, b: Float32Array | undefined, I: number, O: number): Float32Array {
  const out = new Float32Array(n * O);
  for (let i = 0; i < n; i++) {
    for (let o = 0; o < O; o++) {
      let s = b ? b[o] : 0;
      for (let k = 0; k < I; k++) s += v[i * I + k] * W[k * O + o];
      out[i * O + o] = s;
    }
  }
  return out;
}

export function activate(v: Float32Array, fn: ActivationFn, alpha = 1 / 6, beta = 0.5): Float32Array {
  const sig = (z: number): number => 1 / (1 + Math.exp(-z));
  const f: Record<ActivationFn, (z: number) => number> = {
    relu: (z) => Math.max(0, z),
    relu6: (z) => Math.min(6, Math.max(0, z)),
    sigmoid: sig,
    'hard-sigmoid': (z) => Math.min(1, Math.max(0, alpha * z + beta)),
    swish: (z) => z * sig(z),
    'hard-swish': (z) => (z * Math.min(6, Math.max(0, z + 3))) / 6,
    linear: (z) => z,
  };
  return v.map(f[fn]);
}

/** The stages of an SE block's squeeze path, each a function of the block input. */
export function seStages(se: SeNode): {
  pooled: (x: Float32Array, n: number) => Float32Array;
  hiddenPre: (x: Float32Array, n: number) => Float32Array;
  hidden: (x: Float32Array, n: number) => Float32Array;
  logits: (x: Float32Array, n: number) => Float32Array;
} {
  const { channels: C, hidden: H, innerAct } = se.attrs;
  const w = se.weights;
  const pooled = (x: Float32Array, n: number): Float32Array => globalAverage(x, n, C);
  const hiddenPre = (x: Float32Array, n: number): Float32Array => fullyConnected(pooled(x, n), n, w.fc1, w.fc1Bias, C, H);
  const hidden = (x: Float32Array, n: number): Float32Array => activate(hiddenPre(x, n), innerAct);
  const logits = (x: Float32Array, n: number): Float32Array => fullyConnected(hidden(x, n), n, w.fc2, w.fc2Bias, H, C);
  return { pooled, hiddenPre, hidden, logits };
}
