/**
 * The part of the TFLite FlatBuffer schema (tensorflow/compiler/mlir/lite/schema/schema.fbs,
 * file identifier "TFL3", schema version 3) that the writer emits, written by hand against the
 * `flatbuffers` builder: the enums, the field slots of each table, and {@link encodeTflite},
 * which turns a plain {@link TfliteModel} into bytes.
 *
 * Hand-written rather than generated: `flatc` is not installable on these machines (no network
 * beyond npm/apt, and Debian's flatbuffers-compiler does not match the schema's newest tables),
 * and the writer needs ~15 tables out of ~200. Field ids and enum values below were checked one by
 * one against schema.fbs; a table's field id N lives in vtable slot N (union fields take two ids:
 * the `_type` byte, then the value).
 */
import { Builder } from 'flatbuffers';

export const FILE_IDENTIFIER = 'TFL3';
export const SCHEMA_VERSION = 3;

/** enum TensorType : byte */
export const TensorType = {
  FLOAT32: 0,
  FLOAT16: 1,
  INT32: 2,
  UINT8: 3,
  INT64: 4,
  INT8: 9,
} as const;
export type TensorTypeValue = (typeof TensorType)[keyof typeof TensorType];

/** enum BuiltinOperator : int32 (only the operators this writer emits). */
export const Op = {
  ADD: 0,
  AVERAGE_POOL_2D: 1,
  CONCATENATION: 2,
  CONV_2D: 3,
  DEPTHWISE_CONV_2D: 4,
  DEQUANTIZE: 6,
  FULLY_CONNECTED: 9,
  LOGISTIC: 14,
  MAX_POOL_2D: 17,
  MUL: 18,
  RELU: 19,
  RELU6: 21,
  RESHAPE: 22,
  PAD: 34,
  TRANSPOSE: 39,
  MEAN: 40,
  SPLIT: 49,
  PADV2: 60,
  SPLIT_V: 102,
  QUANTIZE: 114,
  HARD_SWISH: 117,
} as const;
export type OpCode = (typeof Op)[keyof typeof Op];
export const OP_NAMES: Record<number, string> = Object.fromEntries(Object.entries(Op).map(([k, v]) => [v, k]));

/** union BuiltinOptions: the type id is the member's position in the union, counting NONE as 0. */
export const Options = {
  NONE: 0,
  Conv2DOptions: 1,
  DepthwiseConv2DOptions: 2,
  Pool2DOptions: 5,
  FullyConnectedOptions: 8,
  ConcatenationOptions: 10,
  AddOptions: 11,
  ReshapeOptions: 17,
  MulOptions: 21,
  PadOptions: 22,
  TransposeOptions: 26,
  ReducerOptions: 27,
  SplitOptions: 35,
  DequantizeOptions: 38,
  PadV2Options: 43,
  SplitVOptions: 79,
  QuantizeOptions: 89,
  HardSwishOptions: 91,
} as const;

/** enum Padding : byte */
export const Padding = { SAME: 0, VALID: 1 } as const;
export type PaddingValue = (typeof Padding)[keyof typeof Padding];

/** enum ActivationFunctionType : byte */
export const Act = { NONE: 0, RELU: 1, RELU_N1_TO_1: 2, RELU6: 3 } as const;
export type ActValue = (typeof Act)[keyof typeof Act];

/** The builtin options of one operator, as plain data (one variant per options table emitted). */
export type OpOptions =
  | { type: 'Conv2D'; padding: PaddingValue; strideW: number; strideH: number; act: ActValue; dilationW: number; dilationH: number }
  | {
      type: 'DepthwiseConv2D';
      padding: PaddingValue;
      strideW: number;
      strideH: number;
      depthMultiplier: number;
      act: ActValue;
      dilationW: number;
      dilationH: number;
    }
  | { type: 'Pool2D'; padding: PaddingValue; strideW: number; strideH: number; filterW: number; filterH: number; act: ActValue }
  | { type: 'FullyConnected'; act: ActValue }
  | { type: 'Concatenation'; axis: number; act: ActValue }
  | { type: 'Add'; act: ActValue }
  | { type: 'Mul'; act: ActValue }
  | { type: 'Reshape'; newShape: number[] }
  | { type: 'Reducer'; keepDims: boolean }
  | { type: 'Split'; numSplits: number }
  | { type: 'SplitV'; numSplits: number }
  | { type: 'Empty'; table: 'PadOptions' | 'PadV2Options' | 'TransposeOptions' | 'DequantizeOptions' | 'QuantizeOptions' | 'HardSwishOptions' };

