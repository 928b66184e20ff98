/**
 * The pruning planner ("interactive mode"): from channel groups and per-channel scores, decides
 * how many and which channels of each group to remove to meet a target, and previews the result
 * exactly (parameters and MACs come from running the surgery on a copy and counting it), without
 * touching the input graph.
 *
 * Global ranking. Scores of different groups live on different scales (filter norms grow with
 * fan-in; gates do not), so each group's scores are divided by the group's mean score before all
 * channels of all groups are ranked together: a normalised score below 1 means "weaker than the
 * average channel of its own group". Removing the k lowest channels of that ranking, group by
 * group, with the constraints below, is the candidate plan for k; the planner searches the
 * smallest k that meets the target (bisection: MACs and params fall monotonically with k).
 *
 * Per-group constraints: keep at least max(minChannels, ⌈10% of the group⌉) channels; with
 * roundTo N the kept count is a multiple of N (or the whole group); a group tied to a grouped conv
 * loses the same count in each bucket. Within a group the lowest-scored channels go first.
 */
import type { Graph } from '../app/model/ir.js';
import { costReport } from '../app/model/accounting.js';
import type { ChannelGroup } from './groups.js';
import { applyPlan, type PlanEntry } from './surgery.js';

export interface PlanTarget {
  /** Fraction of the prunable channels to remove (0..1). */
  ratio?: number;
  /** Fraction of channels to remove in each named stage's groups (those groups leave the global ranking). */
  perStage?: Record<string, number>;
  /** Fraction of MACs to keep (≤ 1), or an absolute MAC count (> 1). */
  targetMacs?: number;
  /** Fraction of parameters to keep (≤ 1), or an absolute parameter count (> 1). */
  targetParams?: number;
  /** Channels to remove from each of these groups (by id; they leave the global ranking, rounded down to what roundTo allows). */
  counts?: Record<string, number>;
}

export interface PlanOptions {
  /** Fewest channels a group keeps (default 1; never below 10% of the group either). */
  minChannels?: number;
  /** Kept counts are multiples of this (or the whole group). */
  roundTo?: number;
  /** How a candidate graph is counted (default costReport; the prune workflow leaves out its adaptive batch norms). */
  cost?: (g: Graph) => { params: number; macs: number };
}

export interface PlannedGroup {
  id: string;
  label: string;
  stage: string;
  size: number;
  keep: number;
  remove: number[];
}

export interface Plan {
  groups: PlannedGroup[];
  params: { before: number; after: number };
  macs: { before: number; after: number };
  warnings: string[];
}

/** The surgery input for a plan. */
export function planEntries(plan: Plan): PlanEntry[] {
  return plan.groups.filter((x) => x.remove.length > 0).map((x) => ({ group: x.id, remove: x.remove }));
}

interface Prepared {
  group: ChannelGroup;
  /** Channel indices per bucket (one bucket when there is no grouped conv), weakest first. */
  buckets: number[][];
  maxRemove: number;
}

function prepare(grp: ChannelGroup, scores: Float64Array, opts: PlanOptions): Prepared {
  const B = grp.buckets?.count ?? 1;
  const buckets: number[][] = Array.from({ length: B }, () => []);
  for (let i = 0; i < grp.size; i++) buckets[grp.buckets ? grp.buckets.of[i] : 0].push(i);
  for (const b of buckets) b.sort((x, y) => scores[x] - scores[y] || x - y);
  const minKeep = Math.max(opts.minChannels ?? 1, Math.ceil(0.1 * grp.size), 1);
  const minBucket = Math.min(...buckets.map((b) => b.length));
  const maxRemove = Math.min(grp.size - minKeep, B * (minBucket - 1));
  return { group: grp, buckets, maxRemove: Math.max(0, maxRemove) };
}

/** Largest allowed removal count ≤ `want` for a group, and the channels it removes. */
function choose(p: Prepared, want: number, roundTo: number): number[] {
  const size = p.group.size;
  const B = p.buckets.length;
  let count = Math.min(Math.max(0, Math.floor(want)), p.maxRemove);
  for (; count > 0; count--) {
    const keep = size - count;
    if (count % B === 0 && keep % roundTo === 0) break;
  }
  const per = count / B;
  return p.buckets.flatMap((b) => b.slice(0, per)).sort((x, y) => x - y);
}

