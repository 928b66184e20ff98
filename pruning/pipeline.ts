/**
 * The prune pipeline as two functions shared by `seprune prune` and the app's api:
 * `planPruneRun` (groups → importance scores → plan; the interactive preview, nothing is cut) and
 * `applyPruneRun` (surgery on a copy, then SE folding/dropping with the statistics sliced to the
 * channels that remain). Both are pure: the input graph is never modified.
 */
import type { Graph } from '../app/model/ir.js';
import { UserError } from '../app/model/errors.js';
import { buildGroups, type ChannelGroup, type FrozenNode, type ResidualMode } from './groups.js';
import { scoreGroups } from './importance/index.js';
import { planPrune, planEntries, type Plan, type PlanTarget } from './plan.js';
import { applyPlan } from './surgery.js';
import { foldSe, type FoldDecision, type FoldOptions } from './se-fold.js';
import { removedGateChannels, sliceStats } from './stats/slice.js';
import type { ExcitationStats } from './stats/types.js';

export interface PruneSettings {
  criterion: string;
  residual: ResidualMode;
  target: PlanTarget;
  minChannels: number;
  roundTo: number;
  /** Seed of the random criterion. */
  seed: number;
}

export interface PlannedRun {
  groups: ChannelGroup[];
  frozen: FrozenNode[];
  plan: Plan;
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

/** Builds the channel groups, scores them and plans the cut; `source` names the model in errors. */
export function planPruneRun(
  g: Graph,
  source: string,
  s: PruneSettings,
  inputs: { stats?: ExcitationStats; gradients?: Map<string, Float32Array> } = {},
): PlannedRun {
  const { groups, frozen } = buildGroups(g, { residual: s.residual });
  if (groups.length === 0) {
    throw new UserError(`No channel of ${source} can be pruned with residual ${s.residual}${s.residual === 'freeze' ? '; try residual couple' : ''}.`);
  }
  const notes: string[] = [];
  const scores = scoreGroups(s.criterion, groups, {
    graph: g,
    seed: s.seed,
    notes,
    ...(inputs.stats ? { stats: inputs.stats } : {}),
    ...(inputs.gradients ? { gradients: inputs.gradients } : {}),
  });
  const plan = planPrune(g, groups, scores, s.target, { minChannels: s.minChannels, roundTo: s.roundTo });
  return { groups, frozen, plan, notes: [...new Set(notes)] };
}

export function planGroupsJson(plan: Plan): PlanGroupJson[] {
  return plan.groups.map((p) => ({ id: p.id, label: p.label, stage: p.stage, size: p.size, keep: p.keep, removed: p.remove.length }));
}

export interface AppliedRun {
  /** The graph after channel surgery only. */
  pruned: Graph;
  /** The graph after surgery and SE folding/dropping (=== pruned without statistics). */
  graph: Graph;
  decisions: FoldDecision[];
  /** The statistics of the remaining channels and blocks. */
  stats?: ExcitationStats;
  /** Folds one named block of the pruned graph alone (to measure its own accuracy cost). */
  foldOnly(block: string): Graph;
}

/** Cuts the planned channels and folds/drops SE blocks (when statistics exist). */
export function applyPruneRun(g: Graph, run: PlannedRun, fold: FoldOptions, stats?: ExcitationStats): AppliedRun {
  const entries = planEntries(run.plan);
  const pruned = applyPlan(g, entries, run.groups);
  if (!stats) return { pruned, graph: pruned, decisions: [], foldOnly: () => pruned };
  const sliced = sliceStats(stats, removedGateChannels(run.groups, entries));
  const folded = foldSe(pruned, sliced, fold);
  const gone = new Set(folded.decisions.filter((x) => x.decision !== 'keep').map((x) => x.block));
  return {
    pruned,
    graph: folded.graph,
    decisions: folded.decisions,
    stats: { ...sliced, blocks: sliced.blocks.filter((b) => !gone.has(b.name)) },
    foldOnly: (block) => foldSe(pruned, sliced, { ...fold, mode: [block] }).graph,
  };
}