export interface QuantParams {
  scale: number[];
  zeroPoint: number[];
  /** Axis of a per-channel quantized tensor (field quantized_dimension). */
  dim?: number;
}

export interface TfliteTensor {
  name: string;
  shape: number[];
  type: TensorTypeValue;
  /** Constant contents (little-endian), stored in a buffer of its own. */
  data?: Uint8Array;
  quant?: QuantParams;
}

export interface TfliteOperator {
  op: OpCode;
  version: number;
  inputs: number[];
  outputs: number[];
  options?: OpOptions;
}

export interface TfliteModel {
  description: string;
  tensors: TfliteTensor[];
  operators: TfliteOperator[];
  inputs: number[];
  outputs: number[];
  /** Model.metadata entries: name → UTF-8 bytes in a buffer. */
  metadata: Record<string, string>;
}

function intVector(b: Builder, values: number[]): number {
  b.startVector(4, values.length, 4);
  for (let i = values.length - 1; i >= 0; i--) b.addInt32(values[i]);
  return b.endVector();
}

function floatVector(b: Builder, values: number[]): number {
  b.startVector(4, values.length, 4);
  for (let i = values.length - 1; i >= 0; i--) b.addFloat32(values[i]);
  return b.endVector();
}

function longVector(b: Builder, values: number[]): number {
  b.startVector(8, values.length, 8);
  for (let i = values.length - 1; i >= 0; i--) b.addInt64(BigInt(values[i]));
  return b.endVector();
}

function offsetVector(b: Builder, offsets: number[]): number {
  b.startVector(4, offsets.length, 4);
  for (let i = offsets.length - 1; i >= 0; i--) b.addOffset(offsets[i]);
  return b.endVector();
}

/** Buffer.data is `[ubyte] (force_align: 16)`: pad so the bytes start on a 16-byte boundary. */
function alignedBytes(b: Builder, data: Uint8Array): number {
  b.prep(16, data.length);
  return b.createByteVector(data);
}

/** table Buffer { data:[ubyte] (0); offset:ulong (1); size:ulong (2) } */
function buffer(b: Builder, data?: Uint8Array): number {
  const d = data && data.length ? alignedBytes(b, data) : 0;
  b.startObject(3);
  if (d) b.addFieldOffset(0, d, 0);
  return b.endObject();
}

/**
 * FlatBuffers lets tables share a vector or a table: equal zero-point and scale vectors
 * (per-channel weights: all zeros), equal parameter sets (tensors tied by RESHAPE, CONCATENATION,
 * ...), equal tensor tables, equal operator options and equal int vectors (a shape, an operator's
 * inputs, the subgraph's outputs: one cache for all) are written once and referenced from every user.
 */
class Shared {
  private readonly seen = new Map<string, number>();
  private readonly pairs = new Map<string, [number, number]>();
  get(key: string, make: () => number): number {
    let o = this.seen.get(key);
    if (o === undefined) this.seen.set(key, (o = make()));
    return o;
  }
  /** One [int] vector per distinct content, whatever it holds (a shape, operator inputs, a new shape). */
  ints(b: Builder, values: number[]): number {
    return this.get(`ints:${values.join(',')}`, () => intVector(b, values));
  }
  get2(key: string, make: () => [number, number]): [number, number] {
    let o = this.pairs.get(key);
    if (o === undefined) this.pairs.set(key, (o = make()));
    return o;
  }
}

