/**
 * tfjs kernel functions (cpu backend) for NHWC convolution, plain and depthwise, forward and both
 * gradients, over the array routines of conv2d.ts and depthwise.ts. Each reads its operands the
 * way tfjs-backend-cpu does (`backend.data.get(dataId).values`), derives the geometry with
 * `backend_util.computeConv2DInfo` from the kernel's own attributes, and returns null for a case
 * it does not handle (NCHW, dilation > 1, depthwise channel multiplier ≠ 1, non-float32 input).
 */
import * as tf from '@tensorflow/tfjs-core';
import type { MathBackendCPU } from '@tensorflow/tfjs-backend-cpu';
import { conv2dBackpropFilter, conv2dBackpropInput, conv2dForward } from './conv2d.js';
import { depthwiseBackpropFilter, depthwiseBackpropInput, depthwiseForward } from './depthwise.js';
import type { ConvGeometry } from './im2col.js';

/** A kernel that returns null to hand the call to the original tfjs kernel. */
export type FastKernel = (args: Parameters<tf.KernelFunc>[0], backend: MathBackendCPU) => tf.TensorInfo | tf.TensorInfo[] | null;

type Shape4 = [number, number, number, number];
type Pad = Parameters<typeof tf.backend_util.computeConv2DInfo>[4];
type Rounding = 'floor' | 'round' | 'ceil' | undefined;

/** The float32 values of a tensor on the cpu backend, or null when it is not a float32 tensor. */
export function values(backend: MathBackendCPU, t: tf.TensorInfo): Float32Array | null {
  const v = backend.data.get(t.dataId).values;
  return t.dtype === 'float32' && v instanceof Float32Array ? v : null;
}

function isOne(d: unknown): boolean {
  if (d === undefined || d === null) return true;
  if (typeof d === 'number') return d === 1;
  return Array.isArray(d) && d.every((v) => v === 1);
}

/** The geometry our kernels handle (NHWC, no dilation), from tfjs' conv or pool info; null otherwise. */
export function geometry(info: tf.backend_util.Conv2DInfo): ConvGeometry | null {
  if (info.dataFormat !== 'channelsLast' || info.dilationHeight !== 1 || info.dilationWidth !== 1) return null;
  return {
    batch: info.batchSize,
    inH: info.inHeight,
    inW: info.inWidth,
    inC: info.inChannels,
    outH: info.outHeight,
    outW: info.outWidth,
    outC: info.outChannels,
    kH: info.filterHeight,
    kW: info.filterWidth,
    strideH: info.strideHeight,
    strideW: info.strideWidth,
    padTop: info.padInfo.top,
    padLeft: info.padInfo.left,
  };
}

function convInfo(a: tf.NamedAttrMap, inShape: Shape4, filterShape: Shape4, dilations: unknown, depthwise: boolean): tf.backend_util.Conv2DInfo {
  const format = depthwise ? 'channelsLast' : tf.backend_util.convertConv2DDataFormat((a.dataFormat as 'NHWC' | 'NCHW' | undefined) ?? 'NHWC');
  return tf.backend_util.computeConv2DInfo(
    inShape,
    filterShape,
    a.strides as [number, number],
    dilations as [number, number],
    a.pad as Pad,
    a.dimRoundingMode as Rounding,
    depthwise,
    format,
  );
}

/**
 * `SePruneConv2DBias`: Conv2D (same attributes) plus a per-channel bias, added in place to the
 * product's fresh output, instead of a broadcast Add with its own full-size output. Its gradient
 * (convBiasGradConfig) is the two conv gradient kernels and the bias's sum of dy.
 */
export const CONV_BIAS = 'SePruneConv2DBias';

export const convBiasKernels: Record<string, FastKernel> = {
  [CONV_BIAS]: ({ inputs, attrs = {} }, backend) => {
    const { x, filter, bias } = inputs;
    if (!x || !filter || !bias) return null;
    const xv = values(backend, x);
    const wv = values(backend, filter);
    const bv = values(backend, bias);
    const C = filter.shape[3];
    if (!xv || !wv || !bv || bv.length !== C || !isOne(attrs.dilations)) return null;
    const info = convInfo(attrs, x.shape as Shape4, filter.shape as Shape4, 1, false);
    const g = geometry(info);
    if (!g) return null;
    const y = conv2dForward(g, xv, wv);
    for (let o = 0; o < y.length; o += C) for (let c = 0; c < C; c++) y[o + c] += bv[c];
    return backend.makeTensorInfo(info.outShape, 'float32', y);
  },
};

