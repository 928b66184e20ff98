/**
 * Training-mode batch norm as two fused kernels (forward and gradient) instead of the ~25
 * broadcast element-wise ops tfjs records for the composite formula in ops.ts: each of those
 * allocates a full-size output (first-touch page faults dominate them), these allocate one.
 *
 * Over x viewed as [M, C] (C the last axis, M every other element):
 *   forward:  mean = Σx / M, var = Σ(x − mean)² / M (biased, from shifted sums of x and x² in
 *             one pass), y = (x − mean)·γ/√(var + ε) + β
 *   gradient: with k = γ/√(var + ε), given dy and the gradients dmean, dvar reaching the two
 *             statistics outputs (zeros when unused):
 *             dβ = Σdy, dγ = Σdy·(x − mean)/√(var + ε),
 *             dx = k·dy − (k/M)·dβ − (k/(var + ε)/M)·Σdy·(x − mean)·(x − mean) + dmean/M + 2·dvar·(x − mean)/M
 * Sums are carried in float64. With the attribute `relu` the forward also applies max(·, 0) and
 * the gradient first zeroes dy where y = 0 (NaN stays NaN, as tfjs' ReLU gradient): the
 * conv → BN → ReLU pattern then costs no separate ReLU op, output or gradient.
 *
 * `SePruneBatchNormTrain` (inputs x, gamma, beta; attr epsilon; outputs y, mean, variance) and
 * `SePruneBatchNormTrainGrad` are registered on the cpu backend with the other fast kernels
 * (register.ts), with a gradient config for the first; ops.ts uses them when they are
 * registered for the active backend and the composite formula otherwise.
 */
import * as tf from '@tensorflow/tfjs-core';
import { values, type FastKernel } from './conv-kernels.js';
import { withWasm, type WasmKernels } from './wasm/module.js';

export const BN_TRAIN = 'SePruneBatchNormTrain';
export const BN_TRAIN_GRAD = 'SePruneBatchNormTrainGrad';

/** y, batch mean and biased batch variance of x [M, C] (row-major, C innermost). */
export function batchNormTrainForward(
  x: Float32Array,
  C: number,
  gamma: Float32Array,
  beta: Float32Array,
  epsilon: number,
  relu = false,
): { y: Float32Array; mean: Float32Array; variance: Float32Array } {
  const r = wasmRepeat(C, x.length);
  const viaWasm = r ? withWasm((W) => forwardWasm(W, x, C, r, gamma, beta, epsilon, relu)) : null;
  if (viaWasm) return viaWasm;
  const n = x.length;
  const M = n / C;
  // One pass for both moments, shifted by each channel's first value so that E[d²] − E[d]²
  // does not cancel when the mean is large next to the spread (float64 throughout).
  const shiftBy = new Float64Array(C);
  if (M > 0) for (let c = 0; c < C; c++) shiftBy[c] = x[c];
  const s = new Float64Array(C);
  const q = new Float64Array(C);
  for (let o = 0; o < n; ) {
    for (let c = 0; c < C; c++, o++) {
      const d = x[o] - shiftBy[c];
      s[c] += d;
      q[c] += d * d;
    }
  }
  const mean = new Float64Array(C);
  for (let c = 0; c < C; c++) {
    const m = M > 0 ? s[c] / M : 0;
    mean[c] = shiftBy[c] + m;
    s[c] = M > 0 ? Math.max(0, q[c] / M - m * m) : 0; // s now holds the biased variance
  }
  const variance = new Float32Array(C);
  const scale = new Float64Array(C);
  const shift = new Float64Array(C);
  for (let c = 0; c < C; c++) {
    const v = s[c];
    variance[c] = v;
    scale[c] = gamma[c] / Math.sqrt(v + epsilon);
    shift[c] = beta[c] - mean[c] * scale[c];
  }
  const y = new Float32Array(n);
  if (relu) {
    for (let o = 0; o < n; ) {
      for (let c = 0; c < C; c++, o++) {
        const v = x[o] * scale[c] + shift[c];
        y[o] = v < 0 ? 0 : v;
      }
    }
  } else {
    for (let o = 0; o < n; ) for (let c = 0; c < C; c++, o++) y[o] = x[o] * scale[c] + shift[c];
  }
  return { y, mean: Float32Array.from(mean), variance };
}

