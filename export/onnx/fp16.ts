/**
 * fp32 ONNX → fp16 ONNX with float32 I/O ("keep_io_types"): every float initializer becomes
 * float16, a Cast after the input turns the image to float16 and a Cast before each output turns
 * the result back to float32, so callers feed and read float32 as before. Runtimes without a
 * float16 kernel for an op (onnxruntime's CPU provider) insert their own casts around it.
 */
import { AttributeType, DataType, type ModelProto, type NodeProto, type TensorProto } from '../../app/engine/onnx/schema.js';
import { toHalfBytes } from '../quantize/float16.js';

export function floatData(t: TensorProto): Float32Array {
  if (t.raw_data) {
    const raw = t.raw_data;
    const dv = new DataView(raw.buffer, raw.byteOffset, raw.byteLength);
    const out = new Float32Array(raw.byteLength / 4);
    for (let i = 0; i < out.length; i++) out[i] = dv.getFloat32(i * 4, true);
    return out;
  }
  return Float32Array.from(t.float_data ?? []);
}

const cast = (name: string, x: string, y: string, to: number): NodeProto => ({
  name,
  op_type: 'Cast',
  input: [x],
  output: [y],
  attribute: [{ name: 'to', type: AttributeType.INT, i: to }],
});

export function toFloat16(model: ModelProto): ModelProto {
  const graph = model.graph!;
  const initializer = (graph.initializer ?? []).map((t) =>
    t.data_type === DataType.FLOAT ? { name: t.name, dims: t.dims, data_type: DataType.FLOAT16, raw_data: toHalfBytes(floatData(t)) } : t,
  );
  const inputs = new Map<string, string>();
  const pre: NodeProto[] = [];
  for (const inp of graph.input ?? []) {
    const half = `${inp.name}:fp16`;
    inputs.set(inp.name!, half);
    pre.push(cast(`${inp.name}/to_fp16`, inp.name!, half, DataType.FLOAT16));
  }
  const outputs = new Map<string, string>();
  const post: NodeProto[] = [];
  for (const out of graph.output ?? []) {
    const half = `${out.name}:fp16`;
    outputs.set(out.name!, half);
    post.push(cast(`${out.name}/to_fp32`, half, out.name!, DataType.FLOAT));
  }
  const ref = (t: string): string => inputs.get(t) ?? outputs.get(t) ?? t;
  const node = (graph.node ?? []).map((n) => ({ ...n, input: (n.input ?? []).map(ref), output: (n.output ?? []).map((o) => outputs.get(o) ?? o) }));
  return { ...model, graph: { ...graph, initializer, node: [...pre, ...node, ...post] } };
}
