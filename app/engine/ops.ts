/**
 * The IR's node kinds as differentiable tfjs-core ops on NHWC tensors, one function per kind.
 * Weight tensors arrive in the IR layouts (ir.ts). Only ops with registered gradients are used,
 * so every function here trains as well as it infers.
 */
import type { ActivationFn, GateFn } from '../model/ir.js';
import { tf } from './tf.js';
import { fusedBatchNormAvailable, fusedBatchNormTrain } from './kernels/batchnorm.js';
import { fastCpuKernelsActive } from './kernels/register.js';
import { channelScale, hardSigmoid, hardSwish, relu, spatialMean } from './kernels/fused.js';
import { groupConv1x1 } from './kernels/group-conv.js';
import { CONV_BIAS } from './kernels/conv-kernels.js';

type Pads = [number, number, number, number];

function padHW(x: tf.Tensor4D, pads: Pads, value = 0): tf.Tensor4D {
  const [t, l, b, r] = pads;
  if (t === 0 && l === 0 && b === 0 && r === 0) return x;
  return tf.pad(x, [[0, 0], [t, b], [l, r], [0, 0]], value);
}

/**
 * Spreads a kernel [kh, kw, I, O] to [d0·(kh−1)+1, d1·(kw−1)+1, I, O] with zeros between taps,
 * so a dilated conv becomes a plain one (tfjs' conv gradients reject dilations > 1, and tfjs
 * conv rejects strides and dilations > 1 together).
 */
function dilateKernel(k: tf.Tensor4D, d: [number, number]): tf.Tensor4D {
  let out = k;
  for (const axis of [0, 1] as const) {
    const rate = d[axis];
    if (rate === 1) continue;
    const [a, b, i, o] = out.shape;
    const n = axis === 0 ? a : b;
    // Insert a new axis after `axis`, pad it to `rate`, merge, and drop the trailing zeros. The
    // dimensions after the new axis are merged into one, so the padded tensor has rank ≤ 4
    // (tfjs-backend-webgpu's Pad emits invalid WGSL for rank 5).
    const expanded = axis === 0 ? tf.reshape(out, [a, 1, b * i * o]) : tf.reshape(out, [a, b, 1, i * o]);
    const padding: [number, number][] = axis === 0 ? [[0, 0], [0, rate - 1], [0, 0]] : [[0, 0], [0, 0], [0, rate - 1], [0, 0]];
    const spread = tf.pad(expanded, padding);
    const merged = axis === 0 ? tf.reshape(spread, [a * rate, b, i, o]) : tf.reshape(spread, [a, b * rate, i, o]);
    const size = rate * (n - 1) + 1;
    out = tf.slice(merged, [0, 0, 0, 0], axis === 0 ? [size, b, i, o] : [a, size, i, o]) as tf.Tensor4D;
  }
  return out;
}

export interface ConvAttrs {
  strides: [number, number];
  pads: Pads;
  dilations: [number, number];
  groups: number;
}

