/**
 * Full-integer int8 TFLite per the TFLite quantization spec: per-channel symmetric int8 conv and
 * depthwise filters (zero point 0, axis 0 resp. 3), per-tensor symmetric FULLY_CONNECTED weights,
 * int32 biases with scale input_scale · weight_scale, per-tensor asymmetric int8 activations from
 * the calibrated ranges (widened to hold 0). Ops whose spec ties input and output parameters
 * (RESHAPE, TRANSPOSE, PAD/PADV2, pools, SPLIT/SPLIT_V, CONCATENATION) get one parameter set for
 * all their data tensors, from the union of their ranges; LOGISTIC outputs are 1/256, −128.
 * I/O: 'int8' makes the graph's input and output int8 tensors; 'float' keeps float32 I/O with a
 * QUANTIZE at the input and a DEQUANTIZE at the output. Biases are corrected for the mean shift
 * of weight rounding when calibration gave the input means (bias-correction.ts). Chosen ops may
 * stay float32 (a mixed graph, as TFLite allows): see {@link int8Model}.
 */
import { UserError } from '../../app/model/errors.js';
import { quantizePerChannel } from '../quantize/int8.js';
import { correctBias } from './bias-correction.js';
import { Op, TensorType, type OpCode, type QuantParams, type TfliteModel, type TfliteOperator, type TfliteTensor } from './schema.js';
import type { Plan } from './plan.js';
import type { Range } from './calibrate.js';
import { f32Bytes, i32Bytes, i8Bytes, opVersion } from './emit.js';

export type IoType = 'int8' | 'float';

export interface Affine {
  scale: number;
  zeroPoint: number;
}

const round = (v: number): number => Math.sign(v) * Math.round(Math.abs(v));

/** Asymmetric int8 parameters for a range (widened to include 0, so 0 is exact). */
export function int8Params(r: Range): Affine {
  const lo = Math.min(0, r.min);
  const hi = Math.max(0, r.max);
  if (!(hi > lo) || !Number.isFinite(hi - lo)) return { scale: 1, zeroPoint: 0 };
  const scale = Math.fround((hi - lo) / 255);
  const zeroPoint = Math.max(-128, Math.min(127, round(-128 - lo / scale)));
  return { scale, zeroPoint };
}

/** Symmetric int8 with one scale for the whole tensor (max |w| / 127), as float32. */
export function quantizePerTensor(w: Float32Array): { q: Int8Array; scale: Float32Array } {
  let m = 0;
  for (const v of w) m = Math.max(m, Math.abs(v));
  const s = m > 0 ? Math.fround(m / 127) : 1;
  return { q: Int8Array.from(w, (v) => Math.max(-127, Math.min(127, round(v / s)))), scale: Float32Array.of(s) };
}

/** Which inputs of a tied op carry data (the others are shapes, axes, pads). */
function tiedInputs(op: OpCode, inputs: number[]): number[] | undefined {
  switch (op) {
    case Op.RESHAPE:
    case Op.TRANSPOSE:
    case Op.PAD:
    case Op.PADV2:
    case Op.MAX_POOL_2D:
    case Op.AVERAGE_POOL_2D:
    case Op.SPLIT_V:
      return [inputs[0]];
    case Op.SPLIT:
      return [inputs[1]];
    case Op.CONCATENATION:
      return inputs;
    default:
      return undefined;
  }
}

function unionFind(n: number): { find: (i: number) => number; union: (a: number, b: number) => void } {
  const parent = Array.from({ length: n }, (_, i) => i);
  const find = (i: number): number => {
    while (parent[i] !== i) i = parent[i] = parent[parent[i]];
    return i;
  };
  return { find, union: (a, b) => void (parent[find(a)] = find(b)) };
}

const q = (a: Affine): QuantParams => ({ scale: [a.scale], zeroPoint: [a.zeroPoint] });

