/**
 * ONNX ModelProto → {@link LiveGraph}: walks the nodes in order, folds every node whose inputs are
 * all constants (and Shape of a feature map, whose shape is known), infers NCHW shapes for the
 * rest and resolves their attributes, whatever opset spelling the exporter used (Split sizes,
 * ReduceMean/Squeeze/Unsqueeze axes and Clip bounds as inputs or as attributes).
 */
import { ModelError } from '../../model/errors.js';
import type { ModelProto, NodeProto } from '../../engine/onnx/schema.js';
import { attr, attrFloat, attrInt, attrInts, attrString, nodeLabel } from './attrs.js';
import {
  binary,
  broadcastDims,
  concatConst,
  gatherConst,
  normAxis,
  reshapeDims,
  sliceConst,
  sliceRange,
  squeezeDims,
  transposeConst,
  unsqueezeDims,
} from './const-ops.js';
import { type ConstTensor, type LiveGraph, type LiveNode, type Params, numel } from './live.js';
import { decodeTensor } from './tensor.js';

/** Ops applied to feature maps. */
export const MAP_OPS = [
  'Conv', 'BatchNormalization', 'Relu', 'Clip', 'Sigmoid', 'HardSigmoid', 'HardSwish', 'Mul', 'Add', 'Sub', 'Div',
  'GlobalAveragePool', 'GlobalMaxPool', 'ReduceMean', 'Gemm', 'MatMul', 'Flatten', 'Reshape', 'Transpose', 'Concat',
  'Split', 'Slice', 'Squeeze', 'Unsqueeze', 'MaxPool', 'AveragePool', 'Identity', 'Dropout', 'Cast',
];
/** Ops folded when every input is constant (plus Shape of anything). */
export const CONST_OPS = [
  'Constant', 'ConstantOfShape', 'Shape', 'Gather', 'Unsqueeze', 'Squeeze', 'Concat', 'Cast', 'Reshape', 'Identity',
  'Add', 'Sub', 'Mul', 'Div', 'Slice', 'Transpose', 'Neg', 'Sqrt', 'Reciprocal', 'Floor', 'Ceil', 'Range', 'Equal',
  'Where', 'Expand', 'Min', 'Max', 'Flatten',
];
export const SUPPORTED_OPS = [...new Set([...MAP_OPS, ...CONST_OPS])].sort();

const FLOAT_TYPES = new Set([1, 10, 11, 16]);
const MAX_NODES = 100_000;
/** Values per sample in one feature map (a 4096×4096×64 map is 2^30; nothing real comes near 2^28). */
const MAX_VALUES = 1 << 28;

function unsupported(op: string, n: NodeProto): ModelError {
  return new ModelError(
    `The ONNX model uses the op ${op} (node "${nodeLabel(n)}"), which this tool cannot import; supported ops: ${SUPPORTED_OPS.join(', ')}.`,
  );
}

function ints(c: ConstTensor): number[] {
  return Array.from(c.data);
}

function scalarConst(v: number, int: boolean): ConstTensor {
  return { dims: [], data: Float64Array.of(v), int };
}

class Folder {
  readonly consts = new Map<string, ConstTensor>();
  readonly shapes = new Map<string, number[]>();
  readonly nodes: LiveNode[] = [];
  private readonly names = new Set<string>();

  constructor(readonly opset: number) {}

  isConst(name: string): boolean {
    return this.consts.has(name);
  }

  constIn(n: NodeProto, i: number, what: string): ConstTensor {
    const name = n.input?.[i] ?? '';
    const c = this.consts.get(name);
    if (!c) throw new ModelError(`The ONNX node "${nodeLabel(n)}" (${n.op_type}) needs a constant ${what}, but it is computed at run time.`);
    return c;
  }

  optConst(n: NodeProto, i: number, what: string): ConstTensor | undefined {
    const name = n.input?.[i] ?? '';
    return name === '' ? undefined : this.constIn(n, i, what);
  }

  shapeOf(n: NodeProto, name: string): number[] {
    const c = this.consts.get(name);
    if (c) return c.dims;
    const s = this.shapes.get(name);
    if (!s) throw new ModelError(`The ONNX node "${nodeLabel(n)}" reads "${name}", which no earlier node produces.`);
    return s;
  }

