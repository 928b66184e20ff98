/**
 * Short node names for a TF.js graph model: every node but the input placeholder and the output
 * identity is renamed to its index in base 36, and every reference to it (node inputs `name` /
 * `name:i`, weight-manifest entries) follows. model.json repeats each name in the node list,
 * in the inputs of its readers and in the manifest, so the IR's long names cost more there than
 * the weights of a small model shrink by.
 */
import { TFJS_INPUT, TFJS_OUTPUT, type TfGraph } from './graph-model.js';

export function compactTfGraph(tg: TfGraph): TfGraph {
  const rename = new Map<string, string>();
  tg.nodes.forEach((n, i) => rename.set(n.name, n.name === TFJS_INPUT || n.name === TFJS_OUTPUT ? n.name : i.toString(36)));
  const ref = (s: string): string => {
    const ctl = s.startsWith('^') ? '^' : '';
    const body = ctl ? s.slice(1) : s;
    const colon = body.lastIndexOf(':');
    const [node, port] = colon > 0 && rename.has(body.slice(0, colon)) ? [body.slice(0, colon), body.slice(colon)] : [body, ''];
    const to = rename.get(node);
    if (to === undefined) throw new Error(`tfjs compact: reference to unknown node ${s}`);
    return ctl + to + port;
  };
  return {
    nodes: tg.nodes.map((n) => ({ ...n, name: rename.get(n.name)!, ...(n.input ? { input: n.input.map(ref) } : {}) })),
    weights: tg.weights.map((w) => ({ ...w, name: rename.get(w.name)! })),
  };
}
