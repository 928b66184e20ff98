/**
 * Kernels with their own gradient kernel for the element-wise steps of ReLU and squeeze-and-
 * excitation, where tfjs' gradients take several full-size ops (each a freshly allocated,
 * page-faulting output) for what is one pass:
 *
 * - `SePruneRelu` y = max(x, 0); gradient dx = dy where y > 0, else 0 (NaN stays NaN, as tfjs'
 *   Step-based gradient): one op instead of Step + Multiply.
 * - `SePruneSpatialMean` [N, H, W, C] → [N, C]; gradient dx = dy[n, c] / (H·W) broadcast: one op
 *   instead of ones + Multiply + RealDiv.
 * - `SePruneChannelScale` y = x[n, h, w, c] · s[n, c]; gradient dx = dy · s and ds = Σ_hw dy · x in
 *   one pass instead of two Multiply and a Sum.
 *
 * - `SePruneHardSwish` y = x · relu6(x + 3) / 6 and `SePruneHardSigmoid` y = clip(α·x + β, 0, 1),
 *   each with a gradient kernel: MobileNetV3's activations, which tfjs runs as 4 ops forward and
 *   ~10 backward (Relu6, LessEqual, Step, ClipByValue, LogicalAnd, …), half of its step. The
 *   results are bit-identical to those ops (float32 rounding where they store).
 *
 * They are registered on the cpu backend with the other fast kernels (register.ts), with a
 * gradient config each; ops.ts uses them when they are registered for the active backend.
 */
import * as tf from '@tensorflow/tfjs-core';
import { values, type FastKernel } from './conv-kernels.js';

export const RELU = 'SePruneRelu';
export const RELU_GRAD = 'SePruneReluGrad';
export const SPATIAL_MEAN = 'SePruneSpatialMean';
export const SPATIAL_MEAN_GRAD = 'SePruneSpatialMeanGrad';
export const CHANNEL_SCALE = 'SePruneChannelScale';
export const CHANNEL_SCALE_GRAD = 'SePruneChannelScaleGrad';

export const HARD_SWISH = 'SePruneHardSwish';
export const HARD_SWISH_GRAD = 'SePruneHardSwishGrad';
export const HARD_SIGMOID = 'SePruneHardSigmoid';
export const HARD_SIGMOID_GRAD = 'SePruneHardSigmoidGrad';

const fr = Math.fround;

/** x · relu6(x + 3) / 6, as tf.div(tf.mul(x, tf.relu6(tf.add(x, 3))), 6) rounds it. */
export function hardSwishForward(x: Float32Array): Float32Array {
  const y = new Float32Array(x.length);
  for (let i = 0; i < x.length; i++) {
    const v = x[i];
    const r = Math.min(Math.max(0, fr(v + 3)), 6);
    y[i] = fr(v * r) / 6;
  }
  return y;
}

/** dx of hard-swish from dy and the input x (the gradient tfjs derives for those four ops). */
export function hardSwishBackward(dy: Float32Array, x: Float32Array): Float32Array {
  const dx = new Float32Array(x.length);
  for (let i = 0; i < x.length; i++) {
    const v = x[i];
    const t = fr(v + 3);
    const r = Math.min(Math.max(0, t), 6);
    const dp = fr(dy[i] / 6);
    // relu6's mask: (t ≤ 6) · step(t), step NaN for NaN.
    const mask = t !== t ? NaN : t <= 6 && t > 0 ? 1 : 0;
    dx[i] = fr(dp * r) + fr(fr(dp * v) * mask);
  }
  return dx;
}

/** clip(α·x + β, 0, 1), as tf.clipByValue(tf.add(tf.mul(x, α), β), 0, 1) rounds it. */
export function hardSigmoidForward(x: Float32Array, alpha: number, beta: number): Float32Array {
  const A = fr(alpha);
  const B = fr(beta);
  const y = new Float32Array(x.length);
  for (let i = 0; i < x.length; i++) {
    const t = fr(fr(x[i] * A) + B);
    y[i] = t > 1 ? 1 : t < 0 ? 0 : t;
  }
  return y;
}

