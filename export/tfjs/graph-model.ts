/**
 * IR → TF.js graph model (the GraphDef-style JSON that `tf.loadGraphModel` reads) plus its weight
 * list. NHWC throughout, float32 input `input` [-1, H, W, C], output node `logits`.
 *
 * Op mapping (every op is in tfjs-converter's op list): conv2d → Pad + Conv2D (VALID) + BiasAdd,
 * depthwise → DepthwiseConv2dNative (kernel [kh, kw, C, multiplier]), grouped conv → SplitV +
 * Conv2D per group + ConcatV2; batch norm (when not folded into its conv) → Mul + AddV2;
 * activations → Relu, Relu6, Sigmoid, and hard-sigmoid / hard-swish / swish from Mul, AddV2,
 * ClipByValue, Relu6, Sigmoid; SE → Mean + MatMul (+ BiasAdd) + act + MatMul (+ BiasAdd) + gate +
 * Reshape + Mul; add → AddV2 / AddN; concat → ConcatV2; split → SplitV; channel shuffle →
 * Reshape + Transpose + Reshape; pools → PadV2 + MaxPool / AvgPool (VALID), Mean / Max for global;
 * dense → MatMul + BiasAdd; flatten → Reshape.
 */
import type { ActivationFn, Graph, Node } from '../../app/model/ir.js';
import { outputNames } from '../../app/model/ir.js';
import { inferShapes, type Shape } from '../../app/model/shapes.js';

type AttrValue =
  | { type: string }
  | { s: string }
  | { i: string }
  | { f: number }
  | { b: boolean }
  | { list: { i?: string[]; f?: number[] } }
  | { shape: { dim: { size: string }[] } }
  | { tensor: { dtype: string; tensorShape: { dim?: { size: string }[] } } };

export interface TfNode {
  name: string;
  op: string;
  input?: string[];
  attr?: Record<string, AttrValue>;
}

export interface TfWeight {
  name: string;
  shape: number[];
  dtype: 'float32' | 'int32';
  data: Float32Array | Int32Array;
}

export interface TfGraph {
  nodes: TfNode[];
  weights: TfWeight[];
}

export const TFJS_INPUT = 'input';
export const TFJS_OUTPUT = 'logits';

const b64 = (s: string): string => Buffer.from(s, 'utf8').toString('base64');
const T = { T: { type: 'DT_FLOAT' } };
const ints = (v: number[]): AttrValue => ({ list: { i: v.map(String) } });
const dims = (shape: number[]) => ({ dim: shape.map((d) => ({ size: String(d) })) });

class Builder {
  readonly nodes: TfNode[] = [];
  readonly weights: TfWeight[] = [];
  private readonly names = new Set<string>();

  private claim(name: string): string {
    if (this.names.has(name)) throw new Error(`tfjs writer: node name ${name} is used twice`);
    this.names.add(name);
    return name;
  }

  op(op: string, name: string, input: string[], attr: Record<string, AttrValue> = {}): string {
    this.nodes.push({ name: this.claim(name), op, input, attr });
    return name;
  }

  const(name: string, shape: number[], data: Float32Array | Int32Array): string {
    const dtype = data instanceof Int32Array ? 'int32' : 'float32';
    const dt = dtype === 'int32' ? 'DT_INT32' : 'DT_FLOAT';
    this.nodes.push({
      name: this.claim(name),
      op: 'Const',
      attr: { value: { tensor: { dtype: dt, tensorShape: dims(shape) } }, dtype: { type: dt } },
    });
    this.weights.push({ name, shape, dtype, data });
    return name;
  }

  i32(name: string, v: number[], scalar = false): string {
    return this.const(name, scalar ? [] : [v.length], Int32Array.from(v));
  }

  f32(name: string, v: number): string {
    return this.const(name, [], new Float32Array([v]));
  }

