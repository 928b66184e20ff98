/**
 * Grouped 1×1 convolution (stride 1, no padding; ShuffleNet's group convolutions) as one kernel
 * per direction instead of tfjs' SplitV + one conv per group + Concat, whose copies cost more
 * than the convolutions themselves on SE-ShuffleNet. Each group is one strided matrix product
 * reading its channel slice of x / dy in place:
 *
 *   forward          y[p, g·Og + j]  = Σ_k x[p, g·Ig + k] · w[k, g·Og + j]
 *   input gradient   dx[p, g·Ig + k] = Σ_j dy[p, g·Og + j] · w[k, g·Og + j]
 *   filter gradient  dw[k, g·Og + j] = Σ_p x[p, g·Ig + k] · dy[p, g·Og + j]
 *
 * (w [1, 1, Ig, O], Ig = I / G, Og = O / G.) On the wasm product, whose column count must be a
 * multiple of 8, a group's product may compute up to 7 columns past its slice: those land in
 * the next group's columns (computed after it, so overwritten) or in row padding, and any
 * operand values read past a slice only feed such discarded columns.
 *
 * Kernels `SePruneGroupConv1x1` (x, filter; attr groups), `…BackpropInput` (dy, filter; groups,
 * inputShape) and `…BackpropFilter` (x, dy; groups, filterShape), cpu only, with a gradient
 * config; ops.conv2d uses them when they are registered.
 */
import * as tf from '@tensorflow/tfjs-core';
import { values, type FastKernel } from './conv-kernels.js';
import { gemm } from './gemm.js';
import { withWasm, type WasmKernels } from './wasm/module.js';

export const GROUP_CONV = 'SePruneGroupConv1x1';
export const GROUP_CONV_BPI = 'SePruneGroupConv1x1BackpropInput';
export const GROUP_CONV_BPF = 'SePruneGroupConv1x1BackpropFilter';

export interface GroupDims {
  /** Pixels (N·H·W). */
  P: number;
  I: number;
  O: number;
  G: number;
}

const pad8 = (n: number) => (n + 7) & ~7;
const pad4 = (n: number) => (n + 3) & ~3;

function layout(W: WasmKernels, sizes: number[]): { F: Float32Array; at: number[] } {
  const at: number[] = [];
  let end = 0;
  for (const size of sizes) {
    at.push(end);
    end += pad4(size) + 8; // 8 floats of slack: a last group may read up to 7 past its slice
  }
  return { F: new Float32Array(W.reserve(end * 4)), at };
}

/** Copies `rows` rows of `cols` floats, one every `ld` from F at `off`, densely into a new array. */
function rowsOut(F: Float32Array, off: number, ld: number, rows: number, cols: number): Float32Array {
  const out = new Float32Array(rows * cols);
  if (ld === cols) {
    out.set(F.subarray(off, off + rows * cols));
    return out;
  }
  for (let r = 0; r < rows; r++) out.set(F.subarray(off + r * ld, off + r * ld + cols), r * cols);
  return out;
}

export function groupConvForward(d: GroupDims, x: Float32Array, w: Float32Array): Float32Array {
  const { P, I, O, G } = d;
  const Ig = I / G;
  const Og = O / G;
  const wasm = withWasm((W) => {
    const ld = (G - 1) * Og + pad8(Og);
    const { F, at } = layout(W, [P * I, Ig * O, P * ld]);
    const [xOff, wOff, yOff] = at;
    F.set(x, xOff);
    F.set(w, wOff);
    for (let g = 0; g < G; g++) {
      W.gemm(P, pad8(Og), Ig, (xOff + g * Ig) * 4, I * 4, 4, (wOff + g * Og) * 4, O * 4, (yOff + g * Og) * 4, ld * 4, 0);
    }
    return rowsOut(F, yOff, ld, P, O);
  });
  if (wasm) return wasm;
  const y = new Float32Array(P * O);
  for (let g = 0; g < G; g++) {
    gemm(P, Og, Ig, { data: x, off: g * Ig, row: I, k: 1 }, { data: w, off: g * Og, col: 1, k: O }, { data: y, off: g * Og, ld: O }, false);
  }
  return y;
}

export function groupConvBackpropInput(d: GroupDims, dy: Float32Array, w: Float32Array): Float32Array {
  const { P, I, O, G } = d;
  const Ig = I / G;
  const Og = O / G;
  const wasm = withWasm((W) => {
    const ld = (G - 1) * Ig + pad8(Ig);
    const { F, at } = layout(W, [P * O, O * Ig, P * ld]);
    const [dyOff, wtOff, dxOff] = at;
    F.set(dy, dyOff);
    // wᵀ [O, Ig]: row o holds w[k, o] for every k.
    for (let k = 0; k < Ig; k++) for (let o = 0; o < O; o++) F[wtOff + o * Ig + k] = w[k * O + o];
    for (let g = 0; g < G; g++) {
      W.gemm(P, pad8(Ig), Og, (dyOff + g * Og) * 4, O * 4, 4, (wtOff + g * Og * Ig) * 4, Ig * 4, (dxOff + g * Ig) * 4, ld * 4, 0);
    }
    return rowsOut(F, dxOff, ld, P, I);
  });
  if (wasm) return wasm;
  const dx = new Float32Array(P * I);
  for (let g = 0; g < G; g++) {
    gemm(P, Ig, Og, { data: dy, off: g * Og, row: O, k: 1 }, { data: w, off: g * Og, col: O, k: 1 }, { data: dx, off: g * Ig, ld: I }, false);
  }
  return dx;
}