export const convBiasGradConfig: tf.GradConfig = {
  kernelName: CONV_BIAS,
  inputsToSave: ['x', 'filter'],
  gradFunc: (dy, saved, attrs) => {
    const [x, filter] = saved;
    const d = dy as tf.Tensor4D;
    const a = { strides: attrs.strides, pad: attrs.pad, dataFormat: attrs.dataFormat, dimRoundingMode: attrs.dimRoundingMode };
    return {
      x: () => tf.engine().runKernel('Conv2DBackpropInput', { dy: d, filter }, { ...a, inputShape: x.shape }) as tf.Tensor,
      filter: () => tf.engine().runKernel('Conv2DBackpropFilter', { x, dy: d }, { ...a, filterShape: filter.shape }) as tf.Tensor,
      bias: () => tf.sum(d, [0, 1, 2]),
    };
  },
};

/** The convolution kernels by tfjs kernel name; each returns null for a case it leaves to tfjs. */
export const convKernels: Record<string, FastKernel> = {
  Conv2D: ({ inputs, attrs = {} }, backend) => {
    const { x, filter } = inputs;
    if (!x || !filter) return null;
    const xv = values(backend, x);
    const wv = values(backend, filter);
    if (!xv || !wv || !isOne(attrs.dilations)) return null;
    const info = convInfo(attrs, x.shape as Shape4, filter.shape as Shape4, 1, false);
    const g = geometry(info);
    if (!g) return null;
    return backend.makeTensorInfo(info.outShape, 'float32', conv2dForward(g, xv, wv));
  },
  Conv2DBackpropInput: ({ inputs, attrs = {} }, backend) => {
    const { dy, filter } = inputs;
    if (!dy || !filter) return null;
    const dyv = values(backend, dy);
    const wv = values(backend, filter);
    if (!dyv || !wv) return null;
    const info = convInfo(attrs, attrs.inputShape as Shape4, filter.shape as Shape4, 1, false);
    const g = geometry(info);
    if (!g) return null;
    return backend.makeTensorInfo(info.inShape, 'float32', conv2dBackpropInput(g, dyv, wv));
  },
  Conv2DBackpropFilter: ({ inputs, attrs = {} }, backend) => {
    const { x, dy } = inputs;
    if (!x || !dy) return null;
    const xv = values(backend, x);
    const dyv = values(backend, dy);
    if (!xv || !dyv) return null;
    const info = convInfo(attrs, x.shape as Shape4, attrs.filterShape as Shape4, 1, false);
    const g = geometry(info);
    if (!g) return null;
    return backend.makeTensorInfo(info.filterShape, 'float32', conv2dBackpropFilter(g, xv, dyv));
  },
  DepthwiseConv2dNative: ({ inputs, attrs = {} }, backend) => {
    const { x, filter } = inputs;
    if (!x || !filter) return null;
    const xv = values(backend, x);
    const wv = values(backend, filter);
    if (!xv || !wv || !isOne(attrs.dilations) || filter.shape[3] !== 1) return null;
    const info = convInfo(attrs, x.shape as Shape4, filter.shape as Shape4, 1, true);
    const g = geometry(info);
    if (!g) return null;
    return backend.makeTensorInfo(info.outShape, 'float32', depthwiseForward(g, xv, wv));
  },
  DepthwiseConv2dNativeBackpropInput: ({ inputs, attrs = {} }, backend) => {
    const { dy, filter } = inputs;
    if (!dy || !filter) return null;
    const dyv = values(backend, dy);
    const wv = values(backend, filter);
    if (!dyv || !wv || !isOne(attrs.dilations) || filter.shape[3] !== 1) return null;
    const info = convInfo(attrs, attrs.inputShape as Shape4, filter.shape as Shape4, 1, true);
    const g = geometry(info);
    if (!g) return null;
    return backend.makeTensorInfo(info.inShape, 'float32', depthwiseBackpropInput(g, dyv, wv));
  },
  DepthwiseConv2dNativeBackpropFilter: ({ inputs, attrs = {} }, backend) => {
    const { x, dy } = inputs;
    if (!x || !dy) return null;
    const xv = values(backend, x);
    const dyv = values(backend, dy);
    const filterShape = attrs.filterShape as Shape4;
    if (!xv || !dyv || !isOne(attrs.dilations) || filterShape[3] !== 1) return null;
    const info = convInfo(attrs, x.shape as Shape4, filterShape, 1, true);
    const g = geometry(info);
    if (!g) return null;
    return backend.makeTensorInfo(info.filterShape, 'float32', depthwiseBackpropFilter(g, xv, dyv));
  },
};
