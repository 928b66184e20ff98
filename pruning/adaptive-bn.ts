/**
 * Adaptive batch norm for BN-folded models. `torch.onnx.export` folds every BatchNorm into its
 * conv, so a user's export has no batch-norm statistics left to re-estimate after a cut. The
 * prune workflow therefore puts them back: after every conv that no batch norm reads, an
 * identity batch norm whose mean/variance are the conv output's per-channel statistics on the
 * ORIGINAL model over the calibration images (μ₀, σ₀²) and whose γ = √(σ₀² + ε), β = μ₀, so
 * y = γ·(x − μ₀)/√(σ₀² + ε) + β = x exactly. These batch norms are cut with their channels, SE
 * gates fold into them (s·BN(x) is a BN), batch-norm re-estimation on the pruned model replaces
 * their mean/variance by the pruned model's (μ₁, σ₁²) while γ/β keep the original statistics, and
 * at the end each is folded back into its conv: every kept channel's output statistics are
 * restored, W' = W·σ₀/σ₁, b' = (b − μ₁)·σ₀/σ₁ + μ₀. Hidden dense layers (a MobileNetV3 head)
 * are treated the same; the classifier that produces the logits is restored in place
 * (restoreOutputStats), which on the BN-folded ShuffleNetV2+SE at 50% MACs lifts one-shot top-1
 * by 3–6 points over leaving it alone (bench/RESULTS.md).
 */
import { type BatchNormNode, type Conv2dNode, type DenseNode, type Graph, consumers } from '../app/model/ir.js';
import type { Dataset } from '../app/data/types.js';
import { foldBatchNorms } from '../export/fold-bn.js';
import { tensorMoments, type Moments } from './stats/channel-measures.js';

export const ADAPTIVE_BN = '/adaptive-bn';
const EPS = 1e-5;

/** Convs and hidden dense layers whose output no batch norm reads alone (their BN was folded at export, or never existed). */
export function convsWithoutBn(g: Graph): (Conv2dNode | DenseNode)[] {
  const cons = consumers(g);
  return g.nodes.filter((n): n is Conv2dNode | DenseNode => {
    if (n.kind !== 'conv2d' && n.kind !== 'dense') return false;
    if (g.outputs.includes(n.name)) return false;
    const r = cons.get(n.name) ?? [];
    return r.length > 0 && !(r.length === 1 && r[0].kind === 'batchnorm');
  });
}

/** The conv or dense layers that produce the graph's outputs (the logits). */
export function outputLayers(g: Graph): (Conv2dNode | DenseNode)[] {
  return g.nodes.filter((n): n is Conv2dNode | DenseNode => (n.kind === 'conv2d' || n.kind === 'dense') && g.outputs.includes(n.name));
}

/** The original model's per-channel output statistics of those layers and of the output layers over the calibration images. */
export function convMoments(g: Graph, ds: Dataset, indices: number[]): Promise<Map<string, Moments>> {
  return tensorMoments(g, ds, indices, [...convsWithoutBn(g), ...outputLayers(g)].map((c) => c.name));
}

/**
 * A copy of `g` with an identity batch norm after each conv without one (its statistics from
 * `moments` when given, else mean 0 / variance 1 − ε), and the names of those batch norms.
 */
export function insertAdaptiveBn(g: Graph, moments?: Map<string, Moments>): { graph: Graph; inserted: Set<string> } {
  const convs = new Set(convsWithoutBn(g).map((c) => c.name));
  const inserted = new Set<string>();
  const rename = new Map<string, string>();
  const nodes: Graph['nodes'] = [];
  for (const n of g.nodes) {
    nodes.push({ ...n, inputs: n.inputs.map((i) => rename.get(i) ?? i) } as typeof n);
    if ((n.kind !== 'conv2d' && n.kind !== 'dense') || !convs.has(n.name)) continue;
    const C = n.kind === 'conv2d' ? n.attrs.filters : n.attrs.units;
    const m = moments?.get(n.name);
    const mean = m ? Float32Array.from(m.mean) : new Float32Array(C);
    const variance = m ? Float32Array.from(m.variance) : new Float32Array(C).fill(1 - EPS);
    const bn: BatchNormNode = {
      kind: 'batchnorm',
      name: n.name + ADAPTIVE_BN,
      inputs: [n.name],
      attrs: { epsilon: EPS, momentum: 0.1 },
      weights: { gamma: variance.map((v) => Math.sqrt(v + EPS)), beta: Float32Array.from(mean), mean, variance },
      ...(n.stage ? { stage: n.stage } : {}),
      ...(n.block ? { block: n.block } : {}),
    };
    nodes.push(bn);
    inserted.add(bn.name);
    rename.set(n.name, bn.name);
  }
  return { graph: { ...g, nodes, outputs: g.outputs.map((o) => rename.get(o) ?? o) }, inserted };
}

/** Folds the inserted batch norms back into their convs (the graph has the original's node set again). */
export function foldAdaptiveBn(g: Graph, inserted: Set<string>): Graph {
  if (inserted.size === 0) return g;
  return foldBatchNorms(g, inserted).graph;
}

/**
 * The output layer rescaled so each logit's mean and variance over the calibration images are the
 * original model's again, W'[·, o] = W[·, o]·σ₀/σ₁ and b' = (b − μ₁)·σ₀/σ₁ + μ₀ — what the
 * adaptive batch norms do for hidden layers, done in place because the logits have no batch norm
 * after them to carry it: a cut removes inputs of the classifier, and what they contributed is
 * otherwise lost as a per-class offset and scale. `g` is untouched.
 */
export async function restoreOutputStats(g: Graph, original: Map<string, Moments>, ds: Dataset, indices: number[]): Promise<Graph> {
  const units = (n: Conv2dNode | DenseNode) => (n.kind === 'conv2d' ? n.attrs.filters : n.attrs.units);
  const layers = outputLayers(g).filter((n) => original.get(n.name)?.mean.length === units(n));
  if (layers.length === 0) return g;
  const now = await tensorMoments(g, ds, indices, layers.map((n) => n.name));
  const restored = new Map(
    layers.map((n) => {
      const C = units(n);
      const m0 = original.get(n.name)!;
      const m1 = now.get(n.name)!;
      const scale = Float32Array.from({ length: C }, (_, o) => Math.sqrt((m0.variance[o] + EPS) / (m1.variance[o] + EPS)));
      const kernel = Float32Array.from(n.weights.kernel, (w, i) => w * scale[i % C]);
      const b = n.weights.bias ?? new Float32Array(C);
      const bias = Float32Array.from({ length: C }, (_, o) => (b[o] - m1.mean[o]) * scale[o] + m0.mean[o]);
      return [n.name, { ...n, weights: { ...n.weights, kernel, bias } } as typeof n];
    }),
  );
  return { ...g, nodes: g.nodes.map((n) => restored.get(n.name) ?? n) };
}