export function groupConvBackpropFilter(d: GroupDims, x: Float32Array, dy: Float32Array): Float32Array {
  const { P, I, O, G } = d;
  const Ig = I / G;
  const Og = O / G;
  const wasm = withWasm((W) => {
    const ld = (G - 1) * Og + pad8(Og);
    const { F, at } = layout(W, [P * I, P * O, Ig * ld]);
    const [xOff, dyOff, dwOff] = at;
    F.set(x, xOff);
    F.set(dy, dyOff);
    for (let g = 0; g < G; g++) {
      W.gemm(Ig, pad8(Og), P, (xOff + g * Ig) * 4, 4, I * 4, (dyOff + g * Og) * 4, O * 4, (dwOff + g * Og) * 4, ld * 4, 0);
    }
    return rowsOut(F, dwOff, ld, Ig, O);
  });
  if (wasm) return wasm;
  const dw = new Float32Array(Ig * O);
  for (let g = 0; g < G; g++) {
    gemm(Ig, Og, P, { data: x, off: g * Ig, row: 1, k: I }, { data: dy, off: g * Og, col: 1, k: O }, { data: dw, off: g * Og, ld: O }, false);
  }
  return dw;
}

function dims(xShape: number[], O: number, G: number): GroupDims {
  const [n, h, w, I] = xShape;
  return { P: n * h * w, I, O, G };
}

export const groupConvKernels: Record<string, FastKernel> = {
  [GROUP_CONV]: ({ inputs, attrs = {} }, backend) => {
    const { x, filter } = inputs;
    const xv = x && values(backend, x);
    const wv = filter && values(backend, filter);
    if (!x || !filter || !xv || !wv) return null;
    const O = filter.shape[3];
    const [n, h, w] = x.shape;
    return backend.makeTensorInfo([n, h, w, O], 'float32', groupConvForward(dims(x.shape, O, Number(attrs.groups)), xv, wv));
  },
  [GROUP_CONV_BPI]: ({ inputs, attrs = {} }, backend) => {
    const { dy, filter } = inputs;
    const dyv = dy && values(backend, dy);
    const wv = filter && values(backend, filter);
    if (!dy || !filter || !dyv || !wv) return null;
    const inputShape = attrs.inputShape as number[];
    return backend.makeTensorInfo(inputShape, 'float32', groupConvBackpropInput(dims(inputShape, filter.shape[3], Number(attrs.groups)), dyv, wv));
  },
  [GROUP_CONV_BPF]: ({ inputs, attrs = {} }, backend) => {
    const { x, dy } = inputs;
    const xv = x && values(backend, x);
    const dyv = dy && values(backend, dy);
    if (!x || !dy || !xv || !dyv) return null;
    const filterShape = attrs.filterShape as number[];
    return backend.makeTensorInfo(filterShape, 'float32', groupConvBackpropFilter(dims(x.shape, filterShape[3], Number(attrs.groups)), xv, dyv));
  },
};

export const groupConvGradConfig: tf.GradConfig = {
  kernelName: GROUP_CONV,
  inputsToSave: ['x', 'filter'],
  gradFunc: (dy, saved, attrs) => {
    const [x, filter] = saved;
    const groups = attrs.groups;
    return {
      x: () => tf.engine().runKernel(GROUP_CONV_BPI, { dy: dy as tf.Tensor, filter }, { groups, inputShape: x.shape }) as tf.Tensor,
      filter: () => tf.engine().runKernel(GROUP_CONV_BPF, { x, dy: dy as tf.Tensor }, { groups, filterShape: filter.shape }) as tf.Tensor,
    };
  },
};

/**
 * The grouped 1×1 conv through the kernel, or null where it does not apply (other kernel sizes,
 * strides, padding, non-float32, or the kernels not registered on the active backend).
 */
export function groupConv1x1(x: tf.Tensor4D, kernel: tf.Tensor4D, groups: number, strides: [number, number], pads: number[]): tf.Tensor4D | null {
  const [kh, kw, kin, out] = kernel.shape;
  const backend = tf.getBackend();
  if (kh !== 1 || kw !== 1 || strides[0] !== 1 || strides[1] !== 1 || pads.some((p) => p !== 0)) return null;
  if (x.dtype !== 'float32' || kernel.dtype !== 'float32' || kin * groups !== x.shape[3] || out % groups !== 0) return null;
  if (![GROUP_CONV, GROUP_CONV_BPI, GROUP_CONV_BPF].every((k) => tf.getKernel(k, backend))) return null;
  return tf.engine().runKernel(GROUP_CONV, { x, filter: kernel }, { groups }) as tf.Tensor4D;
}
