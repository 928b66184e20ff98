/**
 * Excitation statistics follow the channels through pruning: after surgery an SE block keeps a
 * subset of its channels, so its per-channel statistics are the kept rows and its block-level
 * numbers are recomputed from them with the definitions in ./types.ts (identity distance is the
 * channel mean of 1 − mean gate, since gates never exceed 1; input dependence is the channel mean
 * of the std; class dependence the channel mean of the std over non-empty classes' means).
 */
import type { ChannelGroup } from '../groups.js';
import type { ExcitationStats, SeBlockStats } from './types.js';

/** Gate channels removed from each SE block when a plan's channels go. */
export function removedGateChannels(groups: ChannelGroup[], plan: { group: string; remove: number[] }[]): Map<string, Set<number>> {
  const byId = new Map(groups.map((x) => [x.id, x]));
  const out = new Map<string, Set<number>>();
  for (const p of plan) {
    const grp = byId.get(p.group);
    if (!grp) continue;
    for (const gate of grp.gates) {
      const set = out.get(gate.se) ?? new Set<number>();
      for (const i of p.remove) for (let k = 0; k < gate.per; k++) set.add(gate.index[i * gate.per + k]);
      out.set(gate.se, set);
    }
  }
  return out;
}

function sliceBlock(b: SeBlockStats, removed: Set<number>, emptyClasses: Set<number>): SeBlockStats {
  const keep = [...Array(b.channels).keys()].filter((c) => !removed.has(c));
  const pick = (a: number[]) => keep.map((c) => a[c]);
  const mean = pick(b.mean);
  const std = pick(b.std);
  const perClassMean = b.perClassMean.map(pick);
  const avg = (a: number[]) => (a.length ? a.reduce((s, v) => s + v, 0) / a.length : 0);
  const classRows = perClassMean.filter((_, k) => !emptyClasses.has(k));
  const classStd = keep.map((_, j) => {
    const vals = classRows.map((r) => r[j]);
    const m = avg(vals);
    return Math.sqrt(avg(vals.map((v) => (v - m) ** 2)));
  });
  return {
    ...b,
    channels: keep.length,
    mean,
    std,
    min: pick(b.min),
    max: pick(b.max),
    perClassMean,
    histogram: { bins: b.histogram.bins, counts: keep.map((c) => b.histogram.counts[c]) },
    identityDistance: avg(mean.map((m) => 1 - m)),
    inputDependence: avg(std),
    classDependence: avg(classStd),
  };
}

export function sliceStats(stats: ExcitationStats, removed: Map<string, Set<number>>): ExcitationStats {
  const empty = new Set(stats.emptyClasses);
  return { ...stats, blocks: stats.blocks.map((b) => (removed.get(b.name)?.size ? sliceBlock(b, removed.get(b.name)!, empty) : b)) };
}
