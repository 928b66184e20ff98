/**
 * Plan → {@link TfliteModel} for float32 (constants stored as they are), plus the byte and
 * operator-version helpers the fp16 and int8 passes share.
 */
import { Op, TensorType, type OpCode, type TfliteModel, type TfliteOperator, type TfliteTensor } from './schema.js';
import type { Plan, PlanTensor } from './plan.js';

export const f32Bytes = (a: Float32Array): Uint8Array => new Uint8Array(a.buffer.slice(a.byteOffset, a.byteOffset + a.byteLength));
export const i32Bytes = (a: Int32Array): Uint8Array => new Uint8Array(a.buffer.slice(a.byteOffset, a.byteOffset + a.byteLength));
export const i8Bytes = (a: Int8Array): Uint8Array => new Uint8Array(a.buffer.slice(a.byteOffset, a.byteOffset + a.byteLength));

/**
 * Operator versions as the TFLite converter assigns them for the features used here (float:
 * 1; int8 kernels: the first version that accepts int8 — per-channel conv 3, FC int8 4, ...;
 * DEQUANTIZE of float16: 3). The interpreter rejects a version it does not register.
 */
const INT8_VERSION: Partial<Record<OpCode, number>> = {
  [Op.ADD]: 2,
  [Op.AVERAGE_POOL_2D]: 2,
  [Op.CONCATENATION]: 2,
  [Op.CONV_2D]: 3,
  [Op.DEPTHWISE_CONV_2D]: 3,
  [Op.DEQUANTIZE]: 2,
  [Op.FULLY_CONNECTED]: 4,
  [Op.LOGISTIC]: 2,
  [Op.MAX_POOL_2D]: 2,
  [Op.MUL]: 2,
  [Op.RELU]: 2,
  [Op.RELU6]: 2,
  [Op.PAD]: 2,
  [Op.PADV2]: 2,
  [Op.TRANSPOSE]: 2,
  [Op.MEAN]: 2,
  [Op.SPLIT]: 2,
  [Op.SPLIT_V]: 2,
  [Op.QUANTIZE]: 1,
};

export function opVersion(op: OpCode, int8: boolean, fp16Dequantize = false): number {
  if (op === Op.DEQUANTIZE && fp16Dequantize) return 3;
  return int8 ? (INT8_VERSION[op] ?? 1) : 1;
}

/** A float32 (or int32 constant) tensor of the plan, as stored in an fp32 file. */
export function floatTensor(t: PlanTensor): TfliteTensor {
  if (t.i32) return { name: t.name, shape: t.shape, type: TensorType.INT32, data: i32Bytes(t.i32) };
  return { name: t.name, shape: t.shape, type: TensorType.FLOAT32, ...(t.f32 ? { data: f32Bytes(t.f32) } : {}) };
}

export function planOperators(plan: Plan, int8: boolean): TfliteOperator[] {
  return plan.ops.map((o) => ({ op: o.op, version: opVersion(o.op, int8), inputs: o.inputs, outputs: o.outputs, ...(o.options ? { options: o.options } : {}) }));
}

export function fp32Model(plan: Plan, description: string, metadata: Record<string, string>): TfliteModel {
  return {
    description,
    metadata,
    tensors: plan.tensors.map(floatTensor),
    operators: planOperators(plan, false),
    inputs: [plan.input],
    outputs: [plan.output],
  };
}