  /** Axes from the input at `i` (newer opsets) or the `axes` attribute (older ones). */
  axes(n: NodeProto, i: number): number[] | undefined {
    const c = this.optConst(n, i, 'axes');
    return c ? ints(c) : attrInts(n, 'axes');
  }

  run(n: NodeProto): void {
    const op = n.op_type ?? '';
    if (n.domain && n.domain !== 'ai.onnx') throw unsupported(`${n.domain}.${op}`, n);
    const ins = (n.input ?? []).filter((i) => i !== '');
    if (op === 'Constant') return this.setConst(n, this.constantValue(n));
    const allConst = ins.every((i) => this.isConst(i));
    if (op === 'Shape') {
      const dims = this.shapeOf(n, ins[0] ?? '');
      const r = dims.length;
      const start = attrInt(n, 'start', 0);
      const end = attrInt(n, 'end', r);
      const [s, e] = sliceRange(start, end, r);
      return this.setConst(n, { dims: [Math.max(0, e - s)], data: Float64Array.from(dims.slice(s, e)), int: true });
    }
    if (allConst && CONST_OPS.includes(op)) return this.setConst(n, this.fold(op, n));
    if (!MAP_OPS.includes(op)) {
      if (CONST_OPS.includes(op)) {
        throw new ModelError(
          `The ONNX node "${nodeLabel(n)}" applies ${op} to a feature map, which this tool cannot import (it folds ${op} only over constants).`,
        );
      }
      throw unsupported(op, n);
    }
    this.live(op, n);
  }

  private setConst(n: NodeProto, c: ConstTensor): void {
    const out = n.output?.[0];
    if (!out) throw new ModelError(`The ONNX node "${nodeLabel(n)}" has no output.`);
    this.consts.set(out, c);
  }

  private constantValue(n: NodeProto): ConstTensor {
    const a = n.attribute?.[0];
    if (!a) throw new ModelError(`The ONNX Constant node "${nodeLabel(n)}" has no value.`);
    switch (a.name) {
      case 'value':
        if (!a.t) break;
        return decodeTensor(a.t, `of node "${nodeLabel(n)}"`);
      case 'value_float':
        return scalarConst(Number(a.f ?? 0), false);
      case 'value_int':
        return scalarConst(Number(a.i ?? 0), true);
      case 'value_floats':
        return { dims: [a.floats?.length ?? 0], data: Float64Array.from((a.floats ?? []).map(Number)), int: false };
      case 'value_ints':
        return { dims: [a.ints?.length ?? 0], data: Float64Array.from((a.ints ?? []).map(Number)), int: true };
    }
    throw new ModelError(`The ONNX Constant node "${nodeLabel(n)}" has a ${a.name ?? 'nameless'} value, which this tool does not read.`);
  }

