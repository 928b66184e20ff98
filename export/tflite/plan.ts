/**
 * The float TFLite plan: the IR lowered to TFLite operators, before any precision choice. Tensors
 * carry float32 constants with their role (so the fp16 and int8 passes know how to store them)
 * and, for activations, where their calibration range comes from (an IR tensor the executor can
 * capture, a function of one, or a known bound).
 */
import type { OpCode, OpOptions } from './schema.js';

/** How a constant is used, which decides how int8 stores it. */
export type ConstRole =
  /** CONV_2D filter [O, H, W, I]: per-channel symmetric int8 along axis 0. */
  | 'conv-filter'
  /** DEPTHWISE_CONV_2D filter [1, H, W, C]: per-channel symmetric int8 along axis 3. */
  | 'dw-filter'
  /** FULLY_CONNECTED weights [out, in]: per-tensor symmetric int8. */
  | 'fc-weights'
  /** Bias of the conv / FC op that reads it: int32 with scale input_scale · weight_scale. */
  | 'bias'
  /** A float operand of an elementwise op (MUL / ADD constants): per-tensor asymmetric int8. */
  | 'operand'
  /** The constant a PADV2 pads with: int8 in its input's parameters. */
  | 'pad-value'
  /** Shapes, axes, permutations: int32, never quantized. */
  | 'int';

export type RangeSource =
  /** The value of this IR tensor (captured by the executor). */
  | { kind: 'ir'; name: string }
  /** f(values of IR tensor `from`), evaluated per calibration batch of n images. */
  | { kind: 'derived'; from: string; f: (x: Float32Array, n: number) => Float32Array }
  /** A bound known from the op (sigmoid in [0, 1], a relu6-ed value in [0, 6]). */
  | { kind: 'fixed'; min: number; max: number };

export interface PlanTensor {
  name: string;
  /** Full shape, batch included (batch 1). */
  shape: number[];
  /** Float constant. */
  f32?: Float32Array;
  /** Integer constant (role 'int'). */
  i32?: Int32Array;
  role?: ConstRole;
  range?: RangeSource;
  /** int8 parameters the op requires of this tensor (LOGISTIC output: 1/256, −128). */
  fixedQuant?: { scale: number; zeroPoint: number };
}

export interface PlanOp {
  op: OpCode;
  inputs: number[];
  outputs: number[];
  options?: OpOptions;
  /** The IR SE node whose gate path (between the squeeze MEAN and the rescale MUL: FCs, activations, gate, reshape) this op belongs to. */
  se?: string;
  /** The graph's final dense layer (the logits). */
  classifier?: boolean;
}

export interface Plan {
  tensors: PlanTensor[];
  ops: PlanOp[];
  input: number;
  output: number;
  /** Max pools whose explicit pads needed PADV2 (their input is not known to be ≥ 0). */
  padV2?: string[];
}

/** Appends tensors and ops; names are made unique. */
export class PlanBuilder {
  readonly tensors: PlanTensor[] = [];
  readonly ops: PlanOp[] = [];
  private readonly names = new Set<string>();

  tensor(t: PlanTensor): number {
    let name = t.name;
    for (let i = 1; this.names.has(name); i++) name = `${t.name}_${i}`;
    this.names.add(name);
    return this.tensors.push({ ...t, name }) - 1;
  }

  /** An activation tensor. */
  act(name: string, shape: number[], range?: RangeSource): number {
    return this.tensor({ name, shape, ...(range ? { range } : {}) });
  }

  constF(name: string, shape: number[], data: Float32Array, role: ConstRole): number {
    return this.tensor({ name, shape, f32: data, role });
  }

  constI(name: string, shape: number[], data: number[]): number {
    return this.tensor({ name, shape, i32: Int32Array.from(data), role: 'int' });
  }

  /** Tag added to every op appended while it is set (the SE block being lowered). */
  se: string | undefined;
  /** Max pools padded through PADV2 (reported). */
  readonly padV2: string[] = [];

  op(op: OpCode, inputs: number[], outputs: number[], options?: OpOptions): void {
    this.ops.push({ op, inputs, outputs, ...(options ? { options } : {}), ...(this.se ? { se: this.se } : {}) });
  }

  shape(i: number): number[] {
    return this.tensors[i].shape;
  }
}
