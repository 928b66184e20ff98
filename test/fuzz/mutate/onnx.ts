/**
 * ONNX mutations on the decoded ModelProto (protobufjs, the project's own schema): node wiring
 * (inputs/outputs renamed, swapped, dropped), op types and attributes, initializer dims, data
 * types and raw_data (cut, grown, flipped), graph input dims, opsets; and a share of raw byte
 * mutations of the encoding (varint lengths, truncation).
 */
import type { Rng } from '../../../app/model/random.js';
import { decodeModel, encodeModel, type ModelProto } from '../../../app/engine/onnx/schema.js';
import { EDGE_INTS, mutateBytes, pick } from './bytes.js';

const OPS = ['Conv', 'Relu', 'Sigmoid', 'Mul', 'Add', 'GlobalAveragePool', 'Gemm', 'Flatten', 'Reshape', 'Concat', 'Transpose', 'HardSigmoid', 'Split', 'Unknown', ''];

export function mutateOnnx(src: Uint8Array, rng: Rng): { bytes: Uint8Array; what: string } {
  if (rng.int(6) === 0) return { bytes: mutateBytes(src, rng), what: 'bytes' };
  const m: ModelProto = decodeModel(src);
  const g = m.graph!;
  const nodes = g.node ?? [];
  const inits = g.initializer ?? [];
  const names = [...nodes.flatMap((n) => [...(n.input ?? []), ...(n.output ?? [])]), ...inits.map((t) => t.name ?? '')];
  const rounds = 1 + rng.int(3);
  const what: string[] = [];
  for (let r = 0; r < rounds; r++) {
    const n = nodes.length ? pick(rng, nodes) : undefined;
    const t = inits.length ? pick(rng, inits) : undefined;
    switch (rng.int(12)) {
      case 0: // rewire an input
        if (n?.input?.length) {
          const i = rng.int(n.input.length);
          n.input[i] = rng.int(3) ? pick(rng, names) : 'nowhere';
          what.push(`node ${n.name} input ${i} → ${n.input[i]}`);
        }
        break;
      case 1: // rename an output (a cycle or a dangling use)
        if (n?.output?.length) {
          n.output[0] = pick(rng, names);
          what.push(`node ${n.name} output → ${n.output[0]}`);
        }
        break;
      case 2:
        if (n) {
          n.op_type = pick(rng, OPS);
          what.push(`node ${n.name} op → ${n.op_type}`);
        }
        break;
      case 3: // an attribute's numbers
        if (n?.attribute?.length) {
          const a = pick(rng, n.attribute);
          if (a.ints?.length) a.ints[rng.int(a.ints.length)] = pick(rng, EDGE_INTS);
          else if (a.i !== undefined) a.i = pick(rng, EDGE_INTS);
          else if (a.f !== undefined) a.f = pick(rng, [0, -1, 1e30, NaN, Infinity]);
          else a.ints = [pick(rng, EDGE_INTS)];
          if (rng.int(4) === 0) a.type = rng.int(15);
          what.push(`node ${n.name} attribute ${a.name}`);
        }
        break;
      case 4: // an initializer's dims
        if (t) {
          t.dims = rng.int(3) ? (t.dims ?? []).map((d) => (rng.int(3) ? d : pick(rng, EDGE_INTS))) : Array.from({ length: rng.int(7) }, () => pick(rng, EDGE_INTS));
          what.push(`initializer ${t.name} dims → [${t.dims.join(',')}]`);
        }
        break;
      case 5: // raw_data cut, grown or flipped
        if (t?.raw_data) {
          t.raw_data = mutateBytes(t.raw_data, rng);
          what.push(`initializer ${t.name} raw_data → ${t.raw_data.length} bytes`);
        }
        break;
      case 6:
        if (t) {
          t.data_type = pick(rng, [0, 2, 3, 6, 7, 10, 11, 16, 99]);
          what.push(`initializer ${t.name} data_type → ${t.data_type}`);
        }
        break;
      case 7: { // graph input dims
        const dims = g.input?.[0]?.type?.tensor_type?.shape?.dim;
        if (dims?.length) {
          const d = dims[rng.int(dims.length)];
          if (rng.int(3)) d.dim_value = pick(rng, EDGE_INTS);
          else {
            delete d.dim_value;
            d.dim_param = 'N';
          }
          what.push('input dims');
        } else if (dims) dims.push({ dim_value: 3 });
        break;
      }
      case 8: // drop a node or an initializer
        if (rng.int(2) && nodes.length) what.push(`node ${nodes.splice(rng.int(nodes.length), 1)[0].name} removed`);
        else if (inits.length) what.push(`initializer ${inits.splice(rng.int(inits.length), 1)[0].name} removed`);
        break;
      case 9: // duplicate a node
        if (n) {
          nodes.splice(rng.int(nodes.length + 1), 0, structuredClone(n));
          what.push(`node ${n.name} duplicated`);
        }
        break;
      case 10:
        m.opset_import = [{ domain: '', version: pick(rng, [0, 1, 7, 12, 13, 18, 21, 99]) }];
        what.push(`opset → ${m.opset_import[0].version}`);
        break;
      default: // graph outputs
        if (g.output?.length) {
          g.output[0].name = pick(rng, [...names, 'nowhere']);
          what.push(`output → ${g.output[0].name}`);
        }
    }
  }
  return { bytes: encodeModel(m), what: what.join('; ') || 'unchanged' };
}