function normalised(scores: Float64Array): Float64Array {
  let mean = 0;
  for (const s of scores) mean += s / scores.length;
  const out = new Float64Array(scores.length);
  if (!(mean > 0) || !Number.isFinite(mean)) {
    // Degenerate scores (all zero, or negative): keep only their order.
    const order = [...scores.keys()].sort((a, b) => scores[a] - scores[b]);
    order.forEach((i, r) => (out[i] = (r + 1) / scores.length));
    return out;
  }
  for (let i = 0; i < scores.length; i++) out[i] = scores[i] / mean;
  return out;
}

/**
 * Kept counts move in steps of roundTo (and of the buckets of a grouped conv), so the ranking's
 * cut can land well under a MACs or parameter target (ShuffleNetV2's stem at 16×16: 8 channels
 * are 3% of the MACs). Give channels back, one step of one group at a time — the group whose
 * removed channels score highest first — while every target still holds.
 */
function refine(
  m: Map<string, number[]>,
  free: Prepared[],
  conds: { kind: 'macs' | 'params' | 'ratio'; goal: number; met: (m: Map<string, number[]>) => boolean }[],
  evaluate: (m: Map<string, number[]>) => { params: number; macs: number },
  roundTo: number,
  scores: Map<string, Float64Array>,
): Map<string, number[]> {
  const sized = conds.filter((c) => c.kind !== 'ratio');
  if (sized.length === 0 || sized.length !== conds.length) return m;
  const slack = (x: Map<string, number[]>) => {
    const c = evaluate(x);
    return Math.min(...sized.map((d) => (d.goal - (d.kind === 'macs' ? c.macs : c.params)) / d.goal));
  };
  const out = new Map(m);
  const stuck = new Set<string>();
  for (let iter = 0; iter < 200 && slack(out) > 0.005; iter++) {
    const options = free
      .filter((p) => !stuck.has(p.group.id) && (out.get(p.group.id)?.length ?? 0) > 0)
      .map((p) => {
        const cur = out.get(p.group.id)!;
        const fewer = choose(p, cur.length - 1, roundTo);
        const back = cur.filter((i) => !fewer.includes(i));
        const n = normalised(scores.get(p.group.id)!);
        return { p, fewer, worth: back.reduce((a, i) => a + n[i], 0) / Math.max(1, back.length) };
      })
      .sort((a, b) => b.worth - a.worth);
    let moved = false;
    for (const o of options) {
      const trial = new Map(out).set(o.p.group.id, o.fewer);
      if (conds.every((c) => c.met(trial))) {
        out.set(o.p.group.id, o.fewer);
        moved = true;
        break;
      }
      stuck.add(o.p.group.id);
    }
    if (!moved) break;
  }
  return out;
}