export function hardSigmoidBackward(dy: Float32Array, x: Float32Array, alpha: number, beta: number): Float32Array {
  const A = fr(alpha);
  const B = fr(beta);
  const dx = new Float32Array(x.length);
  for (let i = 0; i < x.length; i++) {
    const t = fr(fr(x[i] * A) + B);
    dx[i] = (t >= 0 && t <= 1 ? dy[i] : 0) * A;
  }
  return dx;
}

// ReLU and its gradient on the float bits, without a data-dependent branch: on real
// activations (about half negative, in no pattern) `v < 0 ? 0 : v` mispredicts every other
// element, which made these two loops cost 6–7 ns per value.

/** All ones when the float bits `b` are a NaN, else 0. */
const nanMask = (b: number) => (0x7f800000 - (b & 0x7fffffff)) >> 31;

export function reluForward(x: Float32Array): Float32Array {
  const y = new Float32Array(x.length);
  const xi = new Int32Array(x.buffer, x.byteOffset, x.length);
  const yi = new Int32Array(y.buffer);
  for (let i = 0; i < xi.length; i++) {
    const b = xi[i];
    // Negative (sign bit set, −0 included) and not NaN → +0; otherwise x.
    yi[i] = b & ~((b >> 31) & ~nanMask(b));
  }
  return y;
}

/** dx from dy and the forward's output y: dy where y > 0, NaN where y is NaN, else 0. */
export function reluBackward(dy: Float32Array, y: Float32Array): Float32Array {
  const dx = new Float32Array(y.length);
  const yi = new Int32Array(y.buffer, y.byteOffset, y.length);
  const di = new Int32Array(dy.buffer, dy.byteOffset, dy.length);
  const oi = new Int32Array(dx.buffer);
  for (let i = 0; i < yi.length; i++) {
    const b = yi[i];
    const nan = nanMask(b);
    // All ones for b > 0 as an int32 (a positive float or a positive NaN), else 0.
    const pos = (-b >> 31) & ~(b >> 31);
    oi[i] = (di[i] & pos & ~nan) | (b & nan);
  }
  return dx;
}

/** Mean over H and W of x [N, HW, C] → [N, C] (float64 sums). */
export function spatialMeanForward(x: Float32Array, N: number, HW: number, C: number): Float32Array {
  const out = new Float32Array(N * C);
  const s = new Float64Array(C);
  for (let n = 0; n < N; n++) {
    s.fill(0);
    for (let p = 0, o = n * HW * C; p < HW; p++) for (let c = 0; c < C; c++, o++) s[c] += x[o];
    for (let c = 0; c < C; c++) out[n * C + c] = s[c] / HW;
  }
  return out;
}

export function spatialMeanBackward(dy: Float32Array, N: number, HW: number, C: number): Float32Array {
  const dx = new Float32Array(N * HW * C);
  const g = new Float32Array(C);
  for (let n = 0; n < N; n++) {
    for (let c = 0; c < C; c++) g[c] = dy[n * C + c] / HW;
    for (let p = 0, o = n * HW * C; p < HW; p++) for (let c = 0; c < C; c++, o++) dx[o] = g[c];
  }
  return dx;
}

export function channelScaleForward(x: Float32Array, s: Float32Array, N: number, HW: number, C: number): Float32Array {
  const y = new Float32Array(x.length);
  for (let n = 0; n < N; n++) {
    const so = n * C;
    for (let p = 0, o = n * HW * C; p < HW; p++) for (let c = 0; c < C; c++, o++) y[o] = x[o] * s[so + c];
  }
  return y;
}

export function channelScaleBackward(dy: Float32Array, x: Float32Array, s: Float32Array, N: number, HW: number, C: number): { dx: Float32Array; ds: Float32Array } {
  const dx = new Float32Array(x.length);
  const ds = new Float32Array(N * C);
  const acc = new Float64Array(C);
  for (let n = 0; n < N; n++) {
    const so = n * C;
    acc.fill(0);
    for (let p = 0, o = n * HW * C; p < HW; p++) {
      for (let c = 0; c < C; c++, o++) {
        const g = dy[o];
        dx[o] = g * s[so + c];
        acc[c] += g * x[o];
      }
    }
    for (let c = 0; c < C; c++) ds[so + c] = acc[c];
  }
  return { dx, ds };
}