  private fold(op: string, n: NodeProto): ConstTensor {
    const where = nodeLabel(n);
    const c = (i: number): ConstTensor => this.constIn(n, i, `input ${i}`);
    const x = op === 'ConstantOfShape' || op === 'Range' ? undefined : c(0);
    const arith = (f: (a: number, b: number) => number): ConstTensor => binary(c(0), c(1), where, f);
    switch (op) {
      case 'Identity':
        return x as ConstTensor;
      case 'Cast': {
        const to = attrInt(n, 'to', 1);
        const int = !FLOAT_TYPES.has(to);
        const src = x as ConstTensor;
        return { dims: src.dims, data: int ? src.data.map((v) => Math.trunc(v)) : Float64Array.from(src.data, (v) => (to === 1 ? Math.fround(v) : v)), int };
      }
      case 'ConstantOfShape': {
        const dims = ints(c(0));
        const v = attr(n, 'value')?.t;
        const val = v ? decodeTensor(v, `of node "${where}"`) : { data: Float64Array.of(0), int: false, dims: [1] };
        if (numel(dims) > 1 << 24) throw new ModelError(`The ONNX node "${where}" makes a constant that is too large.`);
        return { dims, data: new Float64Array(numel(dims)).fill(val.data[0] ?? 0), int: val.int };
      }
      case 'Gather':
        return gatherConst(x as ConstTensor, c(1), attrInt(n, 'axis', 0), where);
      case 'Unsqueeze': {
        const axes = this.axes(n, 1) ?? [];
        return { ...(x as ConstTensor), dims: unsqueezeDims((x as ConstTensor).dims, axes, where) };
      }
      case 'Squeeze':
        return { ...(x as ConstTensor), dims: squeezeDims((x as ConstTensor).dims, this.axes(n, 1), where) };
      case 'Flatten': {
        const d = (x as ConstTensor).dims;
        const a = normAxis(attrInt(n, 'axis', 1), d.length + 1, where);
        return { ...(x as ConstTensor), dims: [numel(d.slice(0, a)), numel(d.slice(a))] };
      }
      case 'Concat':
        return concatConst((n.input ?? []).filter((i) => i !== '').map((_, i) => c(i)), attrInt(n, 'axis', 0), where);
      case 'Reshape':
        return { ...(x as ConstTensor), dims: reshapeDims((x as ConstTensor).dims, ints(c(1)), attrInt(n, 'allowzero', 0) === 1, where) };
      case 'Add':
        return arith((a, b) => a + b);
      case 'Sub':
        return arith((a, b) => a - b);
      case 'Mul':
        return arith((a, b) => a * b);
      case 'Div': {
        const int = c(0).int && c(1).int;
        return arith((a, b) => (int ? Math.trunc(a / b) : a / b));
      }
      case 'Min':
        return arith((a, b) => Math.min(a, b));
      case 'Max':
        return arith((a, b) => Math.max(a, b));
      case 'Equal':
        return binary(c(0), c(1), where, (a, b) => (a === b ? 1 : 0), true);
      case 'Where': {
        const ab = binary(c(1), c(2), where, (a) => a);
        const cond = binary(c(0), ab, where, (k) => k);
        const b2 = binary(c(2), ab, where, (b) => b);
        return { dims: cond.dims, data: cond.data.map((k, i) => (k ? ab.data[i] : b2.data[i])), int: c(1).int && c(2).int };
      }
      case 'Expand': {
        const shape = ints(c(1));
        return binary(x as ConstTensor, { dims: shape, data: new Float64Array(numel(shape)), int: true }, where, (a) => a, (x as ConstTensor).int);
      }
      case 'Neg':
        return { ...(x as ConstTensor), data: (x as ConstTensor).data.map((v) => -v) };
      case 'Sqrt':
        return { ...(x as ConstTensor), data: (x as ConstTensor).data.map(Math.sqrt) };
      case 'Reciprocal':
        return { ...(x as ConstTensor), data: (x as ConstTensor).data.map((v) => 1 / v) };
      case 'Floor':
        return { ...(x as ConstTensor), data: (x as ConstTensor).data.map(Math.floor) };
      case 'Ceil':
        return { ...(x as ConstTensor), data: (x as ConstTensor).data.map(Math.ceil) };
      case 'Range': {
        const [s, l, d] = [c(0).data[0], c(1).data[0], c(2).data[0]];
        const count = Math.max(Math.ceil((l - s) / d), 0);
        if (!Number.isFinite(count) || count > 1 << 24) throw new ModelError(`The ONNX node "${where}" makes an invalid Range.`);
        return { dims: [count], data: Float64Array.from({ length: count }, (_, i) => s + i * d), int: c(0).int };
      }
      case 'Slice': {
        const { starts, ends, axes, steps } = this.sliceArgs(n, (x as ConstTensor).dims.length);
        return sliceConst(x as ConstTensor, starts, ends, axes, steps, where);
      }
      case 'Transpose': {
        const r = (x as ConstTensor).dims.length;
        const perm = attrInts(n, 'perm') ?? [...Array(r).keys()].reverse();
        return transposeConst(x as ConstTensor, perm);
      }
    }
    throw unsupported(op, n);
  }

  private sliceArgs(n: NodeProto, rank: number): { starts: number[]; ends: number[]; axes: number[]; steps: number[] } {
    if (this.opset < 10) {
      const starts = attrInts(n, 'starts') ?? [];
      return { starts, ends: attrInts(n, 'ends') ?? [], axes: attrInts(n, 'axes') ?? starts.map((_, i) => i), steps: starts.map(() => 1) };
    }
    const starts = ints(this.constIn(n, 1, 'starts'));
    const ends = ints(this.constIn(n, 2, 'ends'));
    const axes = this.optConst(n, 3, 'axes');
    const steps = this.optConst(n, 4, 'steps');
    if (ends.length !== starts.length) throw new ModelError(`The ONNX Slice node "${nodeLabel(n)}" has ${starts.length} starts and ${ends.length} ends.`);
    return {
      starts,
      ends,
      axes: axes ? ints(axes) : starts.map((_, i) => i).filter((i) => i < rank),
      steps: steps ? ints(steps) : starts.map(() => 1),
    };
  }