  activation(fn: ActivationFn, name: string, x: string, alpha = 1 / 6, beta = 0.5): string {
    switch (fn) {
      case 'relu':
        return this.op('Relu', name, [x], T);
      case 'relu6':
        return this.op('Relu6', name, [x], T);
      case 'sigmoid':
        return this.op('Sigmoid', name, [x], T);
      case 'hard-sigmoid': {
        const m = this.op('Mul', `${name}/mul`, [x, this.f32(`${name}/alpha`, alpha)], T);
        const a = this.op('AddV2', `${name}/add`, [m, this.f32(`${name}/beta`, beta)], T);
        return this.op('ClipByValue', name, [a, this.f32(`${name}/zero`, 0), this.f32(`${name}/one`, 1)], T);
      }
      case 'swish': {
        const s = this.op('Sigmoid', `${name}/sigmoid`, [x], T);
        return this.op('Mul', name, [x, s], T);
      }
      case 'hard-swish': {
        const hs = this.activation('hard-sigmoid', `${name}/hardsigmoid`, x, alpha, beta);
        return this.op('Mul', name, [x, hs], T);
      }
      case 'linear':
        return this.op('Identity', name, [x], T);
    }
  }

  pad(name: string, x: string, p: [number, number, number, number], value?: number): string {
    const [t, l, b, r] = p;
    if (t + l + b + r === 0) return x;
    const pads = this.i32(`${name}/pads`, [0, 0, t, b, l, r, 0, 0]);
    // Shape [4, 2] for the paddings.
    this.weights[this.weights.length - 1].shape = [4, 2];
    (this.nodes[this.nodes.length - 1].attr!.value as { tensor: { tensorShape: unknown } }).tensor.tensorShape = dims([4, 2]);
    if (value === undefined) return this.op('Pad', `${name}/pad`, [x, pads], T);
    return this.op('PadV2', `${name}/pad`, [x, pads, this.f32(`${name}/padvalue`, value)], T);
  }
}

const conv = (strides: [number, number], dil: [number, number]): Record<string, AttrValue> => ({
  ...T,
  strides: ints([1, strides[0], strides[1], 1]),
  dilations: ints([1, dil[0], dil[1], 1]),
  padding: { s: b64('VALID') },
  data_format: { s: b64('NHWC') },
});

/** Slice of an HWIO kernel for output channels [o0, o0 + n). */
function sliceOut(k: Float32Array, outC: number, o0: number, n: number): Float32Array {
  const rows = k.length / outC;
  const out = new Float32Array(rows * n);
  for (let r = 0; r < rows; r++) for (let j = 0; j < n; j++) out[r * n + j] = k[r * outC + o0 + j];
  return out;
}