/** [N, HW, C] of a rank-4 NHWC tensor, or null. */
function nhwc(t: tf.TensorInfo): [number, number, number] | null {
  if (t.shape.length !== 4) return null;
  const [n, h, w, c] = t.shape;
  return [n, h * w, c];
}

function floats(backend: Parameters<FastKernel>[1], ...ts: (tf.TensorInfo | undefined)[]): Float32Array[] | null {
  const out: Float32Array[] = [];
  for (const t of ts) {
    const v = t ? values(backend, t) : null;
    if (!v) return null;
    out.push(v);
  }
  return out;
}

export const fusedKernels: Record<string, FastKernel> = {
  [HARD_SWISH]: ({ inputs }, backend) => {
    const v = floats(backend, inputs.x);
    if (!v || !inputs.x) return null;
    return backend.makeTensorInfo(inputs.x.shape, 'float32', hardSwishForward(v[0]));
  },
  [HARD_SWISH_GRAD]: ({ inputs }, backend) => {
    const v = floats(backend, inputs.dy, inputs.x);
    if (!v || !inputs.x) return null;
    return backend.makeTensorInfo(inputs.x.shape, 'float32', hardSwishBackward(v[0], v[1]));
  },
  [HARD_SIGMOID]: ({ inputs, attrs = {} }, backend) => {
    const v = floats(backend, inputs.x);
    if (!v || !inputs.x) return null;
    return backend.makeTensorInfo(inputs.x.shape, 'float32', hardSigmoidForward(v[0], attrs.alpha as number, attrs.beta as number));
  },
  [HARD_SIGMOID_GRAD]: ({ inputs, attrs = {} }, backend) => {
    const v = floats(backend, inputs.dy, inputs.x);
    if (!v || !inputs.x) return null;
    return backend.makeTensorInfo(inputs.x.shape, 'float32', hardSigmoidBackward(v[0], v[1], attrs.alpha as number, attrs.beta as number));
  },
  [RELU]: ({ inputs }, backend) => {
    const v = floats(backend, inputs.x);
    if (!v || !inputs.x) return null;
    return backend.makeTensorInfo(inputs.x.shape, 'float32', reluForward(v[0]));
  },
  [RELU_GRAD]: ({ inputs }, backend) => {
    const v = floats(backend, inputs.dy, inputs.y);
    if (!v || !inputs.y) return null;
    return backend.makeTensorInfo(inputs.y.shape, 'float32', reluBackward(v[0], v[1]));
  },
  [SPATIAL_MEAN]: ({ inputs }, backend) => {
    const v = floats(backend, inputs.x);
    const d = inputs.x && nhwc(inputs.x);
    if (!v || !d) return null;
    return backend.makeTensorInfo([d[0], d[2]], 'float32', spatialMeanForward(v[0], ...d));
  },
  [SPATIAL_MEAN_GRAD]: ({ inputs, attrs = {} }, backend) => {
    const v = floats(backend, inputs.dy);
    const shape = attrs.shape as [number, number, number, number];
    if (!v) return null;
    return backend.makeTensorInfo(shape, 'float32', spatialMeanBackward(v[0], shape[0], shape[1] * shape[2], shape[3]));
  },
  [CHANNEL_SCALE]: ({ inputs }, backend) => {
    const v = floats(backend, inputs.x, inputs.s);
    const d = inputs.x && nhwc(inputs.x);
    if (!v || !d || !inputs.x) return null;
    return backend.makeTensorInfo(inputs.x.shape, 'float32', channelScaleForward(v[0], v[1], ...d));
  },
  [CHANNEL_SCALE_GRAD]: ({ inputs }, backend) => {
    const v = floats(backend, inputs.dy, inputs.x, inputs.s);
    const d = inputs.x && nhwc(inputs.x);
    if (!v || !d || !inputs.x || !inputs.s) return null;
    const r = channelScaleBackward(v[0], v[1], v[2], ...d);
    return [backend.makeTensorInfo(inputs.x.shape, 'float32', r.dx), backend.makeTensorInfo(inputs.s.shape, 'float32', r.ds)];
  },
};