/**
 * The int8 parameters of every activation tensor: one set per group of tensors tied by an int8
 * op (RESHAPE, CONCATENATION, ...: the union of their calibrated ranges), fixed ones (LOGISTIC
 * output) as the op requires. Tensors produced by a float op are not tied.
 */
export function activationParams(plan: Plan, ranges: Map<number, Range>, floatOps: ReadonlySet<number> = new Set()): (i: number) => Affine {
  const T = plan.tensors;
  const isConst = (i: number): boolean => !!(T[i].f32 || T[i].i32);
  const producer = new Map<number, number>();
  plan.ops.forEach((o, k) => o.outputs.forEach((t) => producer.set(t, k)));
  const floatAct = (i: number): boolean => !isConst(i) && producer.has(i) && floatOps.has(producer.get(i)!);
  // One set per tied group (ties come from int8 ops only).
  const uf = unionFind(T.length);
  plan.ops.forEach((o, k) => {
    if (floatOps.has(k)) return;
    const data = tiedInputs(o.op, o.inputs);
    if (!data) return;
    for (const t of [...data, ...o.outputs]) uf.union(t, o.outputs[0]);
  });
  const groupRange = new Map<number, Range>();
  const groupFixed = new Map<number, Affine>();
  T.forEach((t, i) => {
    if (isConst(i)) return;
    const root = uf.find(i);
    if (t.fixedQuant && !floatAct(i)) {
      const prev = groupFixed.get(root);
      if (prev && (prev.scale !== t.fixedQuant.scale || prev.zeroPoint !== t.fixedQuant.zeroPoint)) {
        throw new Error(`tflite int8: tensors tied to tensor ${i} need different fixed parameters`);
      }
      groupFixed.set(root, t.fixedQuant);
    }
    const r = ranges.get(i);
    if (!r || !Number.isFinite(r.min)) return;
    const g = groupRange.get(root);
    if (g) {
      g.min = Math.min(g.min, r.min);
      g.max = Math.max(g.max, r.max);
    } else groupRange.set(root, { ...r });
  });
  return (i: number): Affine => {
    const root = uf.find(i);
    const fixed = groupFixed.get(root);
    if (fixed) return fixed;
    const r = groupRange.get(root);
    if (!r) throw new Error(`tflite int8: no calibration range reaches tensor ${i}`);
    return int8Params(r);
  };
}

/**
 * The int8 model. Ops in `floatOps` (plan op indices) stay float32: their activations, weights,
 * biases and operands are float32 tensors (constant weights: Arm NN 22 refuses weights a DEQUANTIZE
 * makes); a DEQUANTIZE follows an int8 tensor a float op reads and a QUANTIZE (with the tensor's
 * calibrated range) a float tensor an int8 op reads.
 * Conv / depthwise filters in `perTensor` (plan tensor indices) get one scale instead of one per
 * output channel, and their biases too (granularity.ts decides which).
 */