/** conv2d with explicit pads, strides, dilations and groups; kernel [kh, kw, inC/G, outC]. */
export function conv2d(x: tf.Tensor4D, kernel: tf.Tensor4D, a: ConvAttrs, bias?: tf.Tensor): tf.Tensor4D {
  const inC = x.shape[3];
  const [, , kin, outC] = kernel.shape;
  const G = a.groups;
  const k = dilateKernel(kernel, a.dilations);
  // The fast cpu kernels read padding from the conv's own attributes (taps in the padding are
  // zeros of the patch matrix), which saves a padded copy of x and the Slice of its gradient.
  // Other backends get an explicitly padded input and 'valid', as they always have.
  const [t, l, b, r] = a.pads;
  const inKernel = tf.getBackend() === 'cpu' && fastCpuKernelsActive();
  const xp = inKernel ? x : padHW(x, a.pads);
  const pad: 'valid' | [[number, number], [number, number], [number, number], [number, number]] = inKernel ? [[0, 0], [t, b], [l, r], [0, 0]] : 'valid';
  let y: tf.Tensor4D;
  if (G === 1) {
    if (inKernel && bias && bias.rank === 1 && bias.size === outC && [x, k, bias].every((t) => t.dtype === 'float32') && tf.getKernel(CONV_BIAS, 'cpu')) {
      // One kernel adds the bias into the conv's output (no broadcast Add and its full-size copy).
      return tf.engine().runKernel(CONV_BIAS, { x: xp, filter: k, bias }, { strides: a.strides, pad, dataFormat: 'NHWC', dilations: [1, 1], dimRoundingMode: undefined } as unknown as tf.NamedAttrMap) as tf.Tensor4D;
    }
    y = tf.conv2d(xp, k, a.strides, pad);
  } else if (G === inC && kin === 1) {
    // Depthwise (with channel multiplier outC / inC): [kh, kw, 1, C·m] has the memory order of
    // tfjs' [kh, kw, C, m], since output channel g·m + q belongs to input channel g.
    const dk = tf.reshape(k, [k.shape[0], k.shape[1], inC, outC / inC]) as tf.Tensor4D;
    y = tf.depthwiseConv2d(xp, dk, a.strides, pad);
  } else {
    // Grouped 1×1 (ShuffleNet): one kernel on cpu instead of SplitV + G convs + Concat.
    const grouped = inKernel && a.dilations.every((d) => d === 1) ? groupConv1x1(xp, k, G, a.strides, a.pads) : null;
    if (grouped) return bias ? tf.add(grouped, bias) : grouped;
    const xs = tf.split(xp, G, 3);
    const ks = tf.split(k, G, 3) as tf.Tensor4D[];
    y = tf.concat(
      xs.map((xg, g) => tf.conv2d(xg as tf.Tensor4D, ks[g], a.strides, pad)),
      3,
    );
  }
  return bias ? tf.add(y, bias) : y;
}

export interface PoolAttrs {
  type: 'max' | 'avg';
  global: boolean;
  kernel: [number, number];
  strides: [number, number];
  pads: Pads;
  countIncludePad: boolean;
}

/** Windowed or global pooling; see PoolNode in ir.ts. */
export function pool(x: tf.Tensor4D, a: PoolAttrs): tf.Tensor4D {
  if (a.global) return a.type === 'max' ? tf.max(x, [1, 2], true) : tf.reshape(spatialMean(x), [x.shape[0], 1, 1, x.shape[3]]);
  if (a.type === 'max') return tf.maxPool(padHW(x, a.pads, -Infinity), a.kernel, a.strides, 'valid');
  const summed = tf.avgPool(padHW(x, a.pads), a.kernel, a.strides, 'valid');
  const [t, l, b, r] = a.pads;
  if (a.countIncludePad || t + l + b + r === 0) return summed;
  // Window mean over real pixels only: divide by the fraction of the window that is not padding.
  const [, h, w] = x.shape;
  const ones = tf.ones([1, h, w, 1]) as tf.Tensor4D;
  const frac = tf.avgPool(padHW(ones, a.pads), a.kernel, a.strides, 'valid');
  return tf.div(summed, frac);
}

/** Elementwise activation; hard-sigmoid uses alpha/beta (default 1/6 and 0.5). */
export function activation<T extends tf.Tensor>(x: T, fn: ActivationFn, alpha = 1 / 6, beta = 0.5): T {
  switch (fn) {
    case 'relu':
      return relu(x);
    case 'relu6':
      return tf.relu6(x);
    case 'sigmoid':
      return tf.sigmoid(x);
    case 'hard-sigmoid':
      return hardSigmoid(x, alpha, beta);
    case 'swish':
      return tf.mul(x, tf.sigmoid(x));
    case 'hard-swish':
      return hardSwish(x);
    case 'linear':
      return tf.clone(x);
  }
}

export interface BatchNormWeights {
  gamma: tf.Tensor;
  beta: tf.Tensor;
  mean: tf.Tensor;
  variance: tf.Tensor;
}