/** dy where the forward's ReLU passed the value, 0 where it cut it, NaN where y is NaN. */
function reluMasked(dy: Float32Array, y: Float32Array): Float32Array {
  const out = new Float32Array(dy.length);
  for (let i = 0; i < dy.length; i++) {
    const v = y[i];
    out[i] = v > 0 ? dy[i] : v !== v ? NaN : 0;
  }
  return out;
}

/**
 * dx, dγ, dβ of the forward above (see the header for the formula); `y`, the forward's output,
 * only when it applied ReLU.
 */
export function batchNormTrainBackward(
  dy: Float32Array,
  x: Float32Array,
  C: number,
  gamma: Float32Array,
  mean: Float32Array,
  variance: Float32Array,
  dmean: Float32Array,
  dvar: Float32Array,
  epsilon: number,
  y?: Float32Array,
): { dx: Float32Array; dgamma: Float32Array; dbeta: Float32Array } {
  const r = wasmRepeat(C, x.length);
  const viaWasm = r ? withWasm((W) => backwardWasm(W, dy, x, C, r, gamma, mean, variance, dmean, dvar, epsilon, y)) : null;
  if (viaWasm) return viaWasm;
  const n = x.length;
  const M = n / C;
  const sdy = new Float64Array(C);
  const sdyx = new Float64Array(C);
  // With ReLU the gradient arriving before it is masked first; dx holds the masked values
  // between the two passes (no extra buffer).
  const dx = y ? reluMasked(dy, y) : new Float32Array(n);
  const g0 = y ? dx : dy;
  for (let o = 0; o < n; ) {
    for (let c = 0; c < C; c++, o++) {
      const g = g0[o];
      sdy[c] += g;
      sdyx[c] += g * (x[o] - mean[c]);
    }
  }
  const dgamma = new Float32Array(C);
  const dbeta = new Float32Array(C);
  // dx = k·dy + a·x + b per channel, with a and b folding every term that is linear in x.
  const k = new Float64Array(C);
  const a = new Float64Array(C);
  const b = new Float64Array(C);
  for (let c = 0; c < C; c++) {
    const inv = 1 / Math.sqrt(variance[c] + epsilon);
    dbeta[c] = sdy[c];
    dgamma[c] = sdyx[c] * inv;
    k[c] = gamma[c] * inv;
    const ac = M > 0 ? (-k[c] * inv * inv * sdyx[c] + 2 * dvar[c]) / M : 0;
    a[c] = ac;
    b[c] = (M > 0 ? (-k[c] * sdy[c] + dmean[c]) / M : 0) - ac * mean[c];
  }
  for (let o = 0; o < n; ) for (let c = 0; c < C; c++, o++) dx[o] = k[c] * g0[o] + a[c] * x[o] + b[c];
  return { dx, dgamma, dbeta };
}

// The same two kernels on the wasm module's SIMD passes (wasm/module.ts): operands are copied
// into its memory, channel sums run four lanes at a time in float32 over blocks of BLOCK rows
// and are added up here in float64, and the element pass writes in place over x (forward) or
// dy (gradient) before the result is copied out. The lanes need a row length that is a
// multiple of 4: x [M, C] is viewed as [M/r, r·C] (r = 1, 2 or 4 consecutive pixels per row),
// per-channel constants are repeated r times and the r partial sums of a channel added up.

const BLOCK = 256;

/** Pixels per wasm row for C channels over n values, or 0 when the wasm passes cannot take it. */
function wasmRepeat(C: number, n: number): number {
  if (n === 0 || C === 0) return 0;
  const r = C % 4 === 0 ? 1 : C % 2 === 0 ? 2 : 4;
  return (n / C) % r === 0 ? r : 0;
}

/** Runs `sums` over all rows in blocks, returning the float64 totals of s1 and s2 folded to C channels. */
function blockSums(F: Float32Array, rows: number, C: number, r: number, s1Off: number, s2Off: number, run: (row0: number, count: number) => void): [Float64Array, Float64Array] {
  const S1 = new Float64Array(C);
  const S2 = new Float64Array(C);
  const L = r * C;
  for (let p0 = 0; p0 < rows; p0 += BLOCK) {
    F.fill(0, s1Off, s1Off + L);
    F.fill(0, s2Off, s2Off + L);
    run(p0, Math.min(BLOCK, rows - p0));
    for (let i = 0; i < L; i++) {
      S1[i % C] += F[s1Off + i];
      S2[i % C] += F[s2Off + i];
    }
  }
  return [S1, S2];
}