function emit(b: Builder, n: Node, x: string[], shapes: Map<string, Shape>, ref: (t: string) => string): void {
  const p = n.name;
  const inShape = shapes.get(n.inputs[0]) as Shape;
  switch (n.kind) {
    case 'conv2d': {
      const a = n.attrs;
      const [kh, kw] = a.kernel;
      const inC = inShape[2];
      const G = a.groups;
      const xp = b.pad(p, x[0], a.pads);
      const withBias = (y: string): string =>
        n.weights.bias ? b.op('BiasAdd', p, [y, b.const(`${p}/bias`, [a.filters], n.weights.bias)], { ...T, data_format: { s: b64('NHWC') } }) : b.op('Identity', p, [y], T);
      if (G === 1) {
        const y = b.op('Conv2D', `${p}/conv`, [xp, b.const(`${p}/kernel`, [kh, kw, inC, a.filters], n.weights.kernel)], conv(a.strides, a.dilations));
        withBias(y);
      } else if (G === inC && a.filters % inC === 0) {
        const m = a.filters / inC;
        const k = b.const(`${p}/kernel`, [kh, kw, inC, m], n.weights.kernel);
        withBias(b.op('DepthwiseConv2dNative', `${p}/conv`, [xp, k], conv(a.strides, a.dilations)));
      } else {
        const gi = inC / G;
        const go = a.filters / G;
        const split = b.op('SplitV', `${p}/split`, [xp, b.i32(`${p}/sizes`, new Array(G).fill(gi)), b.i32(`${p}/axis`, [3], true)], {
          ...T,
          num_split: { i: String(G) },
          Tlen: { type: 'DT_INT32' },
        });
        const parts: string[] = [];
        for (let g = 0; g < G; g++) {
          const k = b.const(`${p}/kernel${g}`, [kh, kw, gi, go], sliceOut(n.weights.kernel, a.filters, g * go, go));
          parts.push(b.op('Conv2D', `${p}/conv${g}`, [g === 0 ? split : `${split}:${g}`, k], conv(a.strides, a.dilations)));
        }
        const cat = b.op('ConcatV2', `${p}/concat`, [...parts, b.i32(`${p}/concat_axis`, [3], true)], { ...T, N: { i: String(G) }, Tidx: { type: 'DT_INT32' } });
        withBias(cat);
      }
      return;
    }
    case 'batchnorm': {
      const { gamma, beta, mean, variance } = n.weights;
      const C = gamma.length;
      const s = new Float32Array(C);
      const t = new Float32Array(C);
      for (let c = 0; c < C; c++) {
        s[c] = gamma[c] / Math.sqrt(variance[c] + n.attrs.epsilon);
        t[c] = beta[c] - mean[c] * s[c];
      }
      const m = b.op('Mul', `${p}/scale`, [x[0], b.const(`${p}/mul`, [C], s)], T);
      b.op('AddV2', p, [m, b.const(`${p}/shift`, [C], t)], T);
      return;
    }
    case 'activation':
      b.activation(n.attrs.fn, p, x[0], n.attrs.alpha, n.attrs.beta);
      return;
    case 'se': {
      const { channels: C, hidden } = n.attrs;
      const sq = b.op('Mean', `${p}/gap`, [x[0], b.i32(`${p}/axes`, [1, 2])], { ...T, keep_dims: { b: false }, Tidx: { type: 'DT_INT32' } });
      let h = b.op('MatMul', `${p}/fc1`, [sq, b.const(`${p}/fc1/kernel`, [C, hidden], n.weights.fc1)], { ...T, transpose_a: { b: false }, transpose_b: { b: false } });
      if (n.weights.fc1Bias) h = b.op('BiasAdd', `${p}/fc1/bias`, [h, b.const(`${p}/fc1/b`, [hidden], n.weights.fc1Bias)], T);
      h = b.activation(n.attrs.innerAct, `${p}/act`, h);
      let z = b.op('MatMul', `${p}/fc2`, [h, b.const(`${p}/fc2/kernel`, [hidden, C], n.weights.fc2)], { ...T, transpose_a: { b: false }, transpose_b: { b: false } });
      if (n.weights.fc2Bias) z = b.op('BiasAdd', `${p}/fc2/bias`, [z, b.const(`${p}/fc2/b`, [C], n.weights.fc2Bias)], T);
      const gate = n.attrs.gate === 'sigmoid' ? b.op('Sigmoid', `${p}/gate`, [z], T) : b.activation('hard-sigmoid', `${p}/gate`, z, n.attrs.gateAlpha, n.attrs.gateBeta);
      const r = b.op('Reshape', `${p}/reshape`, [gate, b.i32(`${p}/shape`, [-1, 1, 1, C])], { ...T, Tshape: { type: 'DT_INT32' } });
      b.op('Mul', p, [x[0], r], T);
      return;
    }
    case 'add':
      if (x.length === 1) b.op('Identity', p, x, T);
      else if (x.length === 2) b.op('AddV2', p, x, T);
      else b.op('AddN', p, x, { ...T, N: { i: String(x.length) } });
      return;
    case 'concat':
      if (x.length === 1) b.op('Identity', p, x, T);
      else b.op('ConcatV2', p, [...x, b.i32(`${p}/axis`, [3], true)], { ...T, N: { i: String(x.length) }, Tidx: { type: 'DT_INT32' } });
      return;
    case 'split': {
      const axis = inShape.length; // per-sample rank; with the batch axis this is the channel axis
      b.op('SplitV', p, [x[0], b.i32(`${p}/sizes`, n.attrs.sizes), b.i32(`${p}/axis`, [axis], true)], {
        ...T,
        num_split: { i: String(n.attrs.sizes.length) },
        Tlen: { type: 'DT_INT32' },
      });
      return;
    }
    case 'channel-shuffle': {
      const [h, w, c] = inShape;
      const g = n.attrs.groups;
      const a = b.op('Reshape', `${p}/group`, [x[0], b.i32(`${p}/grouped`, [-1, h, w, g, c / g])], { ...T, Tshape: { type: 'DT_INT32' } });
      const t = b.op('Transpose', `${p}/transpose`, [a, b.i32(`${p}/perm`, [0, 1, 2, 4, 3])], { ...T, Tperm: { type: 'DT_INT32' } });
      b.op('Reshape', p, [t, b.i32(`${p}/shape`, [-1, h, w, c])], { ...T, Tshape: { type: 'DT_INT32' } });
      return;
    }
    case 'pool': {
      const a = n.attrs;
      if (a.global) {
        b.op(a.type === 'max' ? 'Max' : 'Mean', p, [x[0], b.i32(`${p}/axes`, [1, 2])], { ...T, keep_dims: { b: true }, Tidx: { type: 'DT_INT32' } });
        return;
      }
      const attrs = { ...T, ksize: ints([1, ...a.kernel, 1]), strides: ints([1, ...a.strides, 1]), padding: { s: b64('VALID') }, data_format: { s: b64('NHWC') } };
      if (a.type === 'max') {
        b.op('MaxPool', p, [b.pad(p, x[0], a.pads, -3.4e38)], attrs);
        return;
      }
      const [t, l, bo, r] = a.pads;
      if (a.countIncludePad || t + l + bo + r === 0) {
        b.op('AvgPool', p, [b.pad(p, x[0], a.pads)], attrs);
        return;
      }
      // Mean over real pixels: sum-average with zero padding, then divide by the non-pad fraction.
      const [H, W] = inShape;
      const out = shapes.get(p) as Shape;
      const frac = new Float32Array(out[0] * out[1]);
      for (let i = 0; i < out[0]; i++) {
        for (let j = 0; j < out[1]; j++) {
          const r0 = i * a.strides[0] - t;
          const c0 = j * a.strides[1] - l;
          const rows = Math.min(H, r0 + a.kernel[0]) - Math.max(0, r0);
          const cols = Math.min(W, c0 + a.kernel[1]) - Math.max(0, c0);
          frac[i * out[1] + j] = (a.kernel[0] * a.kernel[1]) / (rows * cols);
        }
      }
      const avg = b.op('AvgPool', `${p}/avg`, [b.pad(p, x[0], a.pads)], attrs);
      b.op('Mul', p, [avg, b.const(`${p}/frac`, [1, out[0], out[1], 1], frac)], T);
      return;
    }
    case 'dense': {
      const inN = inShape.reduce((u, v) => u * v, 1);
      const flat = inShape.length === 1 ? x[0] : b.op('Reshape', `${p}/flatten`, [x[0], b.i32(`${p}/flat`, [-1, inN])], { ...T, Tshape: { type: 'DT_INT32' } });
      const y = b.op('MatMul', n.weights.bias ? `${p}/matmul` : p, [flat, b.const(`${p}/kernel`, [inN, n.attrs.units], n.weights.kernel)], {
        ...T,
        transpose_a: { b: false },
        transpose_b: { b: false },
      });
      if (n.weights.bias) b.op('BiasAdd', p, [y, b.const(`${p}/bias`, [n.attrs.units], n.weights.bias)], T);
      return;
    }
    case 'flatten': {
      const k = inShape.reduce((u, v) => u * v, 1);
      b.op('Reshape', p, [x[0], b.i32(`${p}/shape`, [-1, k])], { ...T, Tshape: { type: 'DT_INT32' } });
      return;
    }
  }
  void ref;
}

/** The graph-model nodes and weights for `g` (one image input, first output → `logits`). */
export function buildTfjsGraph(g: Graph): TfGraph {
  const shapes = inferShapes(g);
  const b = new Builder();
  const [inp] = g.inputs;
  b.op('Placeholder', TFJS_INPUT, [], { dtype: { type: 'DT_FLOAT' }, shape: { shape: dims([-1, ...inp.shape]) } });
  // IR tensor → TF tensor reference (split outputs are `name:i`, the first one `name`).
  const refs = new Map<string, string>([[inp.name, TFJS_INPUT]]);
  const ref = (t: string): string => refs.get(t) ?? t;
  for (const n of g.nodes) {
    emit(b, n, n.inputs.map(ref), shapes, ref);
    outputNames(n).forEach((o, i) => refs.set(o, n.kind === 'split' ? (i === 0 ? n.name : `${n.name}:${i}`) : n.name));
  }
  b.op('Identity', TFJS_OUTPUT, [ref(g.outputs[0])], T);
  return { nodes: b.nodes, weights: b.weights };
}
