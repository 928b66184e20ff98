/**
 * The standard TFLite float16 scheme: every float constant (filters, weights, biases, elementwise
 * operands) stored as FLOAT16, with a DEQUANTIZE op at the start of the graph turning it into the
 * float32 tensor the compute op reads. Activations, input and output stay float32. The PADV2 fill
 * value (the lowest float32) stays float32: in float16 it would overflow to −∞.
 */
import { toHalfBytes } from '../quantize/float16.js';
import { Op, TensorType, type TfliteModel, type TfliteOperator, type TfliteTensor } from './schema.js';
import type { Plan } from './plan.js';
import { floatTensor, opVersion, planOperators } from './emit.js';

export function fp16Model(plan: Plan, description: string, metadata: Record<string, string>): TfliteModel {
  const tensors: TfliteTensor[] = plan.tensors.map(floatTensor);
  const dequant: TfliteOperator[] = [];
  plan.tensors.forEach((t, i) => {
    if (!t.f32 || t.role === 'pad-value') return;
    const half = tensors.push({ name: t.name && `${t.name}/fp16`, shape: t.shape, type: TensorType.FLOAT16, data: toHalfBytes(t.f32) }) - 1;
    tensors[i] = { name: t.name, shape: t.shape, type: TensorType.FLOAT32 };
    dequant.push({ op: Op.DEQUANTIZE, version: opVersion(Op.DEQUANTIZE, false, true), inputs: [half], outputs: [i] });
  });
  return {
    description,
    metadata,
    tensors,
    operators: [...dequant, ...planOperators(plan, false)],
    inputs: [plan.input],
    outputs: [plan.output],
  };
}
