/**
 * {@link LiveGraph} (NCHW, after the pattern passes) → IR {@link Graph} (NHWC). Conv weights go
 * from OIHW to HWIO, dense weights to [in, out]; a flatten of a map bigger than 1×1 is recorded
 * as a permutation (ONNX flattens C,H,W; the IR flattens H,W,C) that the next dense layer's rows
 * absorb. Per-channel Add/Sub/Mul/Div by constants become a bias (after a conv or dense) or a
 * batchnorm with mean 0, variance 1, epsilon 0 (an exact affine map).
 */
import type { ActivationNode, Graph, Node } from '../../model/ir.js';
import { outputNames } from '../../model/ir.js';
import { ModelError } from '../../model/errors.js';
import { type LiveGraph, type LiveNode, num, nums, readers } from './live.js';

/** How an ONNX value lives in the IR. `map`: NCHW ↔ IR [H, W, C]; `nhwc`: a map transposed to NHWC; `vec`: [N, K]. */
interface Val {
  t: string;
  kind: 'map' | 'nhwc' | 'vec';
  /** vec only: IR position j holds ONNX feature perm[j]. */
  perm?: Int32Array;
}

function labels(name: string, seen: { staged: boolean }): { stage?: string; block?: string } {
  if (!name.includes('/')) return {};
  const segs = name.split('/').filter((s) => s !== '');
  if (segs.length < 2) return { stage: seen.staged ? 'head' : 'stem' };
  const chain = [segs[0]];
  for (let i = 1; i < segs.length - 1 && segs[i].startsWith(`${chain[chain.length - 1]}.`); i++) chain.push(segs[i]);
  if (chain.length >= 2) {
    seen.staged = true;
    return { stage: chain[chain.length - 2], block: chain[chain.length - 1] };
  }
  return { stage: seen.staged ? 'head' : 'stem' };
}

