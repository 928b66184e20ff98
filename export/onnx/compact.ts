/**
 * Compact naming for deployment files: every value other than the graph inputs and outputs is
 * renamed to a short generated name ("#12") and node names are dropped (they are optional in
 * ONNX). On the small demo models the names otherwise weigh as much as the int8 weights. The
 * mapping back to IR names is not kept in the file; the fp32 export keeps the full names.
 */
import type { ModelProto } from '../../app/engine/onnx/schema.js';

export function compactNames(model: ModelProto): ModelProto {
  const graph = model.graph!;
  const keep = new Set([...(graph.input ?? []), ...(graph.output ?? [])].map((v) => v.name!));
  const map = new Map<string, string>();
  let i = 0;
  const rename = (t: string): string => {
    if (t === '' || keep.has(t)) return t;
    let r = map.get(t);
    if (!r) {
      r = `#${(i++).toString(36)}`;
      map.set(t, r);
    }
    return r;
  };
  const initializer = (graph.initializer ?? []).map((t) => ({ ...t, name: rename(t.name!) }));
  const node = (graph.node ?? []).map((n) => {
    const { name: _drop, ...rest } = n;
    void _drop;
    return { ...rest, input: (n.input ?? []).map(rename), output: (n.output ?? []).map(rename) };
  });
  return { ...model, graph: { ...graph, node, initializer } };
}