  private claimName(n: NodeProto): string {
    let name = n.name || n.output?.[0] || n.op_type || 'node';
    for (let k = 1; this.names.has(name); k++) name = `${n.name || n.output?.[0]}_${k}`;
    this.names.add(name);
    return name;
  }

  /** A node on feature maps: resolve attributes and infer output shapes. */
  private live(op: string, n: NodeProto): void {
    const where = nodeLabel(n);
    const inputs = n.input ?? [];
    const outputs = (n.output ?? []).filter((o) => o !== '');
    if (outputs.length === 0) throw new ModelError(`The ONNX node "${where}" has no output.`);
    const x = this.shapeOf(n, inputs[0] ?? '');
    const p: Params = {};
    let outShapes: number[][];
    const spatial = (): [number, number] => {
      if (x.length !== 4) throw new ModelError(`The ONNX node "${where}" (${op}) needs an NCHW input, got rank ${x.length}.`);
      return [x[2], x[3]];
    };
    switch (op) {
      case 'Conv': {
        const w = this.constIn(n, 1, 'weight');
        if (w.dims.length !== 4) throw new ModelError(`The ONNX Conv node "${where}" is not 2-D (weight rank ${w.dims.length}); only 2-D convolutions are supported.`);
        const [hw, ww] = spatial();
        const k = [w.dims[2], w.dims[3]];
        p.group = attrInt(n, 'group', 1);
        if (p.group < 1 || x[1] !== w.dims[1] * p.group) {
          throw new ModelError(`The ONNX Conv node "${where}" has ${x[1]} input channels, which does not fit its weight [${w.dims.join(', ')}] and group ${p.group}.`);
        }
        if (n.input?.[2]) {
          const b = this.constIn(n, 2, 'bias');
          if (b.data.length !== w.dims[0]) throw new ModelError(`The ONNX Conv node "${where}" has ${b.data.length} biases for ${w.dims[0]} filters.`);
        }
        const win = this.window(n, [hw, ww], k, false);
        Object.assign(p, { kernel: k, strides: win.strides, pads: win.pads, dilations: win.dilations });
        outShapes = [[x[0], w.dims[0], win.out[0], win.out[1]]];
        break;
      }
      case 'MaxPool':
      case 'AveragePool': {
        const k = attrInts(n, 'kernel_shape') ?? [];
        if (k.length !== 2) throw new ModelError(`The ONNX ${op} node "${where}" is not 2-D.`);
        const win = this.window(n, spatial(), k, true);
        if (win.dilations.some((d) => d !== 1)) throw new ModelError(`The ONNX ${op} node "${where}" uses dilation, which this tool does not import.`);
        const cip = attrInt(n, 'count_include_pad', 0);
        if (win.ceilExtra && op === 'AveragePool') {
          throw new ModelError(`The ONNX AveragePool node "${where}" uses ceil_mode with a partial last window, which this tool does not import.`);
        }
        Object.assign(p, { kernel: k, strides: win.strides, pads: win.pads, countIncludePad: cip });
        outShapes = [[x[0], x[1], win.out[0], win.out[1]]];
        break;
      }
      case 'BatchNormalization': {
        for (let i = 1; i <= 4; i++) {
          const c = this.constIn(n, i, ['', 'scale', 'bias', 'mean', 'variance'][i]);
          if (c.data.length !== x[1]) throw new ModelError(`The ONNX BatchNormalization node "${where}" has ${c.data.length} values for ${x[1]} channels.`);
        }
        if (attrInt(n, 'training_mode', 0) !== 0) throw new ModelError(`The ONNX BatchNormalization node "${where}" is in training mode; export the model in eval mode.`);
        p.epsilon = attrFloat(n, 'epsilon', 1e-5);
        outShapes = [x];
        break;
      }
      case 'Clip': {
        const lo = this.opset >= 11 ? this.optConst(n, 1, 'min')?.data[0] : attrFloat(n, 'min', -Infinity);
        const hi = this.opset >= 11 ? this.optConst(n, 2, 'max')?.data[0] : attrFloat(n, 'max', Infinity);
        p.min = lo ?? -Infinity;
        p.max = hi ?? Infinity;
        outShapes = [x];
        break;
      }
      case 'HardSigmoid':
        p.alpha = attrFloat(n, 'alpha', 0.2);
        p.beta = attrFloat(n, 'beta', 0.5);
        outShapes = [x];
        break;
      case 'Relu':
      case 'Sigmoid':
      case 'HardSwish':
      case 'Identity':
      case 'Dropout':
        outShapes = [x];
        break;
      case 'Cast':
        if (!FLOAT_TYPES.has(attrInt(n, 'to', 1))) throw new ModelError(`The ONNX Cast node "${where}" turns a feature map into integers, which this tool does not import.`);
        outShapes = [x];
        break;
      case 'Add':
      case 'Sub':
      case 'Mul':
      case 'Div':
        outShapes = [broadcastDims(x, this.shapeOf(n, inputs[1] ?? ''), where)];
        break;
      case 'GlobalAveragePool':
      case 'GlobalMaxPool':
        spatial();
        outShapes = [[x[0], x[1], 1, 1]];
        break;
      case 'ReduceMean': {
        const axes = this.axes(n, 1);
        const all = axes === undefined || axes.length === 0;
        if (all && attrInt(n, 'noop_with_empty_axes', 0) === 1) {
          p.axes = [];
        } else {
          p.axes = (all ? x.map((_, i) => i) : axes).map((a) => normAxis(a, x.length, where)).sort();
        }
        p.keepdims = attrInt(n, 'keepdims', 1);
        const ax = p.axes;
        outShapes = [p.keepdims ? x.map((d, i) => (ax.includes(i) ? 1 : d)) : x.filter((_, i) => !ax.includes(i))];
        break;
      }
      case 'Gemm': {
        const b = this.constIn(n, 1, 'weight');
        p.transA = attrInt(n, 'transA', 0);
        p.transB = attrInt(n, 'transB', 0);
        p.alpha = attrFloat(n, 'alpha', 1);
        p.beta = attrFloat(n, 'beta', 1);
        if (p.transA !== 0 || x.length !== 2 || b.dims.length !== 2) throw new ModelError(`The ONNX Gemm node "${where}" is not a plain fully connected layer (x·Wᵀ + b on [N, K] inputs).`);
        const [kIn, out] = p.transB ? [b.dims[1], b.dims[0]] : b.dims;
        if (kIn !== x[1]) throw new ModelError(`The ONNX Gemm node "${where}" gets ${x[1]} features where its weight takes ${kIn}.`);
        const c = this.optConst(n, 2, 'bias');
        if (c && c.data.length !== out && c.data.length !== 1) throw new ModelError(`The ONNX Gemm node "${where}" has a bias that does not fit its ${out} outputs.`);
        outShapes = [[x[0], out]];
        break;
      }
      case 'MatMul': {
        const b = this.constIn(n, 1, 'weight');
        if (x.length !== 2 || b.dims.length !== 2 || b.dims[0] !== x[1]) {
          throw new ModelError(`The ONNX MatMul node "${where}" is not a fully connected layer on [N, K] inputs.`);
        }
        outShapes = [[x[0], b.dims[1]]];
        break;
      }
      case 'Flatten': {
        const a = normAxis(attrInt(n, 'axis', 1), x.length + 1, where);
        p.axis = a;
        outShapes = [[numel(x.slice(0, a)), numel(x.slice(a))]];
        break;
      }
      case 'Reshape': {
        const t = this.constIn(n, 1, 'shape');
        p.shape = reshapeDims(x, Array.from(t.data), attrInt(n, 'allowzero', 0) === 1, where);
        outShapes = [p.shape];
        break;
      }
      case 'Transpose': {
        p.perm = attrInts(n, 'perm') ?? [...x.keys()].reverse();
        const perm = p.perm;
        if (perm.length !== x.length || [...perm].sort().some((v, i) => v !== i)) throw new ModelError(`The ONNX Transpose node "${where}" has an invalid perm.`);
        outShapes = [perm.map((a) => x[a])];
        break;
      }
      case 'Concat': {
        const parts = inputs.filter((i) => i !== '');
        if (parts.some((i) => this.isConst(i))) throw new ModelError(`The ONNX Concat node "${where}" joins a feature map with a constant, which this tool does not import.`);
        const shapes = parts.map((i) => this.shapeOf(n, i));
        p.axis = normAxis(attrInt(n, 'axis', 0), x.length, where);
        const ax = p.axis;
        for (const s of shapes) {
          if (s.length !== x.length || s.some((d, i) => i !== ax && d !== x[i])) throw new ModelError(`The ONNX Concat node "${where}" joins tensors of different shapes.`);
        }
        outShapes = [x.map((d, i) => (i === ax ? shapes.reduce((a, s) => a + s[i], 0) : d))];
        break;
      }
      case 'Split': {
        p.axis = normAxis(attrInt(n, 'axis', 0), x.length, where);
        const dim = x[p.axis];
        const fromInput = this.optConst(n, 1, 'split');
        let sizes = fromInput ? Array.from(fromInput.data) : attrInts(n, 'split');
        if (!sizes || sizes.length === 0) {
          const parts = attrInt(n, 'num_outputs', outputs.length);
          const each = Math.ceil(dim / parts);
          sizes = Array.from({ length: parts }, (_, i) => Math.max(0, Math.min(each, dim - i * each)));
        }
        if (sizes.reduce((a, b) => a + b, 0) !== dim || sizes.length !== (n.output ?? []).length || sizes.some((s) => s < 0)) {
          throw new ModelError(`The ONNX Split node "${where}" splits ${dim} values into [${sizes.slice(0, 8).join(', ')}${sizes.length > 8 ? `, … (${sizes.length} parts)` : ''}], which does not fit.`);
        }
        p.sizes = sizes;
        const ax = p.axis;
        outShapes = sizes.map((s) => x.map((d, i) => (i === ax ? s : d)));
        break;
      }
      case 'Slice': {
        const { starts, ends, axes, steps } = this.sliceArgs(n, x.length);
        const cut: number[] = [];
        const out = [...x];
        axes.forEach((a0, k) => {
          const a = normAxis(a0, x.length, where);
          const [s, e] = sliceRange(starts[k], ends[k], x[a]);
          if (s === 0 && e === x[a] && (steps[k] ?? 1) === 1) return;
          if ((steps[k] ?? 1) !== 1) throw new ModelError(`The ONNX Slice node "${where}" uses a step other than 1, which this tool does not import.`);
          cut.push(a, s, Math.max(s, e));
          out[a] = Math.max(0, e - s);
        });
        if (cut.length > 3) throw new ModelError(`The ONNX Slice node "${where}" cuts more than one axis, which this tool does not import.`);
        if (out.some((d) => d === 0)) throw new ModelError(`The ONNX Slice node "${where}" produces an empty tensor.`);
        p.cut = cut;
        outShapes = [out];
        break;
      }
      case 'Squeeze':
        outShapes = [squeezeDims(x, this.axes(n, 1), where)];
        break;
      case 'Unsqueeze':
        outShapes = [unsqueezeDims(x, this.axes(n, 1) ?? [], where)];
        break;
      default:
        throw unsupported(op, n);
    }
    if (outShapes.some((s) => numel(s) > MAX_VALUES || s.some((d) => !Number.isInteger(d) || d < 1))) {
      throw new ModelError(`The ONNX node "${where}" (${op}) produces a tensor that is empty or too large.`);
    }
    const kept = op === 'Split' ? (n.output ?? []) : outputs.slice(0, 1);
    kept.forEach((o, i) => {
      if (o !== '') this.shapes.set(o, outShapes[i]);
    });
    this.nodes.push({ op, name: this.claimName(n), inputs: [...inputs], outputs: [...kept], p });
    if (this.nodes.length > MAX_NODES) throw new ModelError('The ONNX model has too many nodes for this tool.');
  }