/** Writes v[c] for c < C, r times over, into F at off. */
function repeatInto(F: Float32Array, off: number, v: ArrayLike<number>, C: number, r: number): void {
  for (let i = 0; i < r * C; i++) F[off + i] = v[i % C];
}

function wasmLayout(W: WasmKernels, sizes: number[]): { F: Float32Array; at: number[] } {
  const at: number[] = [];
  let end = 0;
  for (const size of sizes) {
    at.push(end);
    end += (size + 3) & ~3;
  }
  return { F: new Float32Array(W.reserve(end * 4)), at };
}

function forwardWasm(W: WasmKernels, x: Float32Array, C: number, r: number, gamma: Float32Array, beta: Float32Array, epsilon: number, relu: boolean) {
  const n = x.length;
  const M = n / C;
  const L = r * C;
  const rows = M / r;
  const { F, at } = wasmLayout(W, [n, L, L, L, L, L]);
  const [xOff, centerOff, s1Off, s2Off, aOff, bOff] = at;
  F.set(x, xOff);
  // Sums of d = x − x[first pixel], so that E[d²] − E[d]² does not cancel.
  const first = x.subarray(0, C);
  repeatInto(F, centerOff, first, C, r);
  const cb = L * 4;
  const [S, Q] = blockSums(F, rows, C, r, s1Off, s2Off, (row0, count) => {
    W.bnSums.fwd((xOff + row0 * L) * 4, 0, 0, count, cb, centerOff * 4, s1Off * 4, s2Off * 4);
  });
  const mean = new Float32Array(C);
  const variance = new Float32Array(C);
  const scale = new Float32Array(C);
  const shift = new Float32Array(C);
  for (let c = 0; c < C; c++) {
    const m = S[c] / M;
    const v = Math.max(0, Q[c] / M - m * m);
    const mu = first[c] + m;
    mean[c] = mu;
    variance[c] = v;
    const sc = gamma[c] / Math.sqrt(v + epsilon);
    scale[c] = sc;
    shift[c] = beta[c] - mu * sc;
  }
  repeatInto(F, aOff, scale, C, r);
  repeatInto(F, bOff, shift, C, r);
  W.bnApply[relu ? 'fwdRelu' : 'fwd'](xOff * 4, 0, 0, xOff * 4, rows, cb, 0, aOff * 4, bOff * 4);
  return { y: F.slice(xOff, xOff + n), mean, variance };
}

function backwardWasm(
  W: WasmKernels,
  dy: Float32Array,
  x: Float32Array,
  C: number,
  r: number,
  gamma: Float32Array,
  mean: Float32Array,
  variance: Float32Array,
  dmean: Float32Array,
  dvar: Float32Array,
  epsilon: number,
  y?: Float32Array,
) {
  const n = x.length;
  const M = n / C;
  const L = r * C;
  const rows = M / r;
  const { F, at } = wasmLayout(W, [n, n, y ? n : 0, L, L, L, L, L, L]);
  const [xOff, gOff, yOff, centerOff, s1Off, s2Off, kOff, aOff, bOff] = at;
  F.set(x, xOff);
  F.set(dy, gOff);
  if (y) F.set(y, yOff);
  repeatInto(F, centerOff, mean, C, r);
  const cb = L * 4;
  const mode = y ? 'bwdRelu' : 'bwd';
  const [sdy, sdyx] = blockSums(F, rows, C, r, s1Off, s2Off, (row0, count) => {
    const o = row0 * cb;
    W.bnSums[mode](xOff * 4 + o, gOff * 4 + o, yOff * 4 + o, count, cb, centerOff * 4, s1Off * 4, s2Off * 4);
  });
  const dgamma = new Float32Array(C);
  const dbeta = new Float32Array(C);
  const k = new Float32Array(C);
  const a = new Float32Array(C);
  const b = new Float32Array(C);
  for (let c = 0; c < C; c++) {
    const inv = 1 / Math.sqrt(variance[c] + epsilon);
    dbeta[c] = sdy[c];
    dgamma[c] = sdyx[c] * inv;
    k[c] = gamma[c] * inv;
    const ac = (-k[c] * inv * inv * sdyx[c] + 2 * dvar[c]) / M;
    a[c] = ac;
    b[c] = (-k[c] * sdy[c] + dmean[c]) / M - ac * mean[c];
  }
  repeatInto(F, kOff, k, C, r);
  repeatInto(F, aOff, a, C, r);
  repeatInto(F, bOff, b, C, r);
  W.bnApply[mode](xOff * 4, gOff * 4, yOff * 4, gOff * 4, rows, cb, kOff * 4, aOff * 4, bOff * 4);
  return { dx: F.slice(gOff, gOff + n), dgamma, dbeta };
}

