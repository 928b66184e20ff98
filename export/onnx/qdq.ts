/**
 * Static int8 quantization of an fp32 ONNX model in QDQ form (what onnxruntime fuses into integer
 * kernels and what other runtimes read as "fake quant"):
 * - Conv and Gemm weights: int8, symmetric, one scale per output channel (axis 0 of OIHW for Conv,
 *   axis 1 of Gemm's [in, out]), behind a DequantizeLinear; their biases int32 with scale
 *   s_input · s_weight[o] when the input is quantized.
 * - Activations: every node output (and the model input) except the logits gets a
 *   QuantizeLinear → DequantizeLinear pair, uint8 asymmetric per tensor, from calibrated ranges;
 *   a tensor read only by Relu / Clip is quantized after that activation instead, and outputs of
 *   ops that only move values (reshape, transpose, split, max pool) keep their input's quantization
 *   unless a Conv / Gemm reads them.
 * - Gate-aware precision: the SE gate path of each block (GAP, flatten, both FC Gemms, the inner
 *   activation, the sigmoid / hard-sigmoid gate, the unsqueeze) keeps float activations and the
 *   rescale Mul reads the float gate; optionally the FC weights stay float too.
 */
import { AttributeType, DataType, type ModelProto, type NodeProto, type TensorProto } from '../../app/engine/onnx/schema.js';
import { floatData } from './fp16.js';
import { quantizeBias, quantizePerChannel, uint8Params, type Affine } from '../quantize/int8.js';
import type { TensorRange } from '../quantize/calibrate.js';

export interface QdqOptions {
  /** SE node names whose gate path stays float (empty = quantize everything). */
  floatGates: string[];
  /** With floatGates: keep the SE FC weights float too (otherwise int8 weights, float compute). */
  floatGateWeights: boolean;
}

export interface QdqPlan {
  /** Activation tensors that get a Q/DQ pair (calibrate these). */
  tensors: string[];
  /** Nodes left in float by gate-aware precision. */
  keptNodes: string[];
}

/**
 * Ops that only move or select values: their outputs hold values of their (already quantized)
 * input, so a second Q/DQ pair would round (almost) nothing; runtimes propagate the input's quantization.
 */
const MOVES = new Set(['Reshape', 'Transpose', 'Flatten', 'Split', 'Identity', 'Unsqueeze', 'MaxPool', 'GlobalMaxPool']);

function isGatePath(nodeName: string, floatGates: Set<string>): boolean {
  for (const se of floatGates) if (nodeName.startsWith(`${se}/`) || nodeName.startsWith(`${se}.`)) return true;
  return false;
}

export function planQdq(model: ModelProto, o: QdqOptions): QdqPlan {
  const graph = model.graph!;
  const gates = new Set(o.floatGates);
  const outputs = new Set((graph.output ?? []).map((x) => x.name));
  const readers = new Map<string, NodeProto[]>();
  for (const n of graph.node ?? []) for (const i of n.input ?? []) readers.set(i, [...(readers.get(i) ?? []), n]);
  // A tensor read only by Relu / Clip is quantized after the activation instead (one rounding, and
  // onnxruntime fuses conv → relu → Q into one integer conv).
  const onlyActivations = (t: string): boolean => {
    const r = readers.get(t) ?? [];
    return r.length > 0 && r.every((n) => n.op_type === 'Relu' || n.op_type === 'Clip');
  };
  // ... unless a Conv / Gemm reads it, which needs a quantized input to run as an integer op.
  const feedsMatmul = (t: string): boolean => (readers.get(t) ?? []).some((n) => n.op_type === 'Conv' || n.op_type === 'Gemm');
  const tensors: string[] = (graph.input ?? []).map((i) => i.name!);
  const keptNodes: string[] = [];
  for (const n of graph.node ?? []) {
    if (isGatePath(n.name ?? '', gates)) {
      keptNodes.push(n.name!);
      continue;
    }
    const move = MOVES.has(n.op_type ?? '');
    for (const t of n.output ?? []) {
      if (outputs.has(t) || onlyActivations(t) || (move && !feedsMatmul(t))) continue;
      tensors.push(t);
    }
  }
  return { tensors, keptNodes };
}

const LE = (bytes: number, n: number, set: (dv: DataView, i: number) => void): Uint8Array => {
  const out = new Uint8Array(bytes * n);
  const dv = new DataView(out.buffer);
  for (let i = 0; i < n; i++) set(dv, i);
  return out;
};
const f32Bytes = (a: Float32Array): Uint8Array => LE(4, a.length, (dv, i) => dv.setFloat32(i * 4, a[i], true));
const i32Bytes = (a: Int32Array): Uint8Array => LE(4, a.length, (dv, i) => dv.setInt32(i * 4, a[i], true));