const run = (name: string, inputs: tf.NamedTensorMap, attrs: tf.NamedAttrMap = {}) => tf.engine().runKernel(name, inputs, attrs);

export const fusedGradConfigs: tf.GradConfig[] = [
  {
    kernelName: HARD_SWISH,
    inputsToSave: ['x'],
    gradFunc: (dy, saved) => ({ x: () => run(HARD_SWISH_GRAD, { dy: dy as tf.Tensor, x: saved[0] }) as tf.Tensor }),
  },
  {
    kernelName: HARD_SIGMOID,
    inputsToSave: ['x'],
    gradFunc: (dy, saved, attrs) => ({ x: () => run(HARD_SIGMOID_GRAD, { dy: dy as tf.Tensor, x: saved[0] }, { alpha: attrs.alpha, beta: attrs.beta }) as tf.Tensor }),
  },
  {
    kernelName: RELU,
    outputsToSave: [true],
    gradFunc: (dy, saved) => ({ x: () => run(RELU_GRAD, { dy: dy as tf.Tensor, y: saved[0] }) as tf.Tensor }),
  },
  {
    kernelName: SPATIAL_MEAN,
    inputsToSave: ['x'],
    gradFunc: (dy, saved) => ({ x: () => run(SPATIAL_MEAN_GRAD, { dy: dy as tf.Tensor }, { shape: saved[0].shape }) as tf.Tensor }),
  },
  {
    kernelName: CHANNEL_SCALE,
    inputsToSave: ['x', 's'],
    gradFunc: (dy, saved) => {
      const [dx, ds] = run(CHANNEL_SCALE_GRAD, { dy: dy as tf.Tensor, x: saved[0], s: saved[1] }) as tf.Tensor[];
      return { x: () => dx, s: () => ds };
    },
  },
];

function registered(...names: string[]): boolean {
  const backend = tf.getBackend();
  return names.every((n) => tf.getKernel(n, backend) !== undefined);
}

const isF32 = (...ts: tf.Tensor[]) => ts.every((t) => t.dtype === 'float32');

/** max(x, 0) through the fused kernel where it is registered, else tf.relu. */
export function relu<T extends tf.Tensor>(x: T): T {
  if (isF32(x) && registered(RELU, RELU_GRAD)) return run(RELU, { x }) as T;
  return tf.relu(x);
}

/** x · relu6(x + 3) / 6 through the fused kernel where it is registered, else as tfjs ops. */
export function hardSwish<T extends tf.Tensor>(x: T): T {
  if (isF32(x) && registered(HARD_SWISH, HARD_SWISH_GRAD)) return run(HARD_SWISH, { x }) as T;
  return tf.div(tf.mul(x, tf.relu6(tf.add(x, 3))), 6);
}

/** clip(α·x + β, 0, 1) through the fused kernel where it is registered, else as tfjs ops. */
export function hardSigmoid<T extends tf.Tensor>(x: T, alpha: number, beta: number): T {
  if (isF32(x) && registered(HARD_SIGMOID, HARD_SIGMOID_GRAD)) return run(HARD_SIGMOID, { x }, { alpha, beta }) as T;
  return tf.clipByValue(tf.add(tf.mul(x, alpha), beta), 0, 1) as T;
}

/** Mean of x [N, H, W, C] over H and W → [N, C]. */
export function spatialMean(x: tf.Tensor4D): tf.Tensor2D {
  if (isF32(x) && registered(SPATIAL_MEAN, SPATIAL_MEAN_GRAD)) return run(SPATIAL_MEAN, { x }) as tf.Tensor2D;
  return tf.mean(x, [1, 2]);
}

/** x [N, H, W, C] · s [N, C] (one scale per image and channel). */
export function channelScale(x: tf.Tensor4D, s: tf.Tensor2D): tf.Tensor4D {
  if (isF32(x, s) && registered(CHANNEL_SCALE, CHANNEL_SCALE_GRAD)) return run(CHANNEL_SCALE, { x, s }) as tf.Tensor4D;
  const [n, , , c] = x.shape;
  return tf.mul(x, tf.reshape(s, [n, 1, 1, c]));
}