/** table QuantizationParameters { min (0); max (1); scale (2); zero_point:[long] (3); details (4,5); quantized_dimension:int (6) } */
function quantization(b: Builder, q: QuantParams, shared: Shared): number {
  return shared.get(`q:${q.dim ?? 0}:${q.scale.join(',')}:${q.zeroPoint.join(',')}`, () => {
    const scale = shared.get(`scale:${q.scale.join(',')}`, () => floatVector(b, q.scale));
    const zp = shared.get(`zp:${q.zeroPoint.join(',')}`, () => longVector(b, q.zeroPoint));
    b.startObject(7);
    b.addFieldOffset(2, scale, 0);
    b.addFieldOffset(3, zp, 0);
    b.addFieldInt32(6, q.dim ?? 0, 0);
    return b.endObject();
  });
}

/** table Tensor { shape (0); type (1); buffer:uint (2); name (3); quantization (4); is_variable (5); sparsity (6); shape_signature (7); has_rank (8) } */
function tensor(b: Builder, t: TfliteTensor, bufferIndex: number, shared: Shared): number {
  const shape = shared.ints(b, t.shape);
  // An empty name is left out (the field is optional; the interpreter reads it as "").
  const name = t.name ? b.createString(t.name) : 0;
  const q = t.quant ? quantization(b, t.quant, shared) : 0;
  // Tensors whose fields are all equal (same shape vector, type, buffer, quantization table, no
  // name: e.g. activations of one shape tied to one scale) are one table referenced from several
  // slots of SubGraph.tensors; the interpreter still makes one tensor per slot.
  if (name) return tensorTable(b, shape, t.type, bufferIndex, name, q);
  return shared.get(`tensor:${shape}:${t.type}:${bufferIndex}:${q}`, () => tensorTable(b, shape, t.type, bufferIndex, 0, q));
}

function tensorTable(b: Builder, shape: number, type: number, bufferIndex: number, name: number, q: number): number {
  b.startObject(9);
  b.addFieldOffset(0, shape, 0);
  b.addFieldInt8(1, type, 0);
  b.addFieldInt32(2, bufferIndex, 0);
  if (name) b.addFieldOffset(3, name, 0);
  if (q) b.addFieldOffset(4, q, 0);
  b.addFieldInt8(8, 1, 0); // has_rank
  return b.endObject();
}

