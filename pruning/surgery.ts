/**
 * Structured pruning surgery: physically removes channel groups' channels from a copy of the
 * graph, cutting every coupled tensor (conv/dense kernels and biases, BN parameters, SE fc1 rows
 * and fc2 columns + fc2 bias, depthwise and grouped kernels, split sizes). One cut function per
 * node kind, all driven by the set of removed channels of each tensor (see groups.ts), so the
 * cut is consistent wherever the channels flow. The input graph is never modified.
 */
import { type Graph, type Node, cloneGraph, outputNames } from '../app/model/ir.js';
import { inferShapes } from '../app/model/shapes.js';
import { UserError } from '../app/model/errors.js';
import { type ChannelGroup, buildGroups, removalByTensor, tolerantShapes, isDepthwise } from './groups.js';

export interface PlanEntry {
  group: string;
  remove: number[];
}

/** Indices 0..n-1 that are not in `removed`. */
function keepList(n: number, removed: Set<number> | undefined): number[] {
  const out: number[] = [];
  for (let i = 0; i < n; i++) if (!removed?.has(i)) out.push(i);
  return out;
}

/** Gathers a row-major array along each axis by the given index lists (null = keep the axis). */
export function gather(src: Float32Array, dims: number[], keeps: (number[] | null)[]): Float32Array {
  const ks = dims.map((d, a) => keeps[a] ?? Array.from({ length: d }, (_, i) => i));
  const strides = new Array<number>(dims.length).fill(1);
  for (let a = dims.length - 2; a >= 0; a--) strides[a] = strides[a + 1] * dims[a + 1];
  const out = new Float32Array(ks.reduce((p, k) => p * k.length, 1));
  let pos = 0;
  const last = dims.length - 1;
  const rec = (axis: number, off: number): void => {
    const k = ks[axis];
    if (axis === last) {
      for (let i = 0; i < k.length; i++) out[pos++] = src[off + k[i]];
      return;
    }
    for (let i = 0; i < k.length; i++) rec(axis + 1, off + k[i] * strides[axis]);
  };
  rec(0, 0);
  return out;
}

type Removal = Map<string, Set<number>>;

function cutConv(node: Extract<Node, { kind: 'conv2d' }>, inC: number, rm: Removal): void {
  const inRm = rm.get(node.inputs[0]);
  const outRm = rm.get(node.name);
  if (!inRm?.size && !outRm?.size) return;
  const [kh, kw] = node.attrs.kernel;
  const O = node.attrs.filters;
  const G = node.attrs.groups;
  const keepIn = keepList(inC, inRm);
  const keepOut = keepList(O, outRm);
  const w = node.weights;
  if (isDepthwise(node, inC)) {
    if (keepIn.join() !== keepOut.join()) {
      throw new Error(`Depthwise conv "${node.name}" would lose different input and output channels.`);
    }
    w.kernel = gather(w.kernel, [kh, kw, 1, O], [null, null, null, keepOut]);
    node.attrs.groups = keepOut.length;
  } else if (G === 1) {
    w.kernel = gather(w.kernel, [kh, kw, inC, O], [null, null, keepIn, keepOut]);
  } else {
    const Ig = inC / G;
    const Og = O / G;
    const inLocal: number[][] = Array.from({ length: G }, () => []);
    for (const c of keepIn) inLocal[Math.floor(c / Ig)].push(c % Ig);
    const outPer = new Array<number>(G).fill(0);
    for (const o of keepOut) outPer[Math.floor(o / Og)]++;
    const Ig2 = inLocal[0].length;
    if (inLocal.some((l) => l.length !== Ig2) || outPer.some((n) => n !== outPer[0])) {
      throw new Error(`Grouped conv "${node.name}" would lose different numbers of channels in its ${G} groups.`);
    }
    const O2 = keepOut.length;
    const k = new Float32Array(kh * kw * Ig2 * O2);
    for (let p = 0; p < kh * kw; p++) {
      for (let j = 0; j < Ig2; j++) {
        for (let o2 = 0; o2 < O2; o2++) {
          const o = keepOut[o2];
          const jl = inLocal[Math.floor(o / Og)][j];
          k[(p * Ig2 + j) * O2 + o2] = w.kernel[(p * Ig + jl) * O + o];
        }
      }
    }
    w.kernel = k;
  }
  if (w.bias) w.bias = gather(w.bias, [O], [keepOut]);
  node.attrs.filters = keepOut.length;
}

function cutNode(node: Node, inChannels: number, rm: Removal): void {
  switch (node.kind) {
    case 'conv2d':
      cutConv(node, inChannels, rm);
      return;
    case 'batchnorm': {
      const r = rm.get(node.inputs[0]);
      if (!r?.size) return;
      const keep = keepList(inChannels, r);
      for (const k of ['gamma', 'beta', 'mean', 'variance'] as const) {
        node.weights[k] = gather(node.weights[k], [inChannels], [keep]);
      }
      return;
    }
    case 'se': {
      const r = rm.get(node.inputs[0]);
      if (!r?.size) return;
      const keep = keepList(inChannels, r);
      const h = node.attrs.hidden;
      const w = node.weights;
      w.fc1 = gather(w.fc1, [inChannels, h], [keep, null]);
      w.fc2 = gather(w.fc2, [h, inChannels], [null, keep]);
      if (w.fc2Bias) w.fc2Bias = gather(w.fc2Bias, [inChannels], [keep]);
      node.attrs.channels = keep.length;
      return;
    }
    case 'dense': {
      const inRm = rm.get(node.inputs[0]);
      const outRm = rm.get(node.name);
      if (!inRm?.size && !outRm?.size) return;
      const U = node.attrs.units;
      const keepOut = keepList(U, outRm);
      node.weights.kernel = gather(node.weights.kernel, [inChannels, U], [keepList(inChannels, inRm), keepOut]);
      if (node.weights.bias) node.weights.bias = gather(node.weights.bias, [U], [keepOut]);
      node.attrs.units = keepOut.length;
      return;
    }
    case 'split': {
      const outs = outputNames(node);
      node.attrs.sizes = node.attrs.sizes.map((s, k) => s - (rm.get(outs[k])?.size ?? 0));
      return;
    }
    default:
      return;
  }
}

/**
 * Returns a new graph with each plan entry's channels removed. `groups` are the channel groups the
 * plan's ids refer to; without them the groups are rebuilt with residual 'couple' (a superset of
 * the 'freeze' groups, with the same ids).
 */
export function applyPlan(g: Graph, plan: PlanEntry[], groups?: ChannelGroup[]): Graph {
  const grp = groups ?? buildGroups(g, { residual: 'couple' }).groups;
  let rm: Removal;
  try {
    rm = removalByTensor(grp, plan);
  } catch (e) {
    throw new UserError((e as Error).message);
  }
  const { shapes } = tolerantShapes(g);
  for (const [t, set] of rm) {
    const s = shapes.get(t) ?? [];
    const c = s[s.length - 1];
    if (set.size >= c) {
      throw new UserError(`Pruning would remove all ${c} channels of "${t}"; keep at least one channel in every layer.`);
    }
  }
  for (const i of g.inputs) if (rm.get(i.name)?.size) throw new UserError(`Pruning cannot cut the model input "${i.name}".`);
  for (const o of g.outputs) if (rm.get(o)?.size) throw new UserError(`Pruning cannot cut the model output "${o}".`);
  const out = cloneGraph(g);
  for (const node of out.nodes) {
    const s = shapes.get(node.inputs[0]) ?? [];
    cutNode(node, s[s.length - 1] ?? 0, rm);
  }
  inferShapes(out);
  return out;
}
