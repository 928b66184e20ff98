/**
 * Training-mode batch norm as two fused kernels (forward and gradient) instead of the ~25
 * broadcast element-wise ops tfjs records for the composite formula in ops.ts: each of those
 * allocates a full-size output (first-touch page faults dominate them), these allocate one.
 *
 * Over x viewed as [M, C] (C the last axis, M every other element):
 *   forward:  mean = Σx / M, var = Σ(x − mean)² / M (biased), y = (x − mean)·γ/√(var + ε) + β
 *   gradient: with k = γ/√(var + ε), given dy and the gradients dmean, dvar reaching the two
 *             statistics outputs (zeros when unused):
 *             dβ = Σdy, dγ = Σdy·(x − mean)/√(var + ε),
 *             dx = k·dy − (k/M)·dβ − (k/(var + ε)/M)·Σdy·(x − mean)·(x − mean) + dmean/M + 2·dvar·(x − mean)/M
 * Sums are carried in float64.
 *
 * `SePruneBatchNormTrain` (inputs x, gamma, beta; attr epsilon; outputs y, mean, variance) and
 * `SePruneBatchNormTrainGrad` are registered on the cpu backend with the other fast kernels
 * (register.ts), with a gradient config for the first; ops.ts uses them when they are
 * registered for the active backend and the composite formula otherwise.
 */
import * as tf from '@tensorflow/tfjs-core';
import { values, type FastKernel } from './conv-kernels.js';

export const BN_TRAIN = 'SePruneBatchNormTrain';
export const BN_TRAIN_GRAD = 'SePruneBatchNormTrainGrad';

/** y, batch mean and biased batch variance of x [M, C] (row-major, C innermost). */
export function batchNormTrainForward(
  x: Float32Array,
  C: number,
  gamma: Float32Array,
  beta: Float32Array,
  epsilon: number,
): { y: Float32Array; mean: Float32Array; variance: Float32Array } {
  const n = x.length;
  const M = n / C;
  const s = new Float64Array(C);
  for (let o = 0; o < n; ) for (let c = 0; c < C; c++, o++) s[c] += x[o];
  const mean = new Float64Array(C);
  for (let c = 0; c < C; c++) mean[c] = M > 0 ? s[c] / M : 0;
  s.fill(0);
  for (let o = 0; o < n; ) {
    for (let c = 0; c < C; c++, o++) {
      const d = x[o] - mean[c];
      s[c] += d * d;
    }
  }
  const variance = new Float32Array(C);
  const scale = new Float64Array(C);
  const shift = new Float64Array(C);
  for (let c = 0; c < C; c++) {
    const v = M > 0 ? s[c] / M : 0;
    variance[c] = v;
    scale[c] = gamma[c] / Math.sqrt(v + epsilon);
    shift[c] = beta[c] - mean[c] * scale[c];
  }
  const y = new Float32Array(n);
  for (let o = 0; o < n; ) for (let c = 0; c < C; c++, o++) y[o] = x[o] * scale[c] + shift[c];
  return { y, mean: Float32Array.from(mean), variance };
}

/** dx, dγ, dβ of the forward above (see the header for the formula). */
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
): { dx: Float32Array; dgamma: Float32Array; dbeta: Float32Array } {
  const n = x.length;
  const M = n / C;
  const sdy = new Float64Array(C);
  const sdyx = new Float64Array(C);
  for (let o = 0; o < n; ) {
    for (let c = 0; c < C; c++, o++) {
      const g = dy[o];
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
  const dx = new Float32Array(n);
  for (let o = 0; o < n; ) for (let c = 0; c < C; c++, o++) dx[o] = k[c] * dy[o] + a[c] * x[o] + b[c];
  return { dx, dgamma, dbeta };
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
    const r = batchNormTrainForward(xv, C, gv, bv, Number(attrs.epsilon));
    return [backend.makeTensorInfo(x.shape, 'float32', r.y), backend.makeTensorInfo([C], 'float32', r.mean), backend.makeTensorInfo([C], 'float32', r.variance)];
  },
  [BN_TRAIN_GRAD]: ({ inputs, attrs = {} }, backend) => {
    const { dy, x, gamma, mean, variance, dmean, dvar } = inputs;
    const all = [dy, x, gamma, mean, variance, dmean, dvar];
    if (!x || all.some((t) => !t)) return null;
    const v = all.map((t) => values(backend, t as tf.TensorInfo));
    if (v.some((a) => !a)) return null;
    const [dyv, xv, gv, mv, vv, dmv, dvv] = v as Float32Array[];
    const C = lastAxis(x);
    const r = batchNormTrainBackward(dyv, xv, C, gv, mv, vv, dmv, dvv, Number(attrs.epsilon));
    return [backend.makeTensorInfo(x.shape, 'float32', r.dx), backend.makeTensorInfo([C], 'float32', r.dgamma), backend.makeTensorInfo([C], 'float32', r.dbeta)];
  },
};

/** Gradient of SePruneBatchNormTrain: one call of the gradient kernel gives all three. */
export const batchNormGradConfig: tf.GradConfig = {
  kernelName: BN_TRAIN,
  inputsToSave: ['x', 'gamma'],
  outputsToSave: [false, true, true],
  gradFunc: (dys, saved, attrs) => {
    const [dy, dmean, dvar] = dys as tf.Tensor[];
    const [x, gamma, mean, variance] = saved;
    const [dx, dgamma, dbeta] = tf.engine().runKernel(BN_TRAIN_GRAD, { dy, x, gamma, mean, variance, dmean, dvar }, attrs) as tf.Tensor[];
    return { x: () => dx, gamma: () => dgamma, beta: () => dbeta };
  },
};

/** True when the fused kernels can run on the active backend. */
export function fusedBatchNormAvailable(): boolean {
  const backend = tf.getBackend();
  return tf.getKernel(BN_TRAIN, backend) !== undefined && tf.getKernel(BN_TRAIN_GRAD, backend) !== undefined;
}

/** Training batch norm through the fused kernel: y, batch mean, biased batch variance. */
export function fusedBatchNormTrain(x: tf.Tensor, gamma: tf.Tensor, beta: tf.Tensor, epsilon: number): [tf.Tensor, tf.Tensor, tf.Tensor] {
  return tf.engine().runKernel(BN_TRAIN, { x, gamma, beta }, { epsilon }) as unknown as [tf.Tensor, tf.Tensor, tf.Tensor];
}