export function applyQdq(model: ModelProto, plan: QdqPlan, ranges: Map<string, TensorRange>, o: QdqOptions): ModelProto {
  const graph = model.graph!;
  const gates = new Set(o.floatGates);
  const inits = new Map((graph.initializer ?? []).map((t) => [t.name!, t]));
  const newInits: TensorProto[] = [];
  const dropped = new Set<string>();
  const weightNodes: NodeProto[] = [];
  const params = new Map<string, Affine>();
  for (const t of plan.tensors) {
    const r = ranges.get(t);
    if (!r || !Number.isFinite(r.min) || !Number.isFinite(r.max)) continue;
    const p = uint8Params(r.min, r.max);
    params.set(t, { scale: Math.fround(p.scale), zeroPoint: p.zeroPoint });
  }

  // Quantization machinery gets short generated names ("#a3q": activation 3, quantized; "#w7s":
  // weight 7, scales): on small models the names would otherwise outweigh the int8 weights.
  const used = new Set<string>([...inits.keys(), ...(graph.node ?? []).flatMap((n) => n.output ?? [])]);
  const id = (name: string): string => {
    if (used.has(name)) throw new Error(`qdq: generated name ${name} is already used`);
    used.add(name);
    return name;
  };
  const dq = (inputs: string[], output: string, axis?: number): NodeProto => ({
    op_type: 'DequantizeLinear',
    input: inputs,
    output: [output],
    attribute: axis === undefined ? [] : [{ name: 'axis', type: AttributeType.INT, i: axis }],
  });

  // Activation names first: bias scales refer to the input's scale.
  const act = new Map<string, { s: string; z: string; q: string; d: string }>();
  let ai = 0;
  for (const t of params.keys()) {
    const k = ai++;
    act.set(t, { s: id(`#a${k}s`), z: id(`#a${k}z`), q: id(`#a${k}q`), d: id(`#a${k}d`) });
  }

  // Weights (and biases) of Conv / Gemm. Per-channel zero points are omitted (0, int8 from the
  // data). A bias scale is s_x · s_w[o]: a Mul of the two scale initializers (folded by runtimes
  // as a constant) instead of one more float per channel.
  const rewired = new Map<NodeProto, string[]>();
  let wi = 0;
  for (const n of graph.node ?? []) {
    if (n.op_type !== 'Conv' && n.op_type !== 'Gemm') continue;
    const gatePath = isGatePath(n.name ?? '', gates);
    if (gatePath && o.floatGateWeights) continue;
    const ins = [...(n.input ?? [])];
    const w = inits.get(ins[1]);
    if (!w || w.data_type !== DataType.FLOAT) continue;
    const dims = (w.dims ?? []).map(Number);
    const axis = n.op_type === 'Conv' ? 0 : 1;
    const { q, scales } = quantizePerChannel(floatData(w), dims, axis);
    const k = wi++;
    const [wq, ws, wd] = [id(`#w${k}q`), id(`#w${k}s`), id(`#w${k}d`)];
    newInits.push(
      { name: wq, dims, data_type: DataType.INT8, raw_data: new Uint8Array(q.buffer) },
      { name: ws, dims: [scales.length], data_type: DataType.FLOAT, raw_data: f32Bytes(scales) },
    );
    weightNodes.push(dq([wq, ws], wd, axis));
    dropped.add(w.name!);
    ins[1] = wd;
    const inParams = params.get(ins[0]);
    const b = ins[2] ? inits.get(ins[2]) : undefined;
    if (b && b.data_type === DataType.FLOAT && inParams && !gatePath) {
      const bq = quantizeBias(floatData(b), inParams.scale, scales);
      const [bqn, bs, bd] = [id(`#b${k}q`), id(`#b${k}s`), id(`#b${k}d`)];
      newInits.push({ name: bqn, dims: [bq.q.length], data_type: DataType.INT32, raw_data: i32Bytes(bq.q) });
      weightNodes.push({ op_type: 'Mul', input: [act.get(ins[0])!.s, ws], output: [bs], attribute: [] });
      weightNodes.push(dq([bqn, bs], bd, 0));
      dropped.add(b.name!);
      ins[2] = bd;
    }
    rewired.set(n, ins);
  }

  // Activations: Q/DQ right after the producer; consumers read the dequantized copy.
  const deq = new Map<string, string>();
  // One zero-point initializer per distinct value (most are 0 after a ReLU). The zero point is
  // not left out although the spec allows it: onnxruntime's QDQ graph transformers then leave a
  // dangling input and the model fails to load (measured with onnxruntime 1.30).
  const zeroPoints = new Map<number, string>();
  const qdqFor = (t: string): NodeProto[] => {
    const p = params.get(t)!;
    const { s, z, q, d } = act.get(t)!;
    deq.set(t, d);
    newInits.push({ name: s, dims: [], data_type: DataType.FLOAT, raw_data: f32Bytes(new Float32Array([p.scale])) });
    let zp = zeroPoints.get(p.zeroPoint);
    if (zp === undefined) {
      zeroPoints.set(p.zeroPoint, (zp = z));
      newInits.push({ name: z, dims: [], data_type: DataType.UINT8, raw_data: new Uint8Array([p.zeroPoint]) });
    }
    return [{ op_type: 'QuantizeLinear', input: [t, s, zp], output: [q], attribute: [] }, dq([q, s, zp], d)];
  };
  const ref = (t: string): string => deq.get(t) ?? t;
  const nodes: NodeProto[] = [...weightNodes];
  for (const i of graph.input ?? []) if (params.has(i.name!)) nodes.push(...qdqFor(i.name!));
  for (const n of graph.node ?? []) {
    const ins = rewired.get(n) ?? n.input ?? [];
    nodes.push({ ...n, input: ins.map(ref) });
    for (const t of n.output ?? []) if (params.has(t)) nodes.push(...qdqFor(t));
  }
  const initializer = [...(graph.initializer ?? []).filter((t) => !dropped.has(t.name!)), ...newInits];
  return { ...model, graph: { ...graph, node: nodes, initializer } };
}
