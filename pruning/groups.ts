/**
 * Channel groups: which channels of a graph must be removed together (the dependency graph a
 * structured pruner needs), found by walking the IR's producers and consumers, never by name.
 *
 * Method. Every tensor of the graph gets one "slot" per channel (flat tensors: one per element).
 * Each op that ties channels together unites slots in a union-find:
 * - batchnorm, activation, se, pool (windowed or global) and depthwise conv: out[c] ≡ in[c];
 * - add: every input's c ≡ out[c] (with residual 'freeze' these slots are frozen afterwards);
 * - concat: out[offset_k + i] ≡ in_k[i]; split: out_k[i] ≡ in[offset_k + i];
 * - channel-shuffle (G groups): out[c'·G + g] ≡ in[g·C/G + c'], and the G inputs sharing c' are
 *   tied to each other, because the shuffle can only stay a channel-shuffle on a smaller tensor if
 *   every one of its G blocks loses the same positions;
 * - flatten: out[h·W·C + w·C + c] ≡ in[c] (so a dense layer after it loses all those rows).
 * A regular or grouped conv, and a dense layer, separate their input slots from their output slots:
 * they consume one set of channels and produce another. Each union-find class is one removable
 * "atom" (one channel seen everywhere it flows). Atoms touching a graph input or output, an op
 * the grouper does not know, or (with residual 'freeze') an add are frozen. Atoms with the same
 * footprint (same tensors, same number of slots in each) form one {@link ChannelGroup}.
 *
 * Grouped convs (not depthwise) must keep their groups balanced: an atom lying inside one conv
 * group is put in that group's bucket (the planner removes the same count from every bucket); an
 * atom spread evenly over all conv groups is neutral; an atom spread unevenly is frozen.
 */
import { type Graph, type Node, NODE_KINDS, outputNames, producers as producerMap } from '../app/model/ir.js';
import { nodeOutputShapes, type Shape } from '../app/model/shapes.js';

export type ResidualMode = 'freeze' | 'couple';

/** Where the group's channels sit in one tensor: channel i ↦ tensor channels index[i·per … i·per+per). */
export interface GroupTensor {
  tensor: string;
  per: number;
  index: Int32Array;
}

/** An SE block gating (some of) the group's channels: channel i ↦ gate channels index[i·per …]. */
export interface GroupGate {
  se: string;
  per: number;
  index: Int32Array;
}

export interface ChannelGroup {
  id: string;
  label: string;
  stage: string;
  /** Number of channels (atoms) in the group. */
  size: number;
  /** Nodes whose output channels are cut (conv filters, dense units). */
  producers: string[];
  /** Nodes whose input dimension is cut (convs, dense layers). */
  consumers: string[];
  /** Nodes the channels flow through (BN, activations, SE, pools, depthwise convs, add, concat, ...). */
  passthrough: string[];
  tensors: GroupTensor[];
  gates: GroupGate[];
  /** The SE block gating exactly these channels, one gate per channel, if there is one. */
  gatedBy?: string;
  /** Balanced removal for grouped convs: remove the same count from every bucket. */
  buckets?: { count: number; of: Int32Array; conv: string };
}

export interface FrozenNode {
  node: string;
  reason: string;
}

export interface GroupResult {
  groups: ChannelGroup[];
  frozen: FrozenNode[];
}

const KNOWN = new Set<string>(NODE_KINDS);

/** A conv whose every group has one input and one output channel (a per-channel filter). */
export function isDepthwise(node: Node, inChannels: number): boolean {
  if (node.kind !== 'conv2d') return false;
  const G = node.attrs.groups;
  return G > 1 && inChannels === G && node.attrs.filters === G;
}

/** Shapes of every tensor; an unknown node kind is assumed to keep its first input's shape. */
export function tolerantShapes(g: Graph): { shapes: Map<string, Shape>; unknown: Node[] } {
  const shapes = new Map<string, Shape>();
  const unknown: Node[] = [];
  for (const i of g.inputs) shapes.set(i.name, i.shape);
  for (const node of g.nodes) {
    const ins = node.inputs.map((i) => shapes.get(i) ?? []);
    let outs: Shape[];
    if (KNOWN.has(node.kind)) outs = nodeOutputShapes(node, ins);
    else {
      unknown.push(node);
      outs = outputNames(node).map(() => ins[0] ?? []);
    }
    outputNames(node).forEach((o, k) => shapes.set(o, outs[k] ?? []));
  }
  return { shapes, unknown };
}

