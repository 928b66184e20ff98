/**
 * tfjs kernel functions (cpu backend) for the element-wise and data-movement ops that dominate a
 * training step once the convolutions are fast: broadcasting Multiply / Add / Sub / RealDiv
 * (batch norm, SE gates and their gradients), Sum / Mean over any axes (broadcast gradients,
 * batch statistics), PadV2 and Slice (its gradient), SplitV, Transpose (channel shuffle), Relu
 * and Step (its gradient), AvgPoolGrad, MaxPool and MaxPoolGrad (tfjs' own walks a TensorBuffer
 * per element: half of a real-size SE-ResNet-18 step). float32 only; anything else, and a contiguous slice
 * (tfjs returns a view for free), goes back to the original kernel (null).
 */
import * as tf from '@tensorflow/tfjs-core';
import { geometry, values, type FastKernel } from './conv-kernels.js';
import { binary, broadcastShape, pad, slice, sumAxes, transpose, type BinaryOp } from './strided.js';
import { avgPoolBackprop, maxPoolBackprop, maxPoolForward } from './pool.js';

/** The geometry of a 2-D pool (MaxPool / MaxPoolGrad attributes) over an NHWC input, or null (dilation, other layouts). */
function poolGeometry(shape: number[], attrs: tf.NamedAttrMap): ReturnType<typeof geometry> {
  if (shape.length !== 4) return null;
  const info = tf.backend_util.computePool2DInfo(
    shape as [number, number, number, number],
    attrs.filterSize as [number, number] | number,
    attrs.strides as [number, number] | number,
    1,
    attrs.pad as 'valid' | 'same' | number,
    attrs.dimRoundingMode as 'floor' | 'round' | 'ceil' | undefined,
  );
  return geometry(info);
}

function binaryKernel(op: BinaryOp): FastKernel {
  return ({ inputs }, backend) => {
    const { a, b } = inputs;
    if (!a || !b) return null;
    const av = values(backend, a);
    const bv = values(backend, b);
    const shape = broadcastShape(a.shape, b.shape);
    if (!av || !bv || !shape) return null;
    return backend.makeTensorInfo(shape, 'float32', binary(op, av, a.shape, bv, b.shape, shape));
  };
}

function reduceKernel(mean: boolean): FastKernel {
  return ({ inputs, attrs = {} }, backend) => {
    const { x } = inputs;
    if (!x) return null;
    const xv = values(backend, x);
    if (!xv) return null;
    const axes = tf.util.parseAxisParam(attrs.axis as number | number[], x.shape);
    const count = axes.reduce((n, ax) => n * x.shape[ax], 1);
    const out = sumAxes(xv, x.shape, axes, mean && count > 0 ? 1 / count : 1);
    const kept = x.shape.filter((_, i) => !axes.includes(i));
    const shape = attrs.keepDims ? tf.backend_util.expandShapeToKeepDim(kept, axes) : kept;
    return backend.makeTensorInfo(shape, 'float32', out);
  };
}

function sliceOf(x: tf.TensorInfo, xv: Float32Array, begin: number[], size: number[], backend: Parameters<FastKernel>[1]): tf.TensorInfo {
  return backend.makeTensorInfo(size, 'float32', slice(xv, x.shape, begin, size));
}

function unaryKernel(f: (x: Float32Array, attrs: tf.NamedAttrMap) => Float32Array): FastKernel {
  return ({ inputs, attrs = {} }, backend) => {
    const { x } = inputs;
    if (!x) return null;
    const xv = values(backend, x);
    if (!xv) return null;
    return backend.makeTensorInfo(x.shape, 'float32', f(xv, attrs));
  };
}

