/**
 * Folds each inference batch norm into the convolution that feeds it (when the conv's output
 * goes nowhere else), so quantized and TF.js exports carry one conv with a bias instead of a
 * conv plus a per-channel affine. Exact up to float rounding:
 * k'[..., o] = k[..., o] · s[o], b'[o] = (b[o] − mean[o]) · s[o] + beta[o], s = gamma / √(var + ε).
 */
import { cloneGraph, consumers, producers, type Conv2dNode, type DenseNode, type Graph } from '../app/model/ir.js';

/** `only`: fold just these batch norms (the prune workflow's adaptive ones); default every one. */
export function foldBatchNorms(src: Graph, only?: Set<string>): { graph: Graph; folded: number } {
  const g = cloneGraph(src);
  const prod = producers(g);
  const cons = consumers(g);
  const removed = new Set<string>();
  const rename = new Map<string, string>();
  for (const n of g.nodes) {
    if (n.kind !== 'batchnorm' || (only && !only.has(n.name))) continue;
    const p = prod.get(n.inputs[0]);
    if (!p || (p.kind !== 'conv2d' && p.kind !== 'dense') || (cons.get(p.name) ?? []).length !== 1 || g.outputs.includes(p.name)) continue;
    const conv = p as Conv2dNode | DenseNode;
    const C = conv.kind === 'conv2d' ? conv.attrs.filters : conv.attrs.units;
    const { gamma, beta, mean, variance } = n.weights;
    const k = conv.weights.kernel;
    const bias = conv.weights.bias ?? new Float32Array(C);
    const s = new Float32Array(C);
    for (let o = 0; o < C; o++) s[o] = gamma[o] / Math.sqrt(variance[o] + n.attrs.epsilon);
    for (let i = 0; i < k.length; i++) k[i] *= s[i % C];
    const nb = new Float32Array(C);
    for (let o = 0; o < C; o++) nb[o] = (bias[o] - mean[o]) * s[o] + beta[o];
    conv.weights.bias = nb;
    removed.add(n.name);
    rename.set(n.name, conv.name);
  }
  g.nodes = g.nodes.filter((n) => !removed.has(n.name));
  const ref = (t: string): string => rename.get(t) ?? t;
  for (const n of g.nodes) n.inputs = n.inputs.map(ref);
  g.outputs = g.outputs.map(ref);
  return { graph: g, folded: removed.size };
}
