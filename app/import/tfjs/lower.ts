/**
 * Keras layers (see {@link parseTopology}) + their weights → IR graph. The IR is NHWC like
 * Keras, so kernels keep their layout (Conv2D HWIO, DepthwiseConv2D [kh, kw, C, m] is the IR's
 * grouped-conv layout, Dense [in, out]). Fused `activation`s become activation nodes. SE is
 * recognised at each Multiply: GlobalAveragePooling2D(x) → Reshape? → Dense|Conv2D 1×1 (act) →
 * Activation? → Dense|Conv2D 1×1 (sigmoid | hard_sigmoid) → Activation? → Reshape? →
 * Multiply([x, gate]) in either order. Keras 2's hard_sigmoid is clip(0.2x + 0.5, 0, 1), Keras 3's
 * relu6(x + 3) / 6.
 */
import type { ActivationFn, Graph, Node } from '../../model/ir.js';
import { outputNames } from '../../model/ir.js';
import { ModelError } from '../../model/errors.js';
import type { KLayer, KTopology } from './topology.js';
import type { NamedWeight } from './weights.js';

type Json = Record<string, unknown>;

export const SUPPORTED_LAYERS = [
  'InputLayer', 'Conv2D', 'DepthwiseConv2D', 'BatchNormalization', 'Activation', 'ReLU', 'GlobalAveragePooling2D',
  'GlobalMaxPooling2D', 'MaxPooling2D', 'AveragePooling2D', 'Dense', 'Reshape', 'Multiply', 'Add', 'Concatenate',
  'Flatten', 'Dropout', 'SpatialDropout2D',
];

interface Val {
  t: string;
  shape: number[];
}

const pair = (v: unknown, def: number): [number, number] => {
  if (Array.isArray(v)) return [Number(v[0] ?? def), Number(v[1] ?? v[0] ?? def)];
  if (typeof v === 'number') return [v, v];
  return [def, def];
};

function actName(a: unknown): string {
  if (a === undefined || a === null) return 'linear';
  if (typeof a === 'string') return a;
  if (typeof a === 'object' && !Array.isArray(a)) {
    const o = a as Json;
    if (typeof o.config === 'string') return o.config;
    if (typeof o.class_name === 'string') return o.class_name;
  }
  return String(a);
}

interface ActSpec {
  fn: ActivationFn;
  alpha?: number;
  beta?: number;
}

/** Keras activation name → IR activation ('softmax' → undefined: only allowed at the output). */
function mapAct(name: string, kerasMajor: number, where: string): ActSpec | undefined {
  switch (name.toLowerCase()) {
    case 'linear': return { fn: 'linear' };
    case 'relu': return { fn: 'relu' };
    case 'relu6': return { fn: 'relu6' };
    case 'sigmoid': return { fn: 'sigmoid' };
    case 'hard_sigmoid':
      return kerasMajor >= 3 ? { fn: 'hard-sigmoid', alpha: 1 / 6, beta: 0.5 } : { fn: 'hard-sigmoid', alpha: 0.2, beta: 0.5 };
    case 'swish': case 'silu': return { fn: 'swish' };
    case 'hard_swish': case 'hard_silu': return { fn: 'hard-swish' };
    case 'softmax': return undefined;
  }
  throw new ModelError(`The Keras layer "${where}" uses the activation ${name}, which this tool cannot import.`);
}

function samePads(size: number, k: number, s: number, d: number): [number, number] {
  const out = Math.ceil(size / s);
  const total = Math.max(0, (out - 1) * s + (k - 1) * d + 1 - size);
  const a = Math.floor(total / 2);
  return [a, total - a];
}

