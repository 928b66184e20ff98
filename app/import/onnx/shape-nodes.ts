/**
 * A node on feature maps: its attributes resolved whatever opset spelling the exporter used (Clip
 * bounds, ReduceMean/Squeeze/Unsqueeze axes and Split sizes as inputs or attributes) and its
 * NCHW output shapes inferred; the node is added to the walk's list.
 */
import { ModelError } from '../../model/errors.js';
import type { NodeProto } from '../../engine/onnx/schema.js';
import { attrFloat, attrInt, attrInts, nodeLabel } from './attrs.js';
import { broadcastDims, normAxis, reshapeDims, sliceRange, squeezeDims, unsqueezeDims } from './const-ops.js';
import { type Params, numel } from './live.js';
import { FLOAT_TYPES, unsupported } from './ops.js';
import { convWindow } from './conv-window.js';
import type { WalkState } from './walk-state.js';

const MAX_NODES = 100_000;
/** Values per sample in one feature map (a 4096×4096×64 map is 2^30; nothing real comes near 2^28). */
const MAX_VALUES = 1 << 28;

/** A node on feature maps: resolve attributes and infer output shapes. */
export function addMapNode(st: WalkState, op: string, n: NodeProto): void {
  const where = nodeLabel(n);
  const inputs = n.input ?? [];
  const outputs = (n.output ?? []).filter((o) => o !== '');
  if (outputs.length === 0) throw new ModelError(`The ONNX node "${where}" has no output.`);
  const x = st.shapeOf(n, inputs[0] ?? '');
  const p: Params = {};
  let outShapes: number[][];
  const spatial = (): [number, number] => {
    if (x.length !== 4) throw new ModelError(`The ONNX node "${where}" (${op}) needs an NCHW input, got rank ${x.length}.`);
    return [x[2], x[3]];
  };
  switch (op) {
    case 'Conv': {
      const w = st.constIn(n, 1, 'weight');
      if (w.dims.length !== 4) throw new ModelError(`The ONNX Conv node "${where}" is not 2-D (weight rank ${w.dims.length}); only 2-D convolutions are supported.`);
      const [hw, ww] = spatial();
      const k = [w.dims[2], w.dims[3]];
      p.group = attrInt(n, 'group', 1);
      if (p.group < 1 || x[1] !== w.dims[1] * p.group) {
        throw new ModelError(`The ONNX Conv node "${where}" has ${x[1]} input channels, which does not fit its weight [${w.dims.join(', ')}] and group ${p.group}.`);
      }
      if (n.input?.[2]) {
        const b = st.constIn(n, 2, 'bias');
        if (b.data.length !== w.dims[0]) throw new ModelError(`The ONNX Conv node "${where}" has ${b.data.length} biases for ${w.dims[0]} filters.`);
      }
      const win = convWindow(n, [hw, ww], k, false);
      Object.assign(p, { kernel: k, strides: win.strides, pads: win.pads, dilations: win.dilations });
      outShapes = [[x[0], w.dims[0], win.out[0], win.out[1]]];
      break;
    }
    case 'MaxPool':
    case 'AveragePool': {
      const k = attrInts(n, 'kernel_shape') ?? [];
      if (k.length !== 2) throw new ModelError(`The ONNX ${op} node "${where}" is not 2-D.`);
      const win = convWindow(n, spatial(), k, true);
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
        const c = st.constIn(n, i, ['', 'scale', 'bias', 'mean', 'variance'][i]);
        if (c.data.length !== x[1]) throw new ModelError(`The ONNX BatchNormalization node "${where}" has ${c.data.length} values for ${x[1]} channels.`);
      }
      if (attrInt(n, 'training_mode', 0) !== 0) throw new ModelError(`The ONNX BatchNormalization node "${where}" is in training mode; export the model in eval mode.`);
      p.epsilon = attrFloat(n, 'epsilon', 1e-5);
      outShapes = [x];
      break;
    }
    case 'Clip': {
      const lo = st.opset >= 11 ? st.optConst(n, 1, 'min')?.data[0] : attrFloat(n, 'min', -Infinity);
      const hi = st.opset >= 11 ? st.optConst(n, 2, 'max')?.data[0] : attrFloat(n, 'max', Infinity);
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
      outShapes = [broadcastDims(x, st.shapeOf(n, inputs[1] ?? ''), where)];
      break;
    case 'GlobalAveragePool':
    case 'GlobalMaxPool':
      spatial();
      outShapes = [[x[0], x[1], 1, 1]];
      break;
    case 'ReduceMean': {
      const axes = st.axes(n, 1);
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
      const b = st.constIn(n, 1, 'weight');
      p.transA = attrInt(n, 'transA', 0);
      p.transB = attrInt(n, 'transB', 0);
      p.alpha = attrFloat(n, 'alpha', 1);
      p.beta = attrFloat(n, 'beta', 1);
      if (p.transA !== 0 || x.length !== 2 || b.dims.length !== 2) throw new ModelError(`The ONNX Gemm node "${where}" is not a plain fully connected layer (x·Wᵀ + b on [N, K] inputs).`);
      const [kIn, out] = p.transB ? [b.dims[1], b.dims[0]] : b.dims;
      if (kIn !== x[1]) throw new ModelError(`The ONNX Gemm node "${where}" gets ${x[1]} features where its weight takes ${kIn}.`);
      const c = st.optConst(n, 2, 'bias');
      if (c && c.data.length !== out && c.data.length !== 1) throw new ModelError(`The ONNX Gemm node "${where}" has a bias that does not fit its ${out} outputs.`);
      outShapes = [[x[0], out]];
      break;
    }
    case 'MatMul': {
      const b = st.constIn(n, 1, 'weight');
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
      const t = st.constIn(n, 1, 'shape');
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
      if (parts.some((i) => st.isConst(i))) throw new ModelError(`The ONNX Concat node "${where}" joins a feature map with a constant, which this tool does not import.`);
      const shapes = parts.map((i) => st.shapeOf(n, i));
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
      const fromInput = st.optConst(n, 1, 'split');
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
      const { starts, ends, axes, steps } = st.sliceArgs(n, x.length);
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
      outShapes = [squeezeDims(x, st.axes(n, 1), where)];
      break;
    case 'Unsqueeze':
      outShapes = [unsqueezeDims(x, st.axes(n, 1) ?? [], where)];
      break;
    default:
      throw unsupported(op, n);
  }
  if (outShapes.some((s) => numel(s) > MAX_VALUES || s.some((d) => !Number.isInteger(d) || d < 1))) {
    throw new ModelError(`The ONNX node "${where}" (${op}) produces a tensor that is empty or too large.`);
  }
  const kept = op === 'Split' ? (n.output ?? []) : outputs.slice(0, 1);
  kept.forEach((o, i) => {
    if (o !== '') st.shapes.set(o, outShapes[i]);
  });
  st.nodes.push({ op, name: st.claimName(n), inputs: [...inputs], outputs: [...kept], p });
  if (st.nodes.length > MAX_NODES) throw new ModelError('The ONNX model has too many nodes for this tool.');
}
