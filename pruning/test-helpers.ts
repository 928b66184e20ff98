/**
 * Shared by the pruning tests: random BN statistics (so BN is not the identity), a random input
 * batch, a random per-group removal, and the reference for equivalence tests — the original graph
 * with the removed channels silenced by zeroing every weight that reads them (conv and dense input
 * rows, SE fc1 rows). That is exact whatever the activation (hard-swish(0) ≠ 0 does not matter,
 * because nothing downstream reads the channel), so a pruned graph must match it to float error.
 */
import { type Graph, cloneGraph } from '../app/model/ir.js';
import { Rng } from '../app/model/random.js';
import { type ChannelGroup, removalByTensor, tolerantShapes, isDepthwise } from './groups.js';
import type { PlanEntry } from './surgery.js';

export function randomiseBn(g: Graph, seed: number): void {
  const rng = new Rng(seed);
  for (const n of g.nodes) {
    if (n.kind !== 'batchnorm') continue;
    const c = n.weights.gamma.length;
    n.weights.gamma = rng.uniformArray(c, 0.5, 1.5);
    n.weights.beta = rng.normalArray(c, 0.2);
    n.weights.mean = rng.normalArray(c, 0.2);
    n.weights.variance = rng.uniformArray(c, 0.5, 2);
  }
}

export function randomInput(g: Graph, n: number, seed: number): Float32Array {
  const [h, w, c] = g.inputs[0].shape;
  return new Rng(seed).normalArray(n * h * w * c, 1);
}

/** Removes about `fraction` of every group's channels at random, respecting buckets and ≥ 1 kept. */
export function randomPlan(groups: ChannelGroup[], fraction: number, seed: number): PlanEntry[] {
  const rng = new Rng(seed);
  return groups.map((grp) => {
    if (grp.buckets) {
      const B = grp.buckets.count;
      const members: number[][] = Array.from({ length: B }, () => []);
      grp.buckets.of.forEach((b, i) => members[b].push(i));
      const minSize = Math.min(...members.map((m) => m.length));
      const k = Math.min(minSize - 1, Math.round((fraction * grp.size) / B));
      return { group: grp.id, remove: members.flatMap((m) => rng.shuffle([...m]).slice(0, Math.max(0, k))) };
    }
    const k = Math.min(grp.size - 1, Math.round(fraction * grp.size));
    const idx = rng.shuffle(Array.from({ length: grp.size }, (_, i) => i));
    return { group: grp.id, remove: idx.slice(0, k).sort((a, b) => a - b) };
  });
}

/** The original graph with the plan's channels zeroed wherever they are read. */
export function zeroedReference(g: Graph, groups: ChannelGroup[], plan: PlanEntry[]): Graph {
  const ref = cloneGraph(g);
  const rm = removalByTensor(groups, plan);
  const { shapes } = tolerantShapes(g);
  for (const n of ref.nodes) {
    const r = rm.get(n.inputs[0]);
    if (!r?.size) continue;
    const s = shapes.get(n.inputs[0])!;
    const inC = s[s.length - 1];
    if (n.kind === 'conv2d' && !isDepthwise(n, inC)) {
      const [kh, kw] = n.attrs.kernel;
      const G = n.attrs.groups;
      const Ig = inC / G;
      const O = n.attrs.filters;
      const Og = O / G;
      for (const c of r) {
        const gi = Math.floor(c / Ig);
        for (let p = 0; p < kh * kw; p++) {
          for (let o = gi * Og; o < (gi + 1) * Og; o++) n.weights.kernel[(p * Ig + (c % Ig)) * O + o] = 0;
        }
      }
    } else if (n.kind === 'dense') {
      const U = n.attrs.units;
      for (const c of r) n.weights.kernel.fill(0, c * U, (c + 1) * U);
    } else if (n.kind === 'se') {
      const h = n.attrs.hidden;
      for (const c of r) n.weights.fc1.fill(0, c * h, (c + 1) * h);
    }
  }
  return ref;
}

export function maxAbsDiff(a: Float32Array, b: Float32Array): number {
  if (a.length !== b.length) return Infinity;
  let m = 0;
  for (let i = 0; i < a.length; i++) m = Math.max(m, Math.abs(a[i] - b[i]));
  return m;
}
