/**
 * Constant folding: the value of a node whose inputs are all constants (shape arithmetic, Constant
 * nodes), as exporters emit it around Reshape, Split and Resize.
 */
import { ModelError } from '../../model/errors.js';
import type { NodeProto } from '../../engine/onnx/schema.js';
import { attr, attrInt, attrInts, nodeLabel } from './attrs.js';
import { binary, concatConst, gatherConst, normAxis, reshapeDims, sliceConst, squeezeDims, transposeConst, unsqueezeDims } from './const-ops.js';
import { type ConstTensor, numel } from './live.js';
import { decodeTensor } from './tensor.js';
import { FLOAT_TYPES, unsupported } from './ops.js';
import { ints, type WalkState } from './walk-state.js';

function scalarConst(v: number, int: boolean): ConstTensor {
  return { dims: [], data: Float64Array.of(v), int };
}

export function constantValue(n: NodeProto): ConstTensor {
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

export function foldConstant(st: WalkState, op: string, n: NodeProto): ConstTensor {
  const where = nodeLabel(n);
  const c = (i: number): ConstTensor => st.constIn(n, i, `input ${i}`);
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
      const axes = st.axes(n, 1) ?? [];
      return { ...(x as ConstTensor), dims: unsqueezeDims((x as ConstTensor).dims, axes, where) };
    }
    case 'Squeeze':
      return { ...(x as ConstTensor), dims: squeezeDims((x as ConstTensor).dims, st.axes(n, 1), where) };
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
      const { starts, ends, axes, steps } = st.sliceArgs(n, (x as ConstTensor).dims.length);
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