/** The element-wise and data-movement kernels by tfjs kernel name. */
export const tensorKernels: Record<string, FastKernel> = {
  Relu: unaryKernel((x) => {
    const out = new Float32Array(x.length);
    for (let i = 0; i < x.length; i++) {
      const v = x[i];
      out[i] = v < 0 ? 0 : v;
    }
    return out;
  }),
  Step: unaryKernel((x, attrs) => {
    const alpha = Number(attrs.alpha ?? 0);
    const out = new Float32Array(x.length);
    for (let i = 0; i < x.length; i++) {
      const v = x[i];
      out[i] = v > 0 ? 1 : v !== v ? NaN : alpha;
    }
    return out;
  }),
  PadV2: ({ inputs, attrs = {} }, backend) => {
    const { x } = inputs;
    if (!x) return null;
    const xv = values(backend, x);
    if (!xv) return null;
    const paddings = attrs.paddings as [number, number][];
    const shape = x.shape.map((d, i) => paddings[i][0] + d + paddings[i][1]);
    return backend.makeTensorInfo(shape, 'float32', pad(xv, x.shape, paddings, Number(attrs.constantValue ?? 0)));
  },
  Transpose: ({ inputs, attrs = {} }, backend) => {
    const { x } = inputs;
    if (!x) return null;
    const xv = values(backend, x);
    if (!xv) return null;
    const perm = attrs.perm as number[];
    return backend.makeTensorInfo(perm.map((p) => x.shape[p]), 'float32', transpose(xv, x.shape, perm));
  },
  MaxPool: ({ inputs, attrs = {} }, backend) => {
    const { x } = inputs;
    if (!x) return null;
    const xv = values(backend, x);
    const g = xv && poolGeometry(x.shape, attrs);
    if (!xv || !g) return null;
    return backend.makeTensorInfo([g.batch, g.outH, g.outW, g.outC], 'float32', maxPoolForward(g, xv));
  },
  MaxPoolGrad: ({ inputs, attrs = {} }, backend) => {
    const { dy, input } = inputs;
    if (!dy || !input) return null;
    const dyv = values(backend, dy);
    const xv = values(backend, input);
    const g = xv && poolGeometry(input.shape, attrs);
    if (!dyv || !xv || !g) return null;
    return backend.makeTensorInfo(input.shape, 'float32', maxPoolBackprop(g, xv, dyv));
  },
  AvgPoolGrad: ({ inputs, attrs = {} }, backend) => {
    const { dy, input } = inputs;
    if (!dy || !input) return null;
    const dyv = values(backend, dy);
    if (!dyv || input.dtype !== 'float32') return null;
    const info = tf.backend_util.computePool2DInfo(
      input.shape as [number, number, number, number],
      attrs.filterSize as [number, number],
      attrs.strides as [number, number],
      1,
      attrs.pad as 'valid' | 'same' | number,
    );
    const g = geometry(info);
    if (!g) return null;
    return backend.makeTensorInfo(input.shape, 'float32', avgPoolBackprop(g, dyv));
  },
  Multiply: binaryKernel('mul'),
  Add: binaryKernel('add'),
  Sub: binaryKernel('sub'),
  RealDiv: binaryKernel('div'),
  Sum: reduceKernel(false),
  Mean: reduceKernel(true),
  Slice: ({ inputs, attrs = {} }, backend) => {
    const { x } = inputs;
    if (!x) return null;
    const xv = values(backend, x);
    if (!xv) return null;
    const [begin, size] = tf.slice_util.parseSliceParams(x, attrs.begin as number | number[], attrs.size as number | number[] | undefined);
    if (tf.slice_util.isSliceContinous(x.shape, begin, size)) return null;
    tf.slice_util.assertParamsValid(x, begin, size);
    return sliceOf(x, xv, begin, size, backend);
  },
  SplitV: ({ inputs, attrs = {} }, backend) => {
    const { x } = inputs;
    if (!x) return null;
    const xv = values(backend, x);
    if (!xv) return null;
    const axis = tf.util.parseAxisParam(attrs.axis as number, x.shape)[0];
    const sizes = tf.backend_util.prepareSplitSize(x as tf.Tensor, attrs.numOrSizeSplits as number | number[], axis);
    const begin = new Array<number>(x.shape.length).fill(0);
    return sizes.map((s) => {
      const size = [...x.shape];
      size[axis] = s;
      const out = sliceOf(x, xv, [...begin], size, backend);
      begin[axis] += s;
      return out;
    });
  },
};