/** The options table of one operator; returns [union type id, offset]. */
function options(b: Builder, o: OpOptions | undefined, shared: Shared): [number, number] {
  if (!o) return [Options.NONE, 0];
  switch (o.type) {
    case 'Conv2D':
      // Conv2DOptions { padding (0); stride_w (1); stride_h (2); fused_activation_function (3); dilation_w_factor (4) = 1; dilation_h_factor (5) = 1 }
      b.startObject(7);
      b.addFieldInt8(0, o.padding, 0);
      b.addFieldInt32(1, o.strideW, 0);
      b.addFieldInt32(2, o.strideH, 0);
      b.addFieldInt8(3, o.act, 0);
      b.addFieldInt32(4, o.dilationW, 1);
      b.addFieldInt32(5, o.dilationH, 1);
      return [Options.Conv2DOptions, b.endObject()];
    case 'DepthwiseConv2D':
      // DepthwiseConv2DOptions { padding (0); stride_w (1); stride_h (2); depth_multiplier (3); fused_activation_function (4); dilation_w_factor (5); dilation_h_factor (6) }
      b.startObject(7);
      b.addFieldInt8(0, o.padding, 0);
      b.addFieldInt32(1, o.strideW, 0);
      b.addFieldInt32(2, o.strideH, 0);
      b.addFieldInt32(3, o.depthMultiplier, 0);
      b.addFieldInt8(4, o.act, 0);
      b.addFieldInt32(5, o.dilationW, 1);
      b.addFieldInt32(6, o.dilationH, 1);
      return [Options.DepthwiseConv2DOptions, b.endObject()];
    case 'Pool2D':
      // Pool2DOptions { padding (0); stride_w (1); stride_h (2); filter_width (3); filter_height (4); fused_activation_function (5) }
      b.startObject(6);
      b.addFieldInt8(0, o.padding, 0);
      b.addFieldInt32(1, o.strideW, 0);
      b.addFieldInt32(2, o.strideH, 0);
      b.addFieldInt32(3, o.filterW, 0);
      b.addFieldInt32(4, o.filterH, 0);
      b.addFieldInt8(5, o.act, 0);
      return [Options.Pool2DOptions, b.endObject()];
    case 'FullyConnected':
      // FullyConnectedOptions { fused_activation_function (0); weights_format (1); keep_num_dims (2); asymmetric_quantize_inputs (3) }
      b.startObject(4);
      b.addFieldInt8(0, o.act, 0);
      return [Options.FullyConnectedOptions, b.endObject()];
    case 'Concatenation':
      // ConcatenationOptions { axis (0); fused_activation_function (1) }
      b.startObject(2);
      b.addFieldInt32(0, o.axis, 0);
      b.addFieldInt8(1, o.act, 0);
      return [Options.ConcatenationOptions, b.endObject()];
    case 'Add':
      // AddOptions { fused_activation_function (0); pot_scale_int16 (1) = true }
      b.startObject(2);
      b.addFieldInt8(0, o.act, 0);
      return [Options.AddOptions, b.endObject()];
    case 'Mul':
      // MulOptions { fused_activation_function (0) }
      b.startObject(1);
      b.addFieldInt8(0, o.act, 0);
      return [Options.MulOptions, b.endObject()];
    case 'Reshape': {
      // ReshapeOptions { new_shape:[int] (0) }
      const ns = shared.ints(b, o.newShape);
      b.startObject(1);
      b.addFieldOffset(0, ns, 0);
      return [Options.ReshapeOptions, b.endObject()];
    }
    case 'Reducer':
      // ReducerOptions { keep_dims (0) }
      b.startObject(1);
      b.addFieldInt8(0, o.keepDims ? 1 : 0, 0);
      return [Options.ReducerOptions, b.endObject()];
    case 'Split':
    case 'SplitV':
      // SplitOptions / SplitVOptions { num_splits (0) }
      b.startObject(1);
      b.addFieldInt32(0, o.numSplits, 0);
      return [o.type === 'Split' ? Options.SplitOptions : Options.SplitVOptions, b.endObject()];
    case 'Empty':
      b.startObject(0);
      return [Options[o.table], b.endObject()];
  }
}

/**
 * table Operator { opcode_index:uint (0); inputs (1); outputs (2); builtin_options_type (3); builtin_options (4); ... }
 * Operators with equal options (every Conv2D of one stride and padding, every empty QuantizeOptions,
 * ...) reference one options table, and equal input / output vectors one vector.
 */
function operator(b: Builder, op: TfliteOperator, opcodeIndex: number, shared: Shared): number {
  const ins = shared.ints(b, op.inputs);
  const outs = shared.ints(b, op.outputs);
  const [optType, opt] = op.options ? shared.get2(`opt:${JSON.stringify(op.options)}`, () => options(b, op.options, shared)) : [Options.NONE, 0];
  b.startObject(5);
  b.addFieldInt32(0, opcodeIndex, 0);
  b.addFieldOffset(1, ins, 0);
  b.addFieldOffset(2, outs, 0);
  b.addFieldInt8(3, optType, 0);
  if (opt) b.addFieldOffset(4, opt, 0);
  return b.endObject();
}

/** table OperatorCode { deprecated_builtin_code:byte (0); custom_code (1); version:int = 1 (2); builtin_code:int (3) } */
function operatorCode(b: Builder, op: number, version: number): number {
  b.startObject(4);
  b.addFieldInt8(0, Math.min(op, 127), 0);
  b.addFieldInt32(2, version, 1);
  b.addFieldInt32(3, op, 0);
  return b.endObject();
}