/** Inference batch norm with the moving statistics. */
export function batchNormInfer(x: tf.Tensor, w: BatchNormWeights, epsilon: number): tf.Tensor {
  const scale = tf.mul(w.gamma, tf.rsqrt(tf.add(w.variance, epsilon)));
  return tf.add(tf.mul(x, scale), tf.sub(w.beta, tf.mul(w.mean, scale)));
}

/**
 * Training batch norm: normalises with the batch mean and biased variance over all axes but
 * the last, and returns the batch mean and the unbiased variance (what PyTorch folds into its
 * running statistics). With `relu`, y is max(batch norm, 0) (one fused kernel on cpu).
 */
export function batchNormTrain(
  x: tf.Tensor,
  gamma: tf.Tensor,
  beta: tf.Tensor,
  epsilon: number,
  relu = false,
): { y: tf.Tensor; mean: tf.Tensor; unbiasedVar: tf.Tensor } {
  const axes = x.shape.slice(0, -1).map((_, i) => i);
  const C = x.shape[x.rank - 1];
  const count = x.size / C;
  const fusable = x.dtype === 'float32' && [gamma, beta].every((t) => t.dtype === 'float32' && t.rank === 1 && t.size === C);
  if (fusable && fusedBatchNormAvailable()) {
    // One forward and one gradient kernel (kernels/batchnorm.ts) instead of ~25 element-wise ops.
    const [y, mean, variance] = fusedBatchNormTrain(x, gamma, beta, epsilon, relu);
    return { y, mean, unbiasedVar: count > 1 ? tf.mul(variance, count / (count - 1)) : variance };
  }
  const mean = tf.mean(x, axes);
  const centred = tf.sub(x, mean);
  const variance = tf.mean(tf.square(centred), axes);
  const normed = tf.add(tf.mul(tf.mul(centred, tf.rsqrt(tf.add(variance, epsilon))), gamma), beta);
  const unbiasedVar = count > 1 ? tf.mul(variance, count / (count - 1)) : variance;
  return { y: relu ? tf.relu(normed) : normed, mean, unbiasedVar };
}

export interface SeAttrs {
  gate: GateFn;
  gateAlpha: number;
  gateBeta: number;
  innerAct: ActivationFn;
}

export interface SeWeights {
  fc1: tf.Tensor2D;
  fc1Bias?: tf.Tensor;
  fc2: tf.Tensor2D;
  fc2Bias?: tf.Tensor;
}

/** Squeeze-and-excitation: returns the rescaled input and the gate values [N, C]. */
export function squeezeExcite(x: tf.Tensor4D, w: SeWeights, a: SeAttrs): { y: tf.Tensor4D; gate: tf.Tensor2D } {
  const squeezed = spatialMean(x);
  let h: tf.Tensor2D = tf.matMul(squeezed, w.fc1);
  if (w.fc1Bias) h = tf.add(h, w.fc1Bias);
  h = activation(h, a.innerAct);
  let z: tf.Tensor2D = tf.matMul(h, w.fc2);
  if (w.fc2Bias) z = tf.add(z, w.fc2Bias);
  const gate = a.gate === 'sigmoid' ? tf.sigmoid(z) : activation(z, 'hard-sigmoid', a.gateAlpha, a.gateBeta);
  return { y: channelScale(x, gate), gate };
}

/** out[c'·G + g] = in[g·(C/G) + c']. */
export function channelShuffle(x: tf.Tensor4D, groups: number): tf.Tensor4D {
  const [n, h, w, c] = x.shape;
  const r = tf.reshape(x, [n, h, w, groups, c / groups]);
  return tf.reshape(tf.transpose(r, [0, 1, 2, 4, 3]), [n, h, w, c]);
}

/** Dense layer, kernel [in, out]. */
export function dense(x: tf.Tensor2D, kernel: tf.Tensor2D, bias?: tf.Tensor): tf.Tensor2D {
  const y = tf.matMul(x, kernel) as tf.Tensor2D;
  return bias ? tf.add(y, bias) : y;
}

/** NHWC flatten: [N, H·W·C] in row-major NHWC order. */
export function flatten(x: tf.Tensor): tf.Tensor2D {
  return tf.reshape(x, [x.shape[0], -1]);
}