export function kerasToGraph(topo: KTopology, weights: Map<string, NamedWeight>, file: string, name: string): Graph {
  const byName = new Map(topo.layers.map((l) => [l.name, l]));
  const readers = new Map<string, number>();
  for (const l of topo.layers) for (const i of l.inputs) readers.set(i, (readers.get(i) ?? 0) + 1);
  const sole = (n: string): boolean => (readers.get(n) ?? 0) === 1 && n !== topo.output;
  const nodes: Node[] = [];
  const vals = new Map<string, Val>([[topo.input, { t: topo.input, shape: topo.inputShape }]]);
  const absorbed = new Set<string>();
  const fail = (l: KLayer, what: string): never => {
    throw new ModelError(`The Keras layer "${l.name}" (${l.cls}) ${what}, which this tool cannot import.`);
  };
  const weight = (l: KLayer, key: string, required = true): Float32Array | undefined => {
    for (const [k, v] of weights) {
      const parts = k.split('/');
      if (parts[parts.length - 1] === key && parts[parts.length - 2] === l.name) return v.data;
    }
    if (required) throw new ModelError(`${file}: the weight ${l.name}/${key} is missing from the weights manifest.`);
    return undefined;
  };
  const inVal = (l: KLayer, i = 0): Val => {
    const v = vals.get(l.inputs[i] ?? '');
    if (!v) throw new ModelError(`${file}: layer "${l.name}" reads "${l.inputs[i]}", which no earlier layer produces.`);
    return v;
  };
  const used = new Set<string>([topo.input]);
  const claim = (n: string): string => {
    let s = n;
    for (let k = 1; used.has(s); k++) s = `${n}_${k}`;
    used.add(s);
    return s;
  };
  const push = (node: Node, shape: number[]): Val => {
    nodes.push(node);
    return { t: outputNames(node)[0], shape };
  };
  const withAct = (l: KLayer, v: Val, spec: ActSpec | undefined): Val => {
    if (!spec) {
      if (l.name !== topo.output) fail(l, 'applies softmax before the output');
      return v;
    }
    if (spec.fn === 'linear') return v;
    const attrs: { fn: ActivationFn; alpha?: number; beta?: number } = { fn: spec.fn };
    if (spec.alpha !== undefined) Object.assign(attrs, { alpha: spec.alpha, beta: spec.beta });
    return push({ kind: 'activation', name: claim(`${l.name}/act`), inputs: [v.t], attrs }, v.shape);
  };
  const layerAct = (l: KLayer): ActSpec | undefined => mapAct(actName(l.config.activation), topo.kerasMajor, l.name);

  /** Reads an FC of an SE block: Dense, or Conv2D 1×1. */
  const fcOf = (l: KLayer | undefined): { w: Float32Array; b?: Float32Array; inN: number; outN: number } | undefined => {
    if (!l || (l.cls !== 'Dense' && l.cls !== 'Conv2D')) return undefined;
    if (l.cls === 'Conv2D' && pair(l.config.kernel_size, 1).join(',') !== '1,1') return undefined;
    const w = weight(l, 'kernel') as Float32Array;
    const outN = Number(l.cls === 'Dense' ? l.config.units : l.config.filters);
    const b = l.config.use_bias === false ? undefined : weight(l, 'bias', false);
    return { w, b, inN: w.length / outN, outN };
  };

  interface SeMatch {
    x: string;
    chain: KLayer[];
    fc1: NonNullable<ReturnType<typeof fcOf>>;
    fc2: NonNullable<ReturnType<typeof fcOf>>;
    gate: ActSpec;
    inner: ActSpec;
  }

  /** The SE chain of a Multiply read as [x, gate], from the topology and weights alone. */
  const matchSe = (xName: string, gName: string): SeMatch | undefined => {
    if (!sole(gName)) return undefined;
    const chain: KLayer[] = [];
    let cur = byName.get(gName);
    if (cur) chain.push(cur);
    const back = (l: KLayer | undefined): KLayer | undefined => {
      if (!l || l.inputs.length !== 1 || !sole(l.inputs[0])) return undefined;
      const p = byName.get(l.inputs[0]);
      if (p) chain.push(p);
      return p;
    };
    while (cur && cur.cls === 'Reshape') cur = back(cur);
    let gate: ActSpec | undefined;
    if (cur && cur.cls === 'Activation') {
      gate = mapAct(actName(cur.config.activation), topo.kerasMajor, cur.name);
      cur = back(cur);
      if (!cur || actName(cur.config.activation) !== 'linear') return undefined;
    } else if (cur) {
      gate = mapAct(actName(cur.config.activation), topo.kerasMajor, cur.name);
    }
    if (!gate || (gate.fn !== 'sigmoid' && gate.fn !== 'hard-sigmoid')) return undefined;
    const fc2 = fcOf(cur);
    if (!fc2) return undefined;
    let a = back(cur);
    let inner: ActSpec | undefined;
    if (a && (a.cls === 'Activation' || a.cls === 'ReLU')) {
      inner = a.cls === 'ReLU' ? reluSpec(a) : mapAct(actName(a.config.activation), topo.kerasMajor, a.name);
      a = back(a);
      if (!a || actName(a.config.activation) !== 'linear') return undefined;
    } else if (a) {
      inner = mapAct(actName(a.config.activation), topo.kerasMajor, a.name);
    }
    if (!inner || inner.fn === 'hard-sigmoid') return undefined;
    const fc1 = fcOf(a);
    if (!fc1) return undefined;
    let p = back(a);
    while (p && p.cls === 'Reshape') p = back(p);
    if (!p || p.cls !== 'GlobalAveragePooling2D' || p.inputs[0] !== xName) return undefined;
    if (fc1.outN !== fc2.inN || fc1.inN !== fc2.outN) return undefined;
    return { x: xName, chain, fc1, fc2, gate, inner };
  };

  const emitSe = (mul: KLayer, m: SeMatch): void => {
    const x = vals.get(m.x);
    if (!x || x.shape.length !== 3 || x.shape[2] !== m.fc1.inN) fail(mul, 'gates a tensor whose channels do not fit its SE block');
    const xv = x as Val;
    const weightsSe: { fc1: Float32Array; fc2: Float32Array; fc1Bias?: Float32Array; fc2Bias?: Float32Array } = { fc1: m.fc1.w, fc2: m.fc2.w };
    if (m.fc1.b) weightsSe.fc1Bias = m.fc1.b;
    if (m.fc2.b) weightsSe.fc2Bias = m.fc2.b;
    vals.set(mul.name, push({
      kind: 'se',
      name: claim(mul.name),
      inputs: [xv.t],
      attrs: {
        channels: m.fc1.inN, hidden: m.fc1.outN, gate: m.gate.fn as 'sigmoid' | 'hard-sigmoid',
        gateAlpha: m.gate.alpha ?? 1 / 6, gateBeta: m.gate.beta ?? 0.5, innerAct: m.inner.fn,
      },
      weights: weightsSe,
    }, xv.shape));
  };

  const reluSpec = (l: KLayer): ActSpec => {
    const max = l.config.max_value;
    if (Number(l.config.negative_slope ?? 0) !== 0 || Number(l.config.threshold ?? 0) !== 0) fail(l, 'is a leaky or thresholded ReLU');
    if (max === null || max === undefined) return { fn: 'relu' };
    if (Number(max) === 6) return { fn: 'relu6' };
    return fail(l, `caps ReLU at ${String(max)}`);
  };

  // SE chains are matched first, so their layers (Dense on a [1, 1, C] map, ...) are never lowered alone.
  const seMatches = new Map<string, SeMatch>();
  for (const l of topo.layers) {
    if (l.cls !== 'Multiply' || l.inputs.length !== 2) continue;
    const [a, b] = l.inputs;
    const m = matchSe(a, b) ?? matchSe(b, a);
    if (!m) continue;
    seMatches.set(l.name, m);
    for (const k of m.chain) absorbed.add(k.name);
  }

  for (const l of topo.layers) {
    if (l.name === topo.input || absorbed.has(l.name)) continue;
    const c = l.config;
    if (c.data_format && c.data_format !== 'channels_last') fail(l, 'uses channels_first');
    if (l.cls === 'InputLayer') continue;
    if (l.cls === 'Multiply') {
      const m = seMatches.get(l.name);
      if (!m) fail(l, 'multiplies tensors outside an SE pattern');
      emitSe(l, m as SeMatch);
      continue;
    }
    lowerLayer(l);
  }

  function lowerLayer(l: KLayer): void {
    const c = l.config;
    const x = inVal(l);
    let out: Val;
    switch (l.cls) {
      case 'Conv2D':
      case 'DepthwiseConv2D': {
        if (x.shape.length !== 3) fail(l, 'convolves a flat tensor');
        const dw = l.cls === 'DepthwiseConv2D';
        const [kh, kw] = pair(c.kernel_size, 1);
        const strides = pair(c.strides, 1);
        const dil = pair(c.dilation_rate, 1);
        const C = x.shape[2];
        const kernel = weight(l, dw ? 'depthwise_kernel' : 'kernel') as Float32Array;
        const groups = dw ? C : Number(c.groups ?? 1);
        const filters = dw ? C * Number(c.depth_multiplier ?? 1) : Number(c.filters);
        if (kernel.length !== kh * kw * (C / groups) * filters) fail(l, `has a kernel of ${kernel.length} values that does not fit its shape`);
        let pads: [number, number, number, number] = [0, 0, 0, 0];
        if (c.padding === 'same') {
          const [t, b] = samePads(x.shape[0], kh, strides[0], dil[0]);
          const [le, r] = samePads(x.shape[1], kw, strides[1], dil[1]);
          pads = [t, le, b, r];
        } else if (c.padding !== 'valid' && c.padding !== undefined) fail(l, `uses padding ${String(c.padding)}`);
        const bias = c.use_bias === false ? undefined : weight(l, 'bias', false);
        const H = Math.floor((x.shape[0] + pads[0] + pads[2] - dil[0] * (kh - 1) - 1) / strides[0]) + 1;
        const W = Math.floor((x.shape[1] + pads[1] + pads[3] - dil[1] * (kw - 1) - 1) / strides[1]) + 1;
        out = push({
          kind: 'conv2d', name: claim(l.name), inputs: [x.t],
          attrs: { filters, kernel: [kh, kw], strides, pads, dilations: dil, groups },
          weights: bias ? { kernel, bias } : { kernel },
        }, [H, W, filters]);
        out = withAct(l, out, layerAct(l));
        break;
      }
      case 'BatchNormalization': {
        const C = x.shape[x.shape.length - 1];
        const axis = Array.isArray(c.axis) ? Number(c.axis[0]) : Number(c.axis ?? -1);
        if (axis !== -1 && axis !== x.shape.length) fail(l, 'normalises an axis other than channels');
        const gamma = c.scale === false ? new Float32Array(C).fill(1) : (weight(l, 'gamma') as Float32Array);
        const beta = c.center === false ? new Float32Array(C) : (weight(l, 'beta') as Float32Array);
        out = push({
          kind: 'batchnorm', name: claim(l.name), inputs: [x.t],
          attrs: { epsilon: Number(c.epsilon ?? 1e-3), momentum: 1 - Number(c.momentum ?? 0.99) },
          weights: { gamma, beta, mean: weight(l, 'moving_mean') as Float32Array, variance: weight(l, 'moving_variance') as Float32Array },
        }, x.shape);
        break;
      }
      case 'Activation':
        out = withAct(l, x, layerAct(l));
        break;
      case 'ReLU': {
        const s = reluSpec(l);
        out = push({ kind: 'activation', name: claim(l.name), inputs: [x.t], attrs: { fn: s.fn } }, x.shape);
        break;
      }
      case 'GlobalAveragePooling2D':
      case 'GlobalMaxPooling2D': {
        if (x.shape.length !== 3) fail(l, 'pools a flat tensor');
        const keep = c.keepdims === true;
        const pname = claim(keep ? l.name : `${l.name}/pool`);
        out = push({
          kind: 'pool', name: pname, inputs: [x.t],
          attrs: { type: l.cls === 'GlobalMaxPooling2D' ? 'max' : 'avg', global: true, kernel: [1, 1], strides: [1, 1], pads: [0, 0, 0, 0], countIncludePad: true },
        }, [1, 1, x.shape[2]]);
        if (!keep) out = push({ kind: 'flatten', name: claim(l.name), inputs: [pname], attrs: {} }, [x.shape[2]]);
        break;
      }
      case 'MaxPooling2D':
      case 'AveragePooling2D': {
        const k = pair(c.pool_size, 2);
        const s = c.strides === null || c.strides === undefined ? k : pair(c.strides, 1);
        let pads: [number, number, number, number] = [0, 0, 0, 0];
        if (c.padding === 'same') {
          const [t, b] = samePads(x.shape[0], k[0], s[0], 1);
          const [le, r] = samePads(x.shape[1], k[1], s[1], 1);
          pads = [t, le, b, r];
        }
        const H = Math.floor((x.shape[0] + pads[0] + pads[2] - k[0]) / s[0]) + 1;
        const W = Math.floor((x.shape[1] + pads[1] + pads[3] - k[1]) / s[1]) + 1;
        out = push({
          kind: 'pool', name: claim(l.name), inputs: [x.t],
          attrs: { type: l.cls === 'MaxPooling2D' ? 'max' : 'avg', global: false, kernel: k, strides: s, pads, countIncludePad: false },
        }, [H, W, x.shape[2]]);
        break;
      }
      case 'Dense': {
        if (x.shape.length !== 1) fail(l, 'is applied to a feature map outside an SE pattern');
        const units = Number(c.units);
        const kernel = weight(l, 'kernel') as Float32Array;
        if (kernel.length !== x.shape[0] * units) fail(l, `has a kernel of ${kernel.length} values for ${x.shape[0]} inputs and ${units} units`);
        const bias = c.use_bias === false ? undefined : weight(l, 'bias', false);
        out = push({ kind: 'dense', name: claim(l.name), inputs: [x.t], attrs: { units }, weights: bias ? { kernel, bias } : { kernel } }, [units]);
        out = withAct(l, out, layerAct(l));
        break;
      }
      case 'Flatten':
        out = x.shape.length === 1 ? x : push({ kind: 'flatten', name: claim(l.name), inputs: [x.t], attrs: {} }, [x.shape.reduce((a, b) => a * b, 1)]);
        break;
      case 'Reshape': {
        const target = Array.isArray(c.target_shape) ? c.target_shape.map(Number) : [];
        if (target.join(',') === x.shape.join(',')) out = x;
        else if (target.length === 1 && x.shape.length === 3) out = push({ kind: 'flatten', name: claim(l.name), inputs: [x.t], attrs: {} }, [x.shape.reduce((a, b) => a * b, 1)]);
        else return fail(l, `reshapes [${x.shape.join(', ')}] to [${target.join(', ')}] outside an SE pattern`);
        break;
      }
      case 'Add': {
        const xs = l.inputs.map((_, i) => inVal(l, i));
        out = push({ kind: 'add', name: claim(l.name), inputs: xs.map((v) => v.t), attrs: {} }, x.shape);
        break;
      }
      case 'Concatenate': {
        const xs = l.inputs.map((_, i) => inVal(l, i));
        const axis = Number(c.axis ?? -1);
        if (x.shape.length !== 3 || (axis !== -1 && axis !== 3)) fail(l, 'concatenates along an axis other than channels');
        out = push({ kind: 'concat', name: claim(l.name), inputs: xs.map((v) => v.t), attrs: {} }, [x.shape[0], x.shape[1], xs.reduce((a, v) => a + v.shape[2], 0)]);
        break;
      }
      case 'Dropout':
      case 'SpatialDropout2D':
        out = x;
        break;
      default:
        throw new ModelError(`${file} uses the Keras layer ${l.cls} ("${l.name}"), which this tool cannot import; supported layers: ${SUPPORTED_LAYERS.join(', ')}.`);
    }
    vals.set(l.name, out);
  }

  const outVal = vals.get(topo.output);
  if (!outVal) throw new ModelError(`${file}: the output layer "${topo.output}" is not computed from the input.`);
  const live = new Set<string>([outVal.t]);
  const keep: Node[] = [];
  for (let i = nodes.length - 1; i >= 0; i--) {
    const n = nodes[i];
    if (outputNames(n).some((o) => live.has(o))) {
      keep.unshift(n);
      n.inputs.forEach((x) => live.add(x));
    }
  }
  return { name, inputs: [{ name: topo.input, shape: topo.inputShape }], outputs: [outVal.t], nodes: keep, meta: {} };
}
