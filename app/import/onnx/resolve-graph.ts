/**
 * ONNX ModelProto → {@link LiveGraph}: walks the nodes in order, folds every node whose inputs are
 * all constants (and Shape of a feature map, whose shape is known) with fold-constants.ts, and
 * resolves the attributes and shapes of the rest with shape-nodes.ts.
 */
import { ModelError } from '../../model/errors.js';
import type { ModelProto, NodeProto } from '../../engine/onnx/schema.js';
import { attrInt, nodeLabel } from './attrs.js';
import { sliceRange } from './const-ops.js';
import type { LiveGraph } from './live.js';
import { decodeTensor } from './tensor.js';
import { CONST_OPS, MAP_OPS, unsupported } from './ops.js';
import { WalkState } from './walk-state.js';
import { constantValue, foldConstant } from './fold-constants.js';
import { addMapNode } from './shape-nodes.js';

function runNode(st: WalkState, n: NodeProto): void {
  const op = n.op_type ?? '';
  if (n.domain && n.domain !== 'ai.onnx') throw unsupported(`${n.domain}.${op}`, n);
  const ins = (n.input ?? []).filter((i) => i !== '');
  if (op === 'Constant') return st.setConst(n, constantValue(n));
  const allConst = ins.every((i) => st.isConst(i));
  if (op === 'Shape') {
    const dims = st.shapeOf(n, ins[0] ?? '');
    const r = dims.length;
    const start = attrInt(n, 'start', 0);
    const end = attrInt(n, 'end', r);
    const [s, e] = sliceRange(start, end, r);
    return st.setConst(n, { dims: [Math.max(0, e - s)], data: Float64Array.from(dims.slice(s, e)), int: true });
  }
  if (allConst && CONST_OPS.includes(op)) return st.setConst(n, foldConstant(st, op, n));
  if (!MAP_OPS.includes(op)) {
    if (CONST_OPS.includes(op)) {
      throw new ModelError(
        `The ONNX node "${nodeLabel(n)}" applies ${op} to a feature map, which this tool cannot import (it folds ${op} only over constants).`,
      );
    }
    throw unsupported(op, n);
  }
  addMapNode(st, op, n);
}

/** Folds constants and resolves attributes and shapes; the graph's first non-initializer input is the image. */
export function resolveGraph(model: ModelProto): LiveGraph {
  const g = model.graph;
  if (!g) throw new ModelError('The ONNX file holds no graph.');
  const opset = Number(model.opset_import?.find((o) => !o.domain || o.domain === 'ai.onnx')?.version ?? 13);
  const f = new WalkState(opset);
  for (const t of g.initializer ?? []) {
    if (!t.name) continue;
    f.consts.set(t.name, decodeTensor(t, `"${t.name}"`));
  }
  const inputs = (g.input ?? []).filter((i) => i.name && !f.consts.has(i.name));
  if (inputs.length !== 1) throw new ModelError(`The ONNX model has ${inputs.length} inputs; this tool imports models with exactly one image input.`);
  const inp = inputs[0];
  const tt = inp.type?.tensor_type;
  const dims = tt?.shape?.dim ?? [];
  const fixed = dims.slice(1).map((d) => Number(d.dim_value ?? 0));
  if (!tt || (tt.elem_type ?? 1) !== 1 || dims.length !== 4 || fixed.some((d) => !Number.isInteger(d) || d < 1 || d > 1 << 16)) {
    throw new ModelError(
      `The ONNX model's input "${inp.name}" must be a float32 NCHW image with fixed channels, height and width (re-export with a fixed input size).`,
    );
  }
  f.shapes.set(inp.name as string, [1, ...fixed]);
  for (const n of g.node ?? []) runNode(f, n);
  const out = g.output?.[0]?.name;
  if (!out) throw new ModelError('The ONNX model has no output.');
  if (!f.shapes.has(out)) throw new ModelError(`The ONNX model's output "${out}" is not computed from its input.`);
  return { name: g.name || 'onnx-model', input: inp.name as string, output: out, nodes: f.nodes, consts: f.consts, shapes: f.shapes };
}