export function planPrune(
  g: Graph,
  groups: ChannelGroup[],
  scores: Map<string, Float64Array>,
  target: PlanTarget,
  opts: PlanOptions = {},
): Plan {
  const warnings: string[] = [];
  const roundTo = Math.max(1, Math.floor(opts.roundTo ?? 1));
  const cost = opts.cost ?? costReport;
  const base = cost(g);
  const prepared: Prepared[] = [];
  for (const grp of groups) {
    const s = scores.get(grp.id);
    if (!s || s.length !== grp.size) {
      warnings.push(`Channel group ${grp.label} has no scores, so it is kept whole.`);
      continue;
    }
    prepared.push(prepare(grp, s, opts));
  }

  // Fixed per-stage removals.
  const fixed = new Map<string, number[]>();
  for (const p of prepared) {
    const n = target.counts?.[p.group.id];
    if (n !== undefined) {
      fixed.set(p.group.id, choose(p, n, roundTo));
      continue;
    }
    const r = target.perStage?.[p.group.stage];
    if (r === undefined) continue;
    fixed.set(p.group.id, choose(p, Math.round(r * p.group.size), roundTo));
  }
  if (target.perStage) {
    for (const st of Object.keys(target.perStage)) {
      if (!prepared.some((p) => p.group.stage === st)) warnings.push(`No prunable channel group lies in stage "${st}".`);
    }
  }

  // Global ranking of the remaining groups' channels.
  const free = prepared.filter((p) => !fixed.has(p.group.id));
  const ranked: { p: number; n: number }[] = [];
  free.forEach((p, pi) => {
    const n = normalised(scores.get(p.group.id)!);
    for (let i = 0; i < p.group.size; i++) ranked.push({ p: pi, n: n[i] });
  });
  ranked.sort((a, b) => a.n - b.n);

  const entriesFor = (k: number): Map<string, number[]> => {
    const want = new Array<number>(free.length).fill(0);
    for (let i = 0; i < k; i++) want[ranked[i].p]++;
    const m = new Map(fixed);
    free.forEach((p, pi) => m.set(p.group.id, choose(p, want[pi], roundTo)));
    return m;
  };
  const evaluate = (m: Map<string, number[]>): { params: number; macs: number } => {
    const entries = [...m].filter(([, r]) => r.length > 0).map(([group, remove]) => ({ group, remove }));
    if (entries.length === 0) return { params: base.params, macs: base.macs };
    const c = cost(applyPlan(g, entries, groups));
    return { params: c.params, macs: c.macs };
  };

  const totalFree = free.reduce((a, p) => a + p.group.size, 0);
  const conds: { name: string; met: (m: Map<string, number[]>) => boolean; goal: number; kind: 'macs' | 'params' | 'ratio' }[] = [];
  const abs = (v: number, before: number): number => (v <= 1 ? v * before : v);
  if (target.ratio !== undefined) {
    const goal = target.ratio * totalFree;
    conds.push({
      name: `remove ${(target.ratio * 100).toFixed(1)}% of the prunable channels`,
      kind: 'ratio',
      goal,
      met: (m) => free.reduce((a, p) => a + m.get(p.group.id)!.length, 0) >= goal - 1e-9,
    });
  }
  if (target.targetMacs !== undefined) {
    const goal = abs(target.targetMacs, base.macs);
    conds.push({ name: `keep ${fmt(goal, base.macs)} of the MACs`, kind: 'macs', goal, met: (m) => evaluate(m).macs <= goal });
  }
  if (target.targetParams !== undefined) {
    const goal = abs(target.targetParams, base.params);
    conds.push({ name: `keep ${fmt(goal, base.params)} of the parameters`, kind: 'params', goal, met: (m) => evaluate(m).params <= goal });
  }

  let k = 0;
  if (conds.length > 0 && ranked.length > 0) {
    const metAll = (kk: number): boolean => {
      const m = entriesFor(kk);
      return conds.every((c) => c.met(m));
    };
    if (!metAll(ranked.length)) {
      k = ranked.length;
      const unmet = conds.filter((c) => !c.met(entriesFor(k))).map((c) => c.name);
      const frozenHint = groups.length === 0 ? '' : ' (residual streams, model outputs and the minimum kept channels stay; try residual "couple")';
      warnings.push(`The target cannot be reached: removing every prunable channel still does not ${unmet.join(' and ')}${frozenHint}.`);
    } else {
      let lo = 0;
      let hi = ranked.length;
      while (lo < hi) {
        const mid = (lo + hi) >> 1;
        if (metAll(mid)) hi = mid;
        else lo = mid + 1;
      }
      k = lo;
    }
  }

  const final = refine(entriesFor(k), free, conds, evaluate, roundTo, scores);
  const after = evaluate(final);
  for (const c of conds) {
    const v = c.kind === 'macs' ? after.macs : c.kind === 'params' ? after.params : NaN;
    const before = c.kind === 'macs' ? base.macs : base.params;
    if (Number.isFinite(v) && Math.abs(v - c.goal) / before > 0.03) {
      warnings.push(`The plan lands at ${fmt(v, before)} of the ${c.kind}, more than 3% from the target ${fmt(c.goal, before)}.`);
    }
  }
  const planned: PlannedGroup[] = prepared.map((p) => {
    const remove = final.get(p.group.id) ?? [];
    return { id: p.group.id, label: p.group.label, stage: p.group.stage, size: p.group.size, keep: p.group.size - remove.length, remove };
  });
  return {
    groups: planned,
    params: { before: base.params, after: after.params },
    macs: { before: base.macs, after: after.macs },
    warnings,
  };
}

function fmt(v: number, before: number): string {
  return `${((100 * v) / before).toFixed(1)}%`;
}