class UnionFind {
  readonly parent: Int32Array;
  constructor(n: number) {
    this.parent = new Int32Array(n);
    for (let i = 0; i < n; i++) this.parent[i] = i;
  }
  find(a: number): number {
    const p = this.parent;
    while (p[a] !== a) {
      p[a] = p[p[a]];
      a = p[a];
    }
    return a;
  }
  union(a: number, b: number): void {
    const ra = this.find(a);
    const rb = this.find(b);
    if (ra !== rb) this.parent[Math.max(ra, rb)] = Math.min(ra, rb);
  }
}

interface BalanceRecord {
  conv: string;
  tensor: number;
  /** Channels per conv group in that tensor. */
  perGroup: number;
  groups: number;
}

export function buildGroups(g: Graph, opts: { residual?: ResidualMode } = {}): GroupResult {
  const residual = opts.residual ?? 'freeze';
  const { shapes, unknown } = tolerantShapes(g);
  const unknownSet = new Set(unknown);

  // Tensor table in topological order.
  const tensorNames: string[] = [];
  for (const i of g.inputs) tensorNames.push(i.name);
  for (const n of g.nodes) tensorNames.push(...outputNames(n));
  const tIndex = new Map<string, number>();
  const base: number[] = [];
  const chans: number[] = [];
  let total = 0;
  tensorNames.forEach((t, k) => {
    tIndex.set(t, k);
    const s = shapes.get(t) ?? [];
    const c = s.length === 0 ? 0 : s[s.length - 1];
    base.push(total);
    chans.push(c);
    total += c;
  });
  const slotTensor = new Int32Array(total);
  tensorNames.forEach((_, k) => slotTensor.fill(k, base[k], base[k] + chans[k]));

  const uf = new UnionFind(total);
  const slotReason = new Map<number, string>();
  const slot = (t: string, c: number): number => base[tIndex.get(t)!] + c;
  const C = (t: string): number => chans[tIndex.get(t)!];
  const freezeTensor = (t: string, reason: string): void => {
    const k = tIndex.get(t);
    if (k === undefined) return;
    for (let c = 0; c < chans[k]; c++) if (!slotReason.has(base[k] + c)) slotReason.set(base[k] + c, reason);
  };
  const same = (a: string, b: string): void => {
    const n = Math.min(C(a), C(b));
    for (let c = 0; c < n; c++) uf.union(slot(a, c), slot(b, c));
  };
  const balance: BalanceRecord[] = [];

  for (const i of g.inputs) freezeTensor(i.name, 'model input channels are never cut');
  for (const node of g.nodes) {
    const out = outputNames(node);
    if (unknownSet.has(node)) {
      const reason = `the pruner does not know the op kind "${node.kind}", so the channels around it are kept`;
      for (const t of [...node.inputs, ...out]) freezeTensor(t, reason);
      continue;
    }
    const x = node.inputs[0];
    switch (node.kind) {
      case 'batchnorm':
      case 'activation':
      case 'se':
      case 'pool':
        same(x, out[0]);
        break;
      case 'add':
        for (const i of node.inputs) same(i, out[0]);
        if (residual === 'freeze') {
          freezeTensor(out[0], `residual add "${node.name}" shares its channels with every input (residual: freeze)`);
        }
        break;
      case 'concat': {
        let off = 0;
        for (const i of node.inputs) {
          for (let c = 0; c < C(i); c++) uf.union(slot(i, c), slot(out[0], off + c));
          off += C(i);
        }
        break;
      }
      case 'split': {
        let off = 0;
        out.forEach((o) => {
          for (let c = 0; c < C(o); c++) uf.union(slot(o, c), slot(x, off + c));
          off += C(o);
        });
        break;
      }
      case 'channel-shuffle': {
        const G = node.attrs.groups;
        const per = C(x) / G;
        for (let cp = 0; cp < per; cp++) {
          for (let gi = 0; gi < G; gi++) {
            uf.union(slot(x, gi * per + cp), slot(out[0], cp * G + gi));
            uf.union(slot(x, gi * per + cp), slot(x, cp));
          }
        }
        break;
      }
      case 'flatten': {
        const c = C(x);
        const n = C(out[0]);
        for (let p = 0; p < n; p++) uf.union(slot(out[0], p), slot(x, p % c));
        break;
      }
      case 'conv2d': {
        const inC = C(x);
        const G = node.attrs.groups;
        if (isDepthwise(node, inC)) {
          same(x, out[0]);
          break;
        }
        if (G > 1) {
          const Ig = inC / G;
          const Og = node.attrs.filters / G;
          if (Ig === 1) freezeTensor(x, `grouped conv "${node.name}" has one input channel per group`);
          else balance.push({ conv: node.name, tensor: tIndex.get(x)!, perGroup: Ig, groups: G });
          if (Og === 1) freezeTensor(out[0], `grouped conv "${node.name}" has one output channel per group`);
          else balance.push({ conv: node.name, tensor: tIndex.get(out[0])!, perGroup: Og, groups: G });
        }
        break;
      }
      case 'dense':
        break;
    }
  }
  for (const o of g.outputs) freezeTensor(o, 'model outputs (logits) are never cut');

  // Atoms: union-find classes.
  const atoms = new Map<number, number[]>();
  for (let s = 0; s < total; s++) {
    const r = uf.find(s);
    const list = atoms.get(r);
    if (list) list.push(s);
    else atoms.set(r, [s]);
  }
  const rootReason = new Map<number, string>();
  for (const [s, reason] of slotReason) {
    const r = uf.find(s);
    if (!rootReason.has(r)) rootReason.set(r, reason);
  }

  const prod = producerMap(g);
  const isCutter = (n: Node | undefined): boolean =>
    !!n && (n.kind === 'dense' || (n.kind === 'conv2d' && !isDepthwise(n, C(n.inputs[0]))));

  const frozen: FrozenNode[] = [];
  const frozenKeys = new Set<string>();
  const report = (tensors: Iterable<number>, reason: string): void => {
    const names = new Set<string>();
    for (const t of tensors) {
      const n = prod.get(tensorNames[t]);
      if (isCutter(n)) names.add(n!.name);
    }
    if (names.size === 0) for (const t of tensors) names.add(prod.get(tensorNames[t])?.name ?? tensorNames[t]);
    for (const name of names) {
      const key = `${name}\u0000${reason}`;
      if (frozenKeys.has(key)) continue;
      frozenKeys.add(key);
      frozen.push({ node: name, reason });
    }
  };
  const tensorsOf = (slots: number[]): Set<number> => new Set(slots.map((s) => slotTensor[s]));

  // Footprints of the live atoms.
  const balanceByTensor = new Map<number, number[]>();
  balance.forEach((b, k) => {
    const l = balanceByTensor.get(b.tensor) ?? [];
    l.push(k);
    balanceByTensor.set(b.tensor, l);
  });
  interface Atom {
    slots: number[];
    bucketKey: [number, number][];
  }
  const bySig = new Map<string, Atom[]>();
  for (const [root, slots] of atoms) {
    const reason = rootReason.get(root);
    if (reason) {
      report(tensorsOf(slots), reason);
      continue;
    }
    const counts = new Map<number, number>();
    for (const s of slots) counts.set(slotTensor[s], (counts.get(slotTensor[s]) ?? 0) + 1);
    const sig: string[] = [...counts.entries()].sort((a, b) => a[0] - b[0]).map(([t, n]) => `${t}x${n}`);
    const bucketKey: [number, number][] = [];
    let straddle: string | undefined;
    for (const t of counts.keys()) {
      for (const k of balanceByTensor.get(t) ?? []) {
        const b = balance[k];
        const per = new Array<number>(b.groups).fill(0);
        for (const s of slots) if (slotTensor[s] === t) per[Math.floor((s - base[t]) / b.perGroup)]++;
        const nonzero = per.filter((v) => v > 0).length;
        if (per.every((v) => v === per[0])) sig.push(`b${k}N`);
        else if (nonzero === 1) {
          sig.push(`b${k}B`);
          bucketKey.push([k, per.findIndex((v) => v > 0)]);
        } else straddle = `grouped conv "${b.conv}" would lose channels unevenly across its ${b.groups} groups`;
      }
    }
    if (straddle) {
      report(counts.keys(), straddle);
      continue;
    }
    const key = sig.join(' ');
    const l = bySig.get(key) ?? [];
    l.push({ slots, bucketKey });
    bySig.set(key, l);
  }

  const groups: ChannelGroup[] = [];
  for (const list of bySig.values()) {
    list.sort((a, b) => a.slots[0] - b.slots[0]);
    const first = list[0].slots;
    const tensorIds = [...new Set(first.map((s) => slotTensor[s]))].sort((a, b) => a - b);
    const tensors: GroupTensor[] = tensorIds.map((t) => {
      const per = first.filter((s) => slotTensor[s] === t).length;
      const index = new Int32Array(list.length * per);
      list.forEach((atom, i) => {
        const local = atom.slots.filter((s) => slotTensor[s] === t).map((s) => s - base[t]);
        local.sort((a, b) => a - b);
        index.set(local, i * per);
      });
      return { tensor: tensorNames[t], per, index };
    });
    const inGroup = new Set(tensors.map((t) => t.tensor));
    const prods: string[] = [];
    const cons: string[] = [];
    const pass: string[] = [];
    const gates: GroupGate[] = [];
    for (const n of g.nodes) {
      const inTouched = n.inputs.some((i) => inGroup.has(i));
      const outTouched = outputNames(n).some((o) => inGroup.has(o));
      if (!inTouched && !outTouched) continue;
      if (isCutter(n)) {
        if (outTouched) prods.push(n.name);
        if (inTouched) cons.push(n.name);
      } else if (outTouched) pass.push(n.name);
      else cons.push(n.name);
      if (n.kind === 'se' && inTouched) {
        const t = tensors.find((x) => x.tensor === n.inputs[0])!;
        gates.push({ se: n.name, per: t.per, index: t.index });
      }
    }
    const stageNode = prods[0] ?? pass[0] ?? cons[0];
    const stage = g.nodes.find((n) => n.name === stageNode)?.stage ?? 'other';
    const firstT = tensors[0];
    const id = `${firstT.tensor}@${firstT.index[0]}`;
    const labelNames = prods.length > 0 ? prods : pass;
    const label =
      labelNames.slice(0, 2).join(' + ') + (labelNames.length > 2 ? ` (+${labelNames.length - 2} more)` : '');
    const group: ChannelGroup = {
      id,
      label,
      stage,
      size: list.length,
      producers: prods,
      consumers: cons,
      passthrough: pass,
      tensors,
      gates,
    };
    if (prods.length === 0) {
      report(tensorIds, 'these channels have no conv or dense layer producing them');
      continue;
    }
    const seGate = gates.length === 1 ? g.nodes.find((n) => n.name === gates[0].se) : undefined;
    if (seGate && seGate.kind === 'se' && gates[0].per === 1 && seGate.attrs.channels === list.length) {
      group.gatedBy = seGate.name;
    }
    // Balanced removal for grouped convs.
    const recs = [...new Set(list.flatMap((a) => a.bucketKey.map(([k]) => k)))];
    if (recs.length > 0) {
      const keys = list.map((a) => a.bucketKey.map(([k, gi]) => `${k}:${gi}`).join(','));
      const distinct = [...new Set(keys)].sort();
      const ok = recs.every((k) => {
        const G = balance[k].groups;
        if (distinct.length !== G) return false;
        const seen = new Set<number>();
        for (const key of distinct) {
          const gi = list[keys.indexOf(key)].bucketKey.find(([kk]) => kk === k)![1];
          seen.add(gi);
        }
        return seen.size === G;
      });
      if (!ok) {
        const conv = balance[recs[0]].conv;
        report(tensorIds, `grouped conv "${conv}" cannot keep its groups balanced when these channels are cut`);
        continue;
      }
      const of = new Int32Array(list.length);
      keys.forEach((k, i) => (of[i] = distinct.indexOf(k)));
      group.buckets = { count: distinct.length, of, conv: balance[recs[0]].conv };
    }
    groups.push(group);
  }
  return { groups, frozen };
}

/** Tensor channels to remove, per tensor name, when `remove` channels of each listed group go. */
export function removalByTensor(
  groups: ChannelGroup[],
  plan: { group: string; remove: number[] }[],
): Map<string, Set<number>> {
  const byId = new Map(groups.map((x) => [x.id, x]));
  const out = new Map<string, Set<number>>();
  for (const p of plan) {
    const grp = byId.get(p.group);
    if (!grp) throw new Error(`The pruning plan names channel group "${p.group}", which this model does not have.`);
    for (const i of p.remove) {
      if (!Number.isInteger(i) || i < 0 || i >= grp.size) {
        throw new Error(`The pruning plan removes channel ${i} of group "${p.group}", which has ${grp.size} channels.`);
      }
      for (const t of grp.tensors) {
        const set = out.get(t.tensor) ?? new Set<number>();
        for (let k = 0; k < t.per; k++) set.add(t.index[i * t.per + k]);
        out.set(t.tensor, set);
      }
    }
  }
  return out;
}