  /** Strides, dilations, explicit pads (auto_pad resolved; ceil_mode as extra end padding) and output size. */
  private window(n: NodeProto, size: [number, number], k: number[], pool: boolean) {
    const where = nodeLabel(n);
    const strides = attrInts(n, 'strides') ?? [1, 1];
    const dilations = attrInts(n, 'dilations') ?? [1, 1];
    let pads = attrInts(n, 'pads') ?? [0, 0, 0, 0];
    if (strides.length !== 2 || dilations.length !== 2 || pads.length !== 4 || [...strides, ...dilations].some((v) => v < 1) || pads.some((v) => v < 0)) {
      throw new ModelError(`The ONNX node "${where}" has invalid strides, dilations or pads.`);
    }
    const autoPad = attrString(n, 'auto_pad', 'NOTSET');
    if (autoPad === 'SAME_UPPER' || autoPad === 'SAME_LOWER') {
      pads = [0, 0, 0, 0];
      for (let d = 0; d < 2; d++) {
        const out = Math.ceil(size[d] / strides[d]);
        const total = Math.max(0, (out - 1) * strides[d] + dilations[d] * (k[d] - 1) + 1 - size[d]);
        const small = Math.floor(total / 2);
        pads[d] = autoPad === 'SAME_UPPER' ? small : total - small;
        pads[d + 2] = total - pads[d];
      }
    } else if (autoPad === 'VALID') {
      pads = [0, 0, 0, 0];
    }
    const ceil = pool && attrInt(n, 'ceil_mode', 0) === 1;
    const out: number[] = [];
    let ceilExtra = false;
    for (let d = 0; d < 2; d++) {
      const span = size[d] + pads[d] + pads[d + 2] - dilations[d] * (k[d] - 1) - 1;
      let o = Math.floor(span / strides[d]) + 1;
      if (ceil) {
        let oc = Math.ceil(span / strides[d]) + 1;
        // PyTorch/ONNX: the last window must start inside the input or the left padding.
        if ((oc - 1) * strides[d] >= size[d] + pads[d]) oc--;
        if (oc > o) {
          pads[d + 2] += (oc - 1) * strides[d] + dilations[d] * (k[d] - 1) + 1 - (size[d] + pads[d] + pads[d + 2]);
          ceilExtra = true;
          o = oc;
        }
      }
      if (o < 1 || span < 0) throw new ModelError(`The ONNX node "${where}" gets an input too small for its window.`);
      out.push(o);
    }
    return { strides, dilations, pads, out, ceilExtra };
  }
}