export function int8Model(
  plan: Plan,
  ranges: Map<number, Range>,
  io: IoType,
  description: string,
  metadata: Record<string, string>,
  floatOps: ReadonlySet<number> = new Set(),
  inputMeans: ReadonlyMap<number, Float64Array> = new Map(),
  perTensor: ReadonlySet<number> = new Set(),
): TfliteModel {
  const T = plan.tensors;
  const isConst = (i: number): boolean => !!(T[i].f32 || T[i].i32);
  const producer = new Map<number, number>();
  plan.ops.forEach((o, k) => o.outputs.forEach((t) => producer.set(t, k)));
  const consumerOf = new Map<number, number>();
  plan.ops.forEach((o, k) => o.inputs.forEach((t) => consumerOf.has(t) || consumerOf.set(t, k)));
  const floatAct = (i: number): boolean => !isConst(i) && producer.has(i) && floatOps.has(producer.get(i)!);

  const act = activationParams(plan, ranges, floatOps);

  // Weight scales first (biases need them), then every tensor.
  const weightScales = new Map<number, Float32Array>();
  const weightQ = new Map<number, Int8Array>();
  const tensors: TfliteTensor[] = new Array(T.length);

  /** The bias of weighted op k, corrected for the mean shift of its weight rounding (bias-correction.ts). */
  const correctedBias = (k: number, bias: Float32Array): Float32Array => {
    const mu = inputMeans.get(k);
    const wi = plan.ops[k].inputs[1];
    const w = T[wi];
    const qv = weightQ.get(wi);
    if (!mu || !qv || !w.f32 || (w.role !== 'conv-filter' && w.role !== 'dw-filter' && w.role !== 'fc-weights')) return bias;
    return correctBias(w.role, w.shape, w.f32, qv, weightScales.get(wi)!, bias, mu);
  };

  T.forEach((t, i) => {
    if (!t.f32 || (t.role !== 'conv-filter' && t.role !== 'dw-filter' && t.role !== 'fc-weights')) return;
    if (floatOps.has(consumerOf.get(i)!)) {
      // A float op's weights as float32 constants: weight-only int8 through a DEQUANTIZE is smaller,
      // but Arm NN 22's parser refuses a FULLY_CONNECTED whose weights are not a constant buffer.
      tensors[i] = { name: t.name, shape: t.shape, type: TensorType.FLOAT32, data: f32Bytes(t.f32) };
      return;
    }
    let qv: Int8Array;
    let scales: Float32Array;
    let dim = 0;
    if (t.role === 'fc-weights' || perTensor.has(i)) {
      ({ q: qv, scale: scales } = quantizePerTensor(t.f32));
    } else {
      dim = t.role === 'conv-filter' ? 0 : 3;
      const pc = quantizePerChannel(t.f32, t.shape, dim);
      qv = pc.q;
      scales = pc.scales.map((s) => Math.fround(s));
    }
    weightScales.set(i, scales);
    weightQ.set(i, qv);
    tensors[i] = { name: t.name, shape: t.shape, type: TensorType.INT8, data: i8Bytes(qv), quant: { scale: [...scales], zeroPoint: Array.from(scales, () => 0), dim } };
  });

  T.forEach((t, i) => {
    if (tensors[i]) return;
    if (t.i32) {
      tensors[i] = { name: t.name, shape: t.shape, type: TensorType.INT32, data: i32Bytes(t.i32) };
      return;
    }
    if (!t.f32) {
      tensors[i] = floatAct(i) ? { name: t.name, shape: t.shape, type: TensorType.FLOAT32 } : { name: t.name, shape: t.shape, type: TensorType.INT8, quant: q(act(i)) };
      return;
    }
    const k = consumerOf.get(i);
    if (k === undefined) throw new Error(`tflite int8: constant tensor ${i} has no reader`);
    const bias = t.role === 'bias' ? correctedBias(k, t.f32) : t.f32;
    if (floatOps.has(k)) {
      tensors[i] = { name: t.name, shape: t.shape, type: TensorType.FLOAT32, data: f32Bytes(bias) };
      return;
    }
    const user = plan.ops[k];
    if (t.role === 'bias') {
      const inScale = act(user.inputs[0]).scale;
      const ws = weightScales.get(user.inputs[1])!;
      const scales = bias.length === ws.length ? ws.map((s) => Math.fround(inScale * s)) : Float32Array.from(bias, () => Math.fround(inScale * ws[0]));
      const qb = Int32Array.from(bias, (v, c) => Math.max(-(2 ** 31), Math.min(2 ** 31 - 1, round(v / scales[c]))));
      const perChannel = ws.length > 1;
      tensors[i] = {
        name: t.name,
        shape: t.shape,
        type: TensorType.INT32,
        data: i32Bytes(qb),
        quant: perChannel ? { scale: [...scales], zeroPoint: Array.from(scales, () => 0), dim: 0 } : { scale: [scales[0]], zeroPoint: [0] },
      };
      return;
    }
    if (t.role === 'pad-value') {
      const a = act(user.inputs[0]);
      const v = Math.max(-128, Math.min(127, round(t.f32[0] / a.scale) + a.zeroPoint));
      tensors[i] = { name: t.name, shape: t.shape, type: TensorType.INT8, data: i8Bytes(Int8Array.of(v)), quant: q(a) };
      return;
    }
    // An elementwise operand: its own per-tensor asymmetric parameters.
    let min = 0;
    let max = 0;
    for (const v of t.f32) {
      min = Math.min(min, v);
      max = Math.max(max, v);
    }
    const a = int8Params({ min, max });
    const qv = Int8Array.from(t.f32, (v) => Math.max(-128, Math.min(127, round(v / a.scale) + a.zeroPoint)));
    tensors[i] = { name: t.name, shape: t.shape, type: TensorType.INT8, data: i8Bytes(qv), quant: q(a) };
  });

  // Conversions between the two worlds: twins made on first need, emitted after their source's producer.
  const head: TfliteOperator[] = [];
  const after = new Map<number, TfliteOperator[]>();
  const twins = new Map<string, number>();
  const convert = (i: number, toFloat: boolean): number => {
    const key = `${i}:${toFloat ? 'f' : 'q'}`;
    const have = twins.get(key);
    if (have !== undefined) return have;
    const t = tensors[i];
    const name = t.name && `${t.name}/${toFloat ? 'f' : 'q'}`;
    const twin = tensors.push(toFloat ? { name, shape: t.shape, type: TensorType.FLOAT32 } : { name, shape: t.shape, type: TensorType.INT8, quant: q(act(i)) }) - 1;
    const op: TfliteOperator = toFloat
      ? { op: Op.DEQUANTIZE, version: opVersion(Op.DEQUANTIZE, true), inputs: [i], outputs: [twin] }
      : { op: Op.QUANTIZE, version: opVersion(Op.QUANTIZE, true), inputs: [i], outputs: [twin], options: { type: 'Empty', table: 'QuantizeOptions' } };
    const k = producer.get(i);
    if (k === undefined) head.push(op);
    else after.set(k, [...(after.get(k) ?? []), op]);
    twins.set(key, twin);
    return twin;
  };
  const isInt8 = (i: number): boolean => tensors[i].type === TensorType.INT8;
  const isFloat = (i: number): boolean => tensors[i].type === TensorType.FLOAT32;

  if (io === 'float') {
    const f = tensors.push({ name: `${T[plan.input].name}/float`, shape: T[plan.input].shape, type: TensorType.FLOAT32 }) - 1;
    head.push({ op: Op.QUANTIZE, version: opVersion(Op.QUANTIZE, true), inputs: [f], outputs: [plan.input], options: { type: 'Empty', table: 'QuantizeOptions' } });
    twins.set(`${plan.input}:f`, f);
  }
  const body: TfliteOperator[][] = plan.ops.map((o, k) => {
    const fl = floatOps.has(k);
    const inputs = o.inputs.map((i) => (fl && isInt8(i) ? convert(i, true) : !fl && isFloat(i) ? convert(i, false) : i));
    return [{ op: o.op, version: opVersion(o.op, !fl), inputs, outputs: o.outputs, ...(o.options ? { options: o.options } : {}) }];
  });
  const input = io === 'float' ? twins.get(`${plan.input}:f`)! : plan.input;
  const output = io === 'float' ? (isFloat(plan.output) ? plan.output : convert(plan.output, true)) : isInt8(plan.output) ? plan.output : convert(plan.output, false);
  const operators = [...head, ...body.flatMap((ops, k) => [...ops, ...(after.get(k) ?? [])])];
  if (tensors.some((t) => t.quant && t.quant.scale.some((s) => !(s > 0) || !Number.isFinite(s)))) {
    throw new UserError('int8 TFLite export: a calibrated range is empty or not finite; check the calibration images.');
  }
  return { description, metadata, tensors, operators, inputs: [input], outputs: [output] };
}