function lastAxis(t: tf.TensorInfo): number {
  return t.shape[t.shape.length - 1] ?? 1;
}

/** The two kernels by name (cpu backend). */
export const batchNormKernels: Record<string, FastKernel> = {
  [BN_TRAIN]: ({ inputs, attrs = {} }, backend) => {
    const { x, gamma, beta } = inputs;
    if (!x || !gamma || !beta) return null;
    const xv = values(backend, x);
    const gv = values(backend, gamma);
    const bv = values(backend, beta);
    if (!xv || !gv || !bv) return null;
    const C = lastAxis(x);
    const r = batchNormTrainForward(xv, C, gv, bv, Number(attrs.epsilon), attrs.relu === true);
    return [backend.makeTensorInfo(x.shape, 'float32', r.y), backend.makeTensorInfo([C], 'float32', r.mean), backend.makeTensorInfo([C], 'float32', r.variance)];
  },
  [BN_TRAIN_GRAD]: ({ inputs, attrs = {} }, backend) => {
    const { dy, x, gamma, mean, variance, dmean, dvar, y } = inputs;
    const relu = attrs.relu === true;
    const all = [dy, x, gamma, mean, variance, dmean, dvar, ...(relu ? [y] : [])];
    if (!x || all.some((t) => !t)) return null;
    const v = all.map((t) => values(backend, t as tf.TensorInfo));
    if (v.some((a) => !a)) return null;
    const [dyv, xv, gv, mv, vv, dmv, dvv, yv] = v as Float32Array[];
    const C = lastAxis(x);
    const r = batchNormTrainBackward(dyv, xv, C, gv, mv, vv, dmv, dvv, Number(attrs.epsilon), relu ? yv : undefined);
    return [backend.makeTensorInfo(x.shape, 'float32', r.dx), backend.makeTensorInfo([C], 'float32', r.dgamma), backend.makeTensorInfo([C], 'float32', r.dbeta)];
  },
};

/** Gradient of SePruneBatchNormTrain: one call of the gradient kernel gives all three. */
export const batchNormGradConfig: tf.GradConfig = {
  kernelName: BN_TRAIN,
  inputsToSave: ['x', 'gamma'],
  outputsToSave: [true, true, true],
  gradFunc: (dys, saved, attrs) => {
    const [dy, dmean, dvar] = dys as tf.Tensor[];
    const [x, gamma, y, mean, variance] = saved;
    const [dx, dgamma, dbeta] = tf.engine().runKernel(BN_TRAIN_GRAD, { dy, x, gamma, mean, variance, dmean, dvar, y }, attrs) as tf.Tensor[];
    return { x: () => dx, gamma: () => dgamma, beta: () => dbeta };
  },
};

/** True when the fused kernels can run on the active backend. */
export function fusedBatchNormAvailable(): boolean {
  const backend = tf.getBackend();
  return tf.getKernel(BN_TRAIN, backend) !== undefined && tf.getKernel(BN_TRAIN_GRAD, backend) !== undefined;
}

/** Training batch norm (then ReLU when `relu`) through the fused kernel: y, batch mean, biased batch variance. */
export function fusedBatchNormTrain(x: tf.Tensor, gamma: tf.Tensor, beta: tf.Tensor, epsilon: number, relu = false): [tf.Tensor, tf.Tensor, tf.Tensor] {
  return tf.engine().runKernel(BN_TRAIN, { x, gamma, beta }, { epsilon, relu }) as unknown as [tf.Tensor, tf.Tensor, tf.Tensor];
}
