/**
 * SE folding and dropping (SENet paper §6/§7: last-stage gates saturate or stop depending on the
 * input, so those blocks can go). Per SE block, from its excitation statistics:
 * - drop: the gate is ≈ 1 (identityDistance < identityThreshold): the block is removed and its
 *   readers read its input. Exact up to the measured distance from identity.
 * - fold: the gate is nearly constant (inputDependence < constantThreshold): the block becomes the
 *   constant per-channel scale m = mean gate, folded into
 *   (a) the batch norm that feeds it directly (γ, β ← m·γ, m·β: BN(x)·m exactly), or
 *   (b) that batch norm through a ReLU between them (ReLU is positively homogeneous and m ≥ 0:
 *       relu(m·y) = m·relu(y)), provided nothing else reads the BN or ReLU output, or otherwise
 *   (c) the input weights of every conv reading the block's output (conv(m ⊙ x) with each input
 *       channel's kernel rows scaled by m; depthwise: each channel's kernel, not its bias).
 *   Exact when the gate is constant; when none of these applies the block is kept with the reason.
 * - keep: otherwise.
 * With mode string[] only the named blocks are removed (drop if near identity, else fold by the mean
 * gate even if it varies: an approximation the user asked for); 'none' keeps every block.
 */
import { type Graph, type Node, type SeNode, cloneGraph, consumers, producers } from '../app/model/ir.js';
import { nodeParams } from '../app/model/accounting.js';
import { inferShapes } from '../app/model/shapes.js';
import { UserError } from '../app/model/errors.js';
import type { ExcitationStats } from './stats/types.js';

export interface FoldOptions {
  mode: 'auto' | 'none' | string[];
  constantThreshold: number;
  identityThreshold: number;
}

export interface FoldDecision {
  block: string;
  decision: 'keep' | 'fold' | 'drop';
  reason: string;
  inputDependence: number;
  identityDistance: number;
  paramsSaved: number;
  macsSaved: number;
}

function scaleBn(bn: Extract<Node, { kind: 'batchnorm' }>, m: number[]): void {
  for (let c = 0; c < m.length; c++) {
    bn.weights.gamma[c] *= m[c];
    bn.weights.beta[c] *= m[c];
  }
}

/** Where the constant scale can go, or a reason it cannot; applies it when `apply` is set. */
function foldTarget(g: Graph, se: SeNode, m: number[], apply: boolean): string | { where: string } {
  const prod = producers(g);
  const cons = consumers(g);
  const onlyReader = (t: string, n: Node): boolean => {
    const r = cons.get(t) ?? [];
    return r.length === 1 && r[0] === n && !g.outputs.includes(t);
  };
  const x = se.inputs[0];
  const p = prod.get(x);
  if (p?.kind === 'batchnorm' && onlyReader(x, se)) {
    if (apply) scaleBn(p, m);
    return { where: `batch norm "${p.name}"` };
  }
  if (p?.kind === 'activation' && p.attrs.fn === 'relu' && onlyReader(x, se)) {
    const q = prod.get(p.inputs[0]);
    if (q?.kind === 'batchnorm' && onlyReader(p.inputs[0], p)) {
      if (apply) scaleBn(q, m);
      return { where: `batch norm "${q.name}" (through ReLU, which commutes with a positive scale)` };
    }
  }
  const readers = cons.get(se.name) ?? [];
  if (g.outputs.includes(se.name)) return 'its output is a model output';
  if (readers.length === 0) return 'nothing reads its output';
  const bad = readers.find((r) => r.kind !== 'conv2d');
  if (bad) return `its output feeds a ${bad.kind} ("${bad.name}"), not a conv, and no batch norm precedes it directly`;
  if (apply) {
    const C = m.length;
    for (const r of readers) {
      if (r.kind !== 'conv2d') continue;
      const [kh, kw] = r.attrs.kernel;
      const G = r.attrs.groups;
      const Ig = C / G;
      const O = r.attrs.filters;
      const Og = O / G;
      const k = r.weights.kernel;
      for (let c = 0; c < C; c++) {
        const gi = Math.floor(c / Ig);
        for (let pp = 0; pp < kh * kw; pp++) {
          for (let o = gi * Og; o < (gi + 1) * Og; o++) k[(pp * Ig + (c % Ig)) * O + o] *= m[c];
        }
      }
    }
  }
  return { where: `the input weights of ${readers.map((r) => `"${r.name}"`).join(', ')}` };
}

function removeNode(g: Graph, se: SeNode): void {
  const x = se.inputs[0];
  for (const n of g.nodes) n.inputs = n.inputs.map((i) => (i === se.name ? x : i));
  g.outputs = g.outputs.map((o) => (o === se.name ? x : o));
  g.nodes = g.nodes.filter((n) => n !== se);
}

export function foldSe(g: Graph, stats: ExcitationStats, opts: FoldOptions): { graph: Graph; decisions: FoldDecision[] } {
  const out = cloneGraph(g);
  const ses = out.nodes.filter((n): n is SeNode => n.kind === 'se');
  if (Array.isArray(opts.mode)) {
    const unknown = opts.mode.filter((b) => !ses.some((s) => s.name === b));
    if (unknown.length > 0) throw new UserError(`The model has no SE block named ${unknown.map((u) => `"${u}"`).join(', ')}.`);
  }
  const decisions: FoldDecision[] = [];
  for (const se of ses) {
    const st = stats.blocks.find((b) => b.name === se.name);
    const base = {
      block: se.name,
      inputDependence: st?.inputDependence ?? NaN,
      identityDistance: st?.identityDistance ?? NaN,
    };
    const keep = (reason: string): void => void decisions.push({ ...base, decision: 'keep', reason, paramsSaved: 0, macsSaved: 0 });
    if (opts.mode === 'none') {
      keep('SE folding is off');
      continue;
    }
    const chosen = opts.mode === 'auto' || opts.mode.includes(se.name);
    if (!chosen) {
      keep('not selected');
      continue;
    }
    if (!st || st.mean.length !== se.attrs.channels) {
      keep('no excitation statistics for this block');
      continue;
    }
    const saved = { paramsSaved: nodeParams(se), macsSaved: se.weights.fc1.length + se.weights.fc2.length };
    if (st.identityDistance < opts.identityThreshold) {
      removeNode(out, se);
      decisions.push({
        ...base, ...saved, decision: 'drop',
        reason: `the gate is ≈ 1 (mean |1 − s| = ${st.identityDistance.toPrecision(3)} < ${opts.identityThreshold})`,
      });
      continue;
    }
    const constant = st.inputDependence < opts.constantThreshold;
    if (!constant && opts.mode === 'auto') {
      keep(`the gate depends on the input (input dependence ${st.inputDependence.toPrecision(3)} ≥ ${opts.constantThreshold})`);
      continue;
    }
    const target = foldTarget(out, se, st.mean, true);
    if (typeof target === 'string') {
      keep(`the constant gate cannot be folded: ${target}`);
      continue;
    }
    removeNode(out, se);
    const why = constant
      ? `the gate is nearly constant (input dependence ${st.inputDependence.toPrecision(3)} < ${opts.constantThreshold})`
      : 'selected by the user; the gate varies with the input, so its mean is an approximation';
    decisions.push({ ...base, ...saved, decision: 'fold', reason: `${why}; its mean folded into ${target.where}` });
  }
  inferShapes(out);
  return { graph: out, decisions };
}
