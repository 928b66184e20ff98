/**
 * The steps of the prune workflow that need no data, shared by the preview (`seprune prune
 * --preview`, the app's interactive plan) and `runPrune` (app/workflows/prune.ts): adaptive batch
 * norms after BN-folded convs, SE folding before the plan, the prunable groups (minus ignored
 * layers), the cost that leaves the adaptive batch norms out, and each round's target.
 */
import type { Graph } from '../app/model/ir.js';
import { costReport } from '../app/model/accounting.js';
import { UserError } from '../app/model/errors.js';
import { buildGroups, type ChannelGroup, type FrozenNode, type ResidualMode } from './groups.js';
import { criterion as criterionByName, needsData, scoreGroups } from './importance/index.js';
import { l1 } from './importance/l1.js';
import { planPrune, type Plan, type PlanTarget } from './plan.js';
import { foldSe, type FoldDecision, type FoldOptions } from './se-fold.js';
import type { ExcitationStats } from './stats/types.js';
import { ADAPTIVE_BN, insertAdaptiveBn } from './adaptive-bn.js';
import type { Moments } from './stats/channel-measures.js';
import { ignoredBy } from './ignore.js';

export interface PruneSettings {
  criterion: string;
  residual: ResidualMode;
  target: PlanTarget;
  minChannels: number;
  roundTo: number;
  /** Seed of the random criterion. */
  seed: number;
  /** SE folding before the plan (default: none). */
  fold?: FoldOptions;
  /** Node names or globs whose output channels are never cut. */
  ignore?: string[];
}

export interface PlannedRun {
  groups: ChannelGroup[];
  frozen: FrozenNode[];
  plan: Plan;
  /** SE fold/drop decisions, made before the plan. */
  decisions: FoldDecision[];
  /** Remarks of the criterion (deduplicated). */
  notes: string[];
}

/** One row per planned group, as `seprune prune --json` prints it. */
export interface PlanGroupJson {
  id: string;
  label: string;
  stage: string;
  size: number;
  keep: number;
  removed: number;
}

export function planGroupsJson(plan: Plan): PlanGroupJson[] {
  return plan.groups.map((p) => ({ id: p.id, label: p.label, stage: p.stage, size: p.size, keep: p.keep, removed: p.remove.length }));
}

/** Params and MACs of a graph, leaving out the adaptive batch norms (they fold back into convs). */
export function costWithoutAdaptive(g: Graph): { params: number; macs: number } {
  const c = costReport(g);
  let params = c.params;
  for (const n of c.nodes) if (n.kind === 'batchnorm' && n.name.endsWith(ADAPTIVE_BN)) params -= n.params;
  return { params, macs: c.macs };
}

export interface Start {
  /** The graph with adaptive batch norms, before folding. */
  adaptive: Graph;
  inserted: Set<string>;
  /** After SE folding: what the plan starts from. */
  graph: Graph;
  decisions: FoldDecision[];
  /** The statistics of the SE blocks that remain. */
  stats?: ExcitationStats;
}

/** Adaptive batch norms (with the original's conv statistics when given), then SE folding. */
export function prepareStart(g: Graph, stats: ExcitationStats | undefined, fold: FoldOptions | undefined, moments?: Map<string, Moments>): Start {
  const { graph: adaptive, inserted } = insertAdaptiveBn(g, moments);
  if (!stats || !fold || !g.nodes.some((n) => n.kind === 'se')) return { adaptive, inserted, graph: adaptive, decisions: [], ...(stats ? { stats } : {}) };
  const folded = foldSe(adaptive, stats, fold);
  const gone = new Set(folded.decisions.filter((x) => x.decision !== 'keep').map((x) => x.block));
  return { adaptive, inserted, graph: folded.graph, decisions: folded.decisions, stats: { ...stats, blocks: stats.blocks.filter((b) => !gone.has(b.name)) } };
}

/** The groups of `g` that may be cut, with the ignored ones moved to `frozen`. */
export function prunableGroups(g: Graph, s: { residual: ResidualMode; ignore?: string[] }, source: string): { groups: ChannelGroup[]; frozen: FrozenNode[] } {
  const { groups, frozen } = buildGroups(g, { residual: s.residual });
  const ignore = s.ignore ?? [];
  const ignored = ignoredBy(ignore, g);
  const kept = groups.filter((grp) => !grp.producers.some((p) => ignored.has(p)));
  for (const grp of groups) if (!kept.includes(grp)) frozen.push({ node: grp.producers.join(', '), reason: 'ignored (--ignore)' });
  if (kept.length === 0) {
    throw new UserError(`No channel of ${source} can be pruned with residual ${s.residual}${ignore.length ? ' and the ignored layers' : ''}${s.residual === 'freeze' ? '; try residual couple' : ''}.`);
  }
  return { groups: kept, frozen };
}

/** The target of round k of K (absolute MACs / params, measured from the original `before`). */
export function roundTarget(t: PlanTarget, k: number, K: number, before: { params: number; macs: number }): PlanTarget {
  const out: PlanTarget = {};
  const part = (goal: number, start: number) => start - ((start - goal) * k) / K;
  if (t.targetMacs !== undefined) out.targetMacs = part(t.targetMacs <= 1 ? t.targetMacs * before.macs : t.targetMacs, before.macs);
  if (t.targetParams !== undefined) out.targetParams = part(t.targetParams <= 1 ? t.targetParams * before.params : t.targetParams, before.params);
  // A ratio and per-stage fractions compound: removing 1 − (1 − r)^(1/K) each round removes r in all.
  const per = (r: number) => 1 - Math.pow(1 - r, 1 / K);
  if (t.ratio !== undefined) out.ratio = per(t.ratio);
  if (t.perStage) out.perStage = Object.fromEntries(Object.entries(t.perStage).map(([st, r]) => [st, per(r)]));
  return out;
}

/**
 * The preview: SE folding (with `s.fold` and statistics), groups, scores and the plan of the whole
 * target in one round; nothing is cut. A criterion that measures the model on data cannot run
 * here, so the preview ranks by filter L1 and says so.
 */
export function planPruneRun(
  g: Graph,
  source: string,
  s: PruneSettings,
  inputs: { stats?: ExcitationStats; gradients?: Map<string, Float32Array> } = {},
): PlannedRun {
  const start = prepareStart(g, inputs.stats, s.fold);
  const { groups, frozen } = prunableGroups(start.graph, s, source);
  const notes: string[] = [];
  let c = criterionByName(s.criterion);
  if (needsData(c) && !(c.needs.gradients && !c.needs.measures && inputs.gradients)) {
    notes.push(`The preview ranks channels by filter L1: ${c.name} measures the model on calibration images, which the prune itself does.`);
    c = l1;
  }
  const scores = scoreGroups(c, groups, {
    graph: start.graph,
    seed: s.seed,
    notes,
    ...(start.stats ? { stats: start.stats } : {}),
    ...(inputs.gradients ? { gradients: inputs.gradients } : {}),
  });
  const before = costReport(g);
  const plan = planPrune(start.graph, groups, scores, roundTarget(s.target, 1, 1, before), { minChannels: s.minChannels, roundTo: s.roundTo, cost: costWithoutAdaptive });
  plan.params.before = before.params;
  plan.macs.before = before.macs;
  return { groups, frozen, plan, decisions: start.decisions, notes: [...new Set(notes)] };
}