/** Folds constants and resolves attributes; the graph's first non-initializer input is the image. */
export function foldModel(model: ModelProto): LiveGraph {
  const g = model.graph;
  if (!g) throw new ModelError('The ONNX file holds no graph.');
  const opset = Number(model.opset_import?.find((o) => !o.domain || o.domain === 'ai.onnx')?.version ?? 13);
  const f = new Folder(opset);
  for (const t of g.initializer ?? []) {
    if (!t.name) continue;
    f.consts.set(t.name, decodeTensor(t, `"${t.name}"`));
  }
  const inputs = (g.input ?? []).filter((i) => i.name && !f.consts.has(i.name));
  if (inputs.length !== 1) throw new ModelError(`The ONNX model has ${inputs.length} inputs; this tool imports models with exactly one image input.`);
  const inp = inputs[0];
  const tt = inp.type?.tensor_type;
  const dims = tt?.shape?.dim ?? [];
  const fixed = dims.slice(1).map((d) => Number(d.dim_value ?? 0));
  if (!tt || (tt.elem_type ?? 1) !== 1 || dims.length !== 4 || fixed.some((d) => !Number.isInteger(d) || d < 1 || d > 1 << 16)) {
    throw new ModelError(
      `The ONNX model's input "${inp.name}" must be a float32 NCHW image with fixed channels, height and width (re-export with a fixed input size).`,
    );
  }
  f.shapes.set(inp.name as string, [1, ...fixed]);
  for (const n of g.node ?? []) f.run(n);
  const out = g.output?.[0]?.name;
  if (!out) throw new ModelError('The ONNX model has no output.');
  if (!f.shapes.has(out)) throw new ModelError(`The ONNX model's output "${out}" is not computed from its input.`);
  return { name: g.name || 'onnx-model', input: inp.name as string, output: out, nodes: f.nodes, consts: f.consts, shapes: f.shapes };
}