/** table Metadata { name:string (0); buffer:uint (1) } */
function metadataEntry(b: Builder, name: string, bufferIndex: number): number {
  const n = b.createString(name);
  b.startObject(2);
  b.addFieldOffset(0, n, 0);
  b.addFieldInt32(1, bufferIndex, 0);
  return b.endObject();
}

/**
 * Serializes a model: one subgraph, buffer 0 the empty sentinel, one buffer per distinct constant
 * content and one per metadata entry; every identical [int] vector (shapes, operator inputs and
 * outputs, new shapes), scale and zero-point vector, quantization table, tensor table and options
 * table is written once and referenced from each user.
 */
export function encodeTflite(m: TfliteModel): Uint8Array {
  const size = m.tensors.reduce((a, t) => a + (t.data?.length ?? 0) + 64, 4096);
  const b = new Builder(size);
  // Constant tensors with equal bytes (shape and axis vectors, zero biases, ...) share one buffer.
  const buffers: (Uint8Array | undefined)[] = [undefined];
  const byContent = new Map<string, number>();
  const tensorBuffer = m.tensors.map((t) => {
    if (!t.data) return 0;
    const key = `${t.data.length}:${Buffer.from(t.data.buffer, t.data.byteOffset, t.data.byteLength).toString('base64')}`;
    let i = byContent.get(key);
    if (i === undefined) byContent.set(key, (i = buffers.push(t.data) - 1));
    return i;
  });
  const metaBuffer = Object.entries(m.metadata).map(([k, v]) => {
    buffers.push(new TextEncoder().encode(v));
    return [k, buffers.length - 1] as const;
  });
  // Operator codes: one per distinct (op, version), in order of first use.
  const codes: { op: number; version: number }[] = [];
  const codeIndex = m.operators.map((o) => {
    let i = codes.findIndex((c) => c.op === o.op && c.version === o.version);
    if (i < 0) i = codes.push({ op: o.op, version: o.version }) - 1;
    return i;
  });

  // Buffers first (largest, deepest in the file), then everything that refers to them.
  const bufferOffsets = buffers.map((d) => buffer(b, d));
  const shared = new Shared();
  const tensors = m.tensors.map((t, i) => tensor(b, t, tensorBuffer[i], shared));
  const ops = m.operators.map((o, i) => operator(b, o, codeIndex[i], shared));
  const tensorsVec = offsetVector(b, tensors);
  const inputsVec = shared.ints(b, m.inputs);
  const outputsVec = shared.ints(b, m.outputs);
  const opsVec = offsetVector(b, ops);
  const sgName = b.createString('main');
  // table SubGraph { tensors (0); inputs (1); outputs (2); operators (3); name (4) }
  b.startObject(5);
  b.addFieldOffset(0, tensorsVec, 0);
  b.addFieldOffset(1, inputsVec, 0);
  b.addFieldOffset(2, outputsVec, 0);
  b.addFieldOffset(3, opsVec, 0);
  b.addFieldOffset(4, sgName, 0);
  const subgraph = b.endObject();

  const codesVec = offsetVector(b, codes.map((c) => operatorCode(b, c.op, c.version)));
  const subgraphsVec = offsetVector(b, [subgraph]);
  const description = b.createString(m.description);
  const buffersVec = offsetVector(b, bufferOffsets);
  const metaVec = offsetVector(b, metaBuffer.map(([k, i]) => metadataEntry(b, k, i)));
  // table Model { version (0); operator_codes (1); subgraphs (2); description (3); buffers (4); metadata_buffer (5); metadata (6); signature_defs (7) }
  b.startObject(8);
  b.addFieldInt32(0, SCHEMA_VERSION, 0);
  b.addFieldOffset(1, codesVec, 0);
  b.addFieldOffset(2, subgraphsVec, 0);
  b.addFieldOffset(3, description, 0);
  b.addFieldOffset(4, buffersVec, 0);
  b.addFieldOffset(6, metaVec, 0);
  const model = b.endObject();
  b.finish(model, FILE_IDENTIFIER);
  return b.asUint8Array().slice();
}