export function lowerToIr(g: LiveGraph): Graph {
  const nodes: Node[] = [];
  const used = new Set<string>([g.input]);
  const vals = new Map<string, Val>([[g.input, { t: g.input, kind: 'map' }]]);
  const rd = readers(g);
  const staged = { staged: false };
  const producedBy = new Map<string, Node>();

  const claim = (name: string): string => {
    let n = name;
    for (let k = 1; used.has(n) || used.has(`${n}:0`); k++) n = `${name}_${k}`;
    used.add(n);
    return n;
  };
  const val = (ln: LiveNode, i: number): Val => {
    const name = ln.inputs[i];
    const v = vals.get(name);
    if (!v) {
      if (g.consts.has(name)) throw new ModelError(`The ONNX node "${ln.name}" (${ln.op}) takes a constant where this tool expects a feature map.`);
      throw new ModelError(`The ONNX node "${ln.name}" reads "${name}", which no earlier node produces.`);
    }
    return v;
  };
  const mapIn = (ln: LiveNode, i = 0): Val => {
    const v = val(ln, i);
    if (v.kind !== 'map') throw new ModelError(`The ONNX node "${ln.name}" (${ln.op}) needs an NCHW feature map here.`);
    return v;
  };
  const shapeOf = (v: string): number[] => g.shapes.get(v) ?? [];
  const emit = (ln: LiveNode, node: Node, kind: Val['kind'] = 'map', perm?: Int32Array): void => {
    Object.assign(node, labels(ln.name, staged));
    nodes.push(node);
    producedBy.set(node.name, node);
    vals.set(ln.outputs[0], { t: outputNames(node)[0], kind, perm });
  };
  const alias = (ln: LiveNode, v: Val): void => {
    vals.set(ln.outputs[0], v);
  };
  const fail = (ln: LiveNode, what: string): never => {
    throw new ModelError(`The ONNX node "${ln.name}" (${ln.op}) ${what}, which this tool cannot import.`);
  };
  const flattenOf = (ln: LiveNode, v: Val, inShape: number[]): void => {
    if (v.kind === 'vec') return alias(ln, v);
    const name = claim(ln.name);
    const [, C, H, W] = inShape;
    let perm: Int32Array | undefined;
    if (v.kind === 'map' && H * W > 1) {
      perm = new Int32Array(C * H * W);
      for (let h = 0; h < H; h++) for (let w = 0; w < W; w++) for (let c = 0; c < C; c++) perm[(h * W + w) * C + c] = c * H * W + h * W + w;
    }
    emit(ln, { kind: 'flatten', name, inputs: [v.t], attrs: {} }, 'vec', perm);
  };
  /** Per-channel constant of an elementwise op, as C values in ONNX channel order. */
  const perChannel = (ln: LiveNode, ci: number, C: number, rank: number): Float64Array => {
    const c = g.consts.get(ln.inputs[ci]);
    if (!c) return fail(ln, 'combines two feature maps outside a pattern it knows');
    if (c.data.length === 1) return new Float64Array(C).fill(c.data[0]);
    const dims = [...Array(Math.max(0, rank - c.dims.length)).fill(1), ...c.dims];
    const chanAxis = 1;
    if (c.data.length !== C || dims.length !== rank || dims.some((d, i) => i !== chanAxis && d !== 1)) {
      return fail(ln, 'uses a constant that is neither a scalar nor one value per channel');
    }
    return c.data;
  };

  for (const ln of g.nodes) {
    const out = ln.outputs[0];
    switch (ln.op) {
      case 'Conv': {
        const x = mapIn(ln);
        const w = g.consts.get(ln.inputs[1]);
        if (!w) return fail(ln, 'has computed weights');
        const [O, I, kh, kw] = w.dims;
        const kernel = new Float32Array(w.data.length);
        for (let o = 0; o < O; o++) for (let i = 0; i < I; i++) for (let h = 0; h < kh; h++) for (let c = 0; c < kw; c++) {
          kernel[((h * kw + c) * I + i) * O + o] = w.data[((o * I + i) * kh + h) * kw + c];
        }
        const b = g.consts.get(ln.inputs[2] ?? '');
        const pads = nums(ln, 'pads');
        emit(ln, {
          kind: 'conv2d',
          name: claim(ln.name),
          inputs: [x.t],
          attrs: {
            filters: O,
            kernel: [kh, kw],
            strides: nums(ln, 'strides') as [number, number],
            pads: [pads[0], pads[1], pads[2], pads[3]],
            dilations: nums(ln, 'dilations') as [number, number],
            groups: num(ln, 'group'),
          },
          weights: b ? { kernel, bias: Float32Array.from(b.data) } : { kernel },
        });
        break;
      }
      case 'BatchNormalization': {
        const x = val(ln, 0);
        if (x.kind === 'nhwc') return fail(ln, 'normalises a transposed map');
        const [gamma, beta, mean, variance] = [1, 2, 3, 4].map((i) => permute(Float32Array.from(g.consts.get(ln.inputs[i])?.data ?? []), x.perm));
        emit(ln, { kind: 'batchnorm', name: claim(ln.name), inputs: [x.t], attrs: { epsilon: num(ln, 'epsilon'), momentum: 0.1 }, weights: { gamma, beta, mean, variance } }, x.kind, x.perm);
        break;
      }
      case 'Act': {
        const x = val(ln, 0);
        const node: ActivationNode = { kind: 'activation', name: claim(ln.name), inputs: [x.t], attrs: { fn: ln.fn ?? 'linear' } };
        if (ln.fn === 'hard-sigmoid') Object.assign(node.attrs, { alpha: num(ln, 'alpha'), beta: num(ln, 'beta') });
        emit(ln, node, x.kind, x.perm);
        break;
      }
      case 'Clip':
        return fail(ln, `clips to [${num(ln, 'min')}, ${num(ln, 'max')}] (only ReLU6 and ReLU clips are supported)`);
      case 'SE': {
        const x = mapIn(ln);
        const s = ln.se;
        if (!s) return fail(ln, 'is an incomplete SE block');
        const weights: { fc1: Float32Array; fc2: Float32Array; fc1Bias?: Float32Array; fc2Bias?: Float32Array } = { fc1: s.fc1, fc2: s.fc2 };
        if (s.fc1Bias) weights.fc1Bias = s.fc1Bias;
        if (s.fc2Bias) weights.fc2Bias = s.fc2Bias;
        emit(ln, {
          kind: 'se',
          name: claim(ln.name),
          inputs: [x.t],
          attrs: { channels: s.channels, hidden: s.hidden, gate: s.gate, gateAlpha: s.gateAlpha, gateBeta: s.gateBeta, innerAct: s.innerAct },
          weights,
        });
        break;
      }
      case 'ChannelShuffle':
        emit(ln, { kind: 'channel-shuffle', name: claim(ln.name), inputs: [mapIn(ln).t], attrs: { groups: num(ln, 'groups') } });
        break;
      case 'Add':
      case 'Sub':
      case 'Mul':
      case 'Div': {
        const [a, b] = ln.inputs;
        const ca = g.consts.has(a);
        const cb = g.consts.has(b);
        if (!ca && !cb) {
          const x = val(ln, 0);
          const y = val(ln, 1);
          if (ln.op !== 'Add' || shapeOf(a).join(',') !== shapeOf(b).join(',') || x.kind !== y.kind || x.kind === 'nhwc' || x.perm || y.perm) {
            return fail(ln, 'combines two feature maps outside a pattern it knows');
          }
          emit(ln, { kind: 'add', name: claim(ln.name), inputs: [x.t, y.t], attrs: {} }, x.kind);
          break;
        }
        const xi = ca ? 1 : 0;
        const x = val(ln, xi);
        if (x.kind === 'nhwc') return fail(ln, 'scales a transposed map');
        const xs = shapeOf(ln.inputs[xi]);
        if (shapeOf(out).join(',') !== xs.join(',')) return fail(ln, 'broadcasts a feature map to a larger shape');
        const C = xs[1];
        const k = perChannel(ln, 1 - xi, C, xs.length);
        const scale = new Float32Array(C).fill(1);
        const shift = new Float32Array(C);
        for (let c = 0; c < C; c++) {
          if (ln.op === 'Add') shift[c] = k[c];
          else if (ln.op === 'Sub') {
            if (ca) { scale[c] = -1; shift[c] = k[c]; } else shift[c] = -k[c];
          } else if (ln.op === 'Mul') scale[c] = k[c];
          else if (ca) return fail(ln, 'divides a constant by a feature map');
          else scale[c] = 1 / k[c];
        }
        const sc = permute(scale, x.perm);
        const sh = permute(shift, x.perm);
        const prod = producedBy.get(x.t);
        const onlyShift = scale.every((v) => v === 1);
        if (onlyShift && prod && (prod.kind === 'conv2d' || prod.kind === 'dense') && (rd.get(ln.inputs[xi])?.length ?? 0) === 1 && ln.inputs[xi] !== g.output) {
          const bias = prod.weights.bias ?? new Float32Array(sh.length);
          for (let c = 0; c < bias.length; c++) bias[c] += sh[c];
          prod.weights.bias = bias;
          alias(ln, x);
          break;
        }
        emit(ln, {
          kind: 'batchnorm',
          name: claim(ln.name),
          inputs: [x.t],
          attrs: { epsilon: 0, momentum: 0.1 },
          weights: { gamma: sc, beta: sh, mean: new Float32Array(C), variance: new Float32Array(C).fill(1) },
        }, x.kind, x.perm);
        break;
      }
      case 'GlobalAveragePool':
      case 'GlobalMaxPool':
        emit(ln, {
          kind: 'pool', name: claim(ln.name), inputs: [mapIn(ln).t],
          attrs: { type: ln.op === 'GlobalMaxPool' ? 'max' : 'avg', global: true, kernel: [1, 1], strides: [1, 1], pads: [0, 0, 0, 0], countIncludePad: true },
        });
        break;
      case 'ReduceMean': {
        const x = mapIn(ln);
        if (nums(ln, 'axes').join(',') !== '2,3' || shapeOf(ln.inputs[0]).length !== 4) return fail(ln, 'averages over axes other than height and width');
        const poolName = claim(num(ln, 'keepdims') ? ln.name : `${ln.name}/pool`);
        emit(ln, { kind: 'pool', name: poolName, inputs: [x.t], attrs: { type: 'avg', global: true, kernel: [1, 1], strides: [1, 1], pads: [0, 0, 0, 0], countIncludePad: true } });
        if (!num(ln, 'keepdims')) emit(ln, { kind: 'flatten', name: claim(ln.name), inputs: [poolName], attrs: {} }, 'vec');
        break;
      }
      case 'MaxPool':
      case 'AveragePool': {
        const pads = nums(ln, 'pads');
        emit(ln, {
          kind: 'pool', name: claim(ln.name), inputs: [mapIn(ln).t],
          attrs: {
            type: ln.op === 'MaxPool' ? 'max' : 'avg', global: false,
            kernel: nums(ln, 'kernel') as [number, number], strides: nums(ln, 'strides') as [number, number],
            pads: [pads[0], pads[1], pads[2], pads[3]], countIncludePad: num(ln, 'countIncludePad') === 1,
          },
        });
        break;
      }
      case 'Gemm':
      case 'MatMul': {
        const x = val(ln, 0);
        if (x.kind !== 'vec') return fail(ln, 'multiplies a feature map that is not flat');
        const w = g.consts.get(ln.inputs[1]);
        if (!w) return fail(ln, 'has computed weights');
        const gemm = ln.op === 'Gemm';
        const t = gemm && num(ln, 'transB') === 1;
        const alpha = gemm ? num(ln, 'alpha') : 1;
        const [inN, outN] = t ? [w.dims[1], w.dims[0]] : w.dims;
        const kernel = new Float32Array(inN * outN);
        for (let j = 0; j < inN; j++) {
          const i = x.perm ? x.perm[j] : j;
          for (let o = 0; o < outN; o++) kernel[j * outN + o] = alpha * w.data[t ? o * inN + i : i * outN + o];
        }
        const c = gemm ? g.consts.get(ln.inputs[2] ?? '') : undefined;
        const beta = gemm ? num(ln, 'beta') : 1;
        const bias = c ? Float32Array.from({ length: outN }, (_, o) => beta * c.data[c.data.length === 1 ? 0 : o]) : undefined;
        emit(ln, { kind: 'dense', name: claim(ln.name), inputs: [x.t], attrs: { units: outN }, weights: bias ? { kernel, bias } : { kernel } }, 'vec');
        break;
      }
      case 'Flatten': {
        const x = val(ln, 0);
        if (num(ln, 'axis') !== 1) return fail(ln, 'flattens from an axis other than 1');
        flattenOf(ln, x, shapeOf(ln.inputs[0]));
        break;
      }
      case 'Reshape':
      case 'Squeeze':
      case 'Unsqueeze': {
        const x = val(ln, 0);
        const s = shapeOf(ln.inputs[0]);
        const o = shapeOf(out);
        if (o.join(',') === s.join(',')) alias(ln, x);
        else if (o.length === 2 && s.length === 4 && o[0] === s[0]) flattenOf(ln, x, s);
        else return fail(ln, `reshapes [${s.join(', ')}] to [${o.join(', ')}] outside a pattern it knows`);
        break;
      }
      case 'Transpose': {
        const x = val(ln, 0);
        if (x.kind !== 'map' || nums(ln, 'perm').join(',') !== '0,2,3,1') return fail(ln, `transposes with perm [${nums(ln, 'perm').join(', ')}] outside a pattern it knows`);
        alias(ln, { t: x.t, kind: 'nhwc' });
        break;
      }
      case 'Concat': {
        const xs = ln.inputs.filter((i) => i !== '').map((_, i) => mapIn(ln, i));
        if (num(ln, 'axis') !== 1) return fail(ln, 'concatenates along an axis other than channels');
        emit(ln, { kind: 'concat', name: claim(ln.name), inputs: xs.map((v) => v.t), attrs: {} });
        break;
      }
      case 'Split': {
        const x = mapIn(ln);
        if (num(ln, 'axis') !== 1) return fail(ln, 'splits along an axis other than channels');
        const node: Node = { kind: 'split', name: claim(ln.name), inputs: [x.t], attrs: { sizes: nums(ln, 'sizes') } };
        emit(ln, node);
        const names = outputNames(node);
        ln.outputs.forEach((o, i) => vals.set(o, { t: names[i], kind: 'map' }));
        break;
      }
      case 'Slice': {
        const x = val(ln, 0);
        const cut = nums(ln, 'cut');
        if (cut.length === 0) {
          alias(ln, x);
          break;
        }
        const [axis, s, e] = cut;
        if (x.kind !== 'map' || axis !== 1) return fail(ln, 'slices an axis other than channels');
        const C = shapeOf(ln.inputs[0])[1];
        const sizes = [s, e - s, C - e].filter((v) => v > 0);
        const node: Node = { kind: 'split', name: claim(ln.name), inputs: [x.t], attrs: { sizes } };
        emit(ln, node);
        vals.set(out, { t: outputNames(node)[s > 0 ? 1 : 0], kind: 'map' });
        break;
      }
      case 'Identity':
      case 'Dropout':
      case 'Cast':
        alias(ln, val(ln, 0));
        break;
      default:
        return fail(ln, 'is not supported');
    }
  }
  const o = vals.get(g.output);
  if (!o) throw new ModelError(`The ONNX model's output "${g.output}" is not computed from its input.`);
  if (o.perm || o.kind === 'nhwc') throw new ModelError(`The ONNX model's output "${g.output}" is a flattened or transposed feature map, which this tool cannot import.`);
  const [, C, H, W] = g.shapes.get(g.input) ?? [];
  return { name: g.name, inputs: [{ name: g.input, shape: [H, W, C] }], outputs: [o.t], nodes: pruneDead(nodes, o.t), meta: {} };
}

/** a[perm[j]] for each j, or a itself. */
function permute(a: Float32Array, perm: Int32Array | undefined): Float32Array {
  if (!perm) return a;
  return Float32Array.from(perm, (i) => a[i]);
}

/** Drops nodes nothing reaches the output through (dropout masks, unused slices). */
function pruneDead(nodes: Node[], output: string): Node[] {
  const live = new Set<string>([output]);
  const keep = new Set<Node>();
  for (let i = nodes.length - 1; i >= 0; i--) {
    const n = nodes[i];
    if (outputNames(n).some((o) => live.has(o))) {
      keep.add(n);
      for (const x of n.inputs) live.add(x);
    }
  }
  return nodes.filter((n) => keep.has(n));
}
