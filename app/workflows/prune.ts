/**
 * The one prune workflow that `seprune prune` and the app's prune job both run:
 *
 * 1. convs that no batch norm reads (a BN-folded export) get adaptive batch norms that carry their
 *    output statistics on the original model (pruning/adaptive-bn.ts);
 * 2. SE blocks are folded / dropped first (fold decisions come before the channel plan, so the
 *    plan counts what folding saved and cuts only what is still needed);
 * 3. for each candidate criterion (one, or several with `auto`) and in `steps` rounds: groups →
 *    scores (gathering only what the criterion declares it needs) → plan towards that round's
 *    target → cut → batch-norm re-estimation on the calibration images;
 * 4. with `auto`, each candidate's one-shot top-1 is measured on a held-out part of the
 *    calibration images and the best is kept;
 * 5. the adaptive batch norms fold back into their convs; the final model's cost is checked
 *    against the target and accuracy measured on the eval images.
 * The input graph is never modified.
 */
import { type Graph, seNodes } from '../model/ir.js';
import { costReport } from '../model/accounting.js';
import { CalibrationMissingError, UserError } from '../model/errors.js';
import type { Dataset } from '../data/types.js';
import { relabelled, type Progress } from '../util/progress.js';
import { evaluate } from '../eval/evaluate.js';
import type { ChannelGroup, FrozenNode, ResidualMode } from '../../pruning/groups.js';
import { CRITERIA, criterion as criterionByName, needsData, scoreGroups, type Criterion } from '../../pruning/importance/index.js';
import { planPrune, planEntries, type Plan, type PlanTarget } from '../../pruning/plan.js';
import { applyPlan } from '../../pruning/surgery.js';
import { foldSe, type FoldDecision, type FoldOptions } from '../../pruning/se-fold.js';
import { removedGateChannels, sliceStats } from '../../pruning/stats/slice.js';
import type { ExcitationStats } from '../../pruning/stats/types.js';
import { collectStats } from '../../pruning/stats/collect.js';
import { gradientPass } from '../../pruning/stats/gradients.js';
import { measureChannels, type Moments } from '../../pruning/stats/channel-measures.js';
import { recalibrateBn } from '../../pruning/recalibrate-bn.js';
import { train } from '../train/index.js';
import { latencyBeforeAfter, type LatencyPair } from '../../pruning/latency.js';
import { convMoments, foldAdaptiveBn, restoreOutputStats } from '../../pruning/adaptive-bn.js';
import { costWithoutAdaptive, prepareStart, prunableGroups, roundTarget, type PruneSettings } from '../../pruning/pipeline.js';
import { uninformativeGates } from '../../pruning/gate-spread.js';

/** The planner's settings (pipeline.ts), with folding and ignored layers always given, and the run's own. */
export interface RunPruneSettings extends Omit<PruneSettings, 'fold' | 'ignore'> {
  /** A criterion name, or 'auto'. */
  criterion: string;
  fold: FoldOptions;
  /** Re-estimate batch-norm statistics (adaptive ones included) on the calibration images after each cut. */
  recalibrate: boolean;
  /** Rounds of cut → re-estimate that reach the target (Torch-Pruning's iterative_steps). */
  steps: number;
  /** Node names or globs whose output channels are never cut. */
  ignore: string[];
  /** After each round's re-estimation, fine-tune on this many calibration images (distilled from the original); 0: none. */
  finetuneImages?: number;
}

/** The settings a prune takes when the user gives none (the CLI's flag defaults; the app's PRUNE_DEFAULTS must equal them). */
export const PRUNE_DEFAULTS = {
  criterion: 'se-mean',
  residual: 'freeze',
  minChannels: 1,
  roundTo: 1,
  steps: 1,
  recalibrate: true,
  fold: { mode: 'auto', constantThreshold: 0.01, identityThreshold: 0.02 },
  finetuneImages: 0,
  /** The split top-1 before/after is measured on (the data's, not a planner setting). */
  evalSplit: 'test',
} as const satisfies Omit<RunPruneSettings, 'target' | 'seed' | 'ignore' | 'fold'> & { fold: FoldOptions; evalSplit: 'train' | 'test' };

export interface PruneModel {
  graph: Graph;
  source: string;
  hash: string;
  stats?: ExcitationStats;
}

export interface PruneData {
  calib?: { ds: Dataset; idx: number[] };
  eval?: { ds: Dataset; idx: number[] };
  engine: 'auto' | 'onnxruntime' | 'tfjs';
  /** Measure batch-1 latency before/after in onnxruntime (default false: it takes a few seconds). */
  latency?: boolean;
  /** Calibration images the taylor gradient pass uses (default 64). */
  gradientImages?: number;
}

/** The candidates `auto` tries: every criterion that is not random. */
export const AUTO_CANDIDATES = CRITERIA.filter((c) => c.name !== 'random').map((c) => c.name);

export interface SeBlockReport extends FoldDecision {
  /** top-1 of the unpruned model with this block alone folded/dropped, minus the unpruned top-1. */
  accuracyChange: number | null;
}

export interface CandidateReport {
  criterion: string;
  /** One-shot top-1 on the held-out calibration images (auto), else null. */
  heldOutTop1: number | null;
  macsAfter: number;
  paramsAfter: number;
  error?: string;
}

export interface PruneRunReport {
  model: string;
  criterion: string;
  /** What was asked (a name or 'auto'). */
  criterionRequested: string;
  candidates: CandidateReport[];
  residual: ResidualMode;
  target: PlanTarget;
  steps: number;
  paramsBefore: number;
  paramsAfter: number;
  macsBefore: number;
  macsAfter: number;
  /** The first round's plan rows (the preview's). */
  groups: { id: string; label: string; stage: string; size: number; keep: number; removed: number }[];
  frozen: FrozenNode[];
  warnings: string[];
  notes: string[];
  /** Whether the final model lies within 2% of the MACs / params target (null: no such target). */
  targetMet: boolean | null;
  top1Before: number | null;
  /** After the cut and SE folding, before any re-estimation (one step only; else null). */
  top1Pruned: number | null;
  top1After: number | null;
  top1BeforeBnRecalibration: number | null;
  /** Calibration images the batch-norm statistics were re-estimated on (0: none). */
  bnRecalibratedOn: number;
  /** Batch-norm layers re-estimated, and how many of them are adaptive ones put after BN-folded convs. */
  bnRecalibratedLayers: number;
  adaptiveBnLayers: number;
  evalOn: { dataset: string; split: string; n: number } | null;
  seBlocks: SeBlockReport[];
  /** Batch-1 milliseconds per image before and after, when measured. */
  latency?: LatencyPair;
}

export interface PruneOutcome {
  graph: Graph;
  stats?: ExcitationStats;
  report: PruneRunReport;
}

/** Tolerance of the final model's cost against the target, as a fraction of the original. */
export const TARGET_TOLERANCE = 0.02;

const silent: Progress = { update: () => {}, done: () => {} };

/** Checks settings that need no model (the app calls this before it starts a job). */
export function checkPruneSettings(s: RunPruneSettings): void {
  if (s.criterion !== 'auto') criterionByName(s.criterion);
  if (s.residual !== 'freeze' && s.residual !== 'couple') throw new UserError(`Residual must be freeze or couple, got "${String(s.residual)}".`);
  for (const [k, v] of [['round-to', s.roundTo], ['min-channels', s.minChannels], ['steps', s.steps]] as const) {
    if (!Number.isInteger(v) || v < 1) throw new UserError(`${k} must be a whole number ≥ 1, got ${v}.`);
  }
  const t = s.target;
  const given = [t.ratio, t.targetMacs, t.targetParams].filter((x) => x !== undefined).length;
  if (given > 1) throw new UserError('Give one of a MACs target, a parameter target and a channel ratio.');
  if (given === 0 && !t.perStage) throw new UserError('Say how much to prune: a MACs or parameter fraction to keep, a channel ratio or per-stage fractions.');
  for (const v of [t.targetMacs, t.targetParams]) {
    if (v !== undefined && !(v > 0 && v <= 1)) throw new UserError(`A fraction to keep must lie above 0 and at most 1, got ${v}.`);
  }
  if (t.ratio !== undefined && !(t.ratio > 0 && t.ratio < 1)) throw new UserError('The ratio of channels to remove must lie between 0 and 1.');
  for (const [stage, f] of Object.entries(t.perStage ?? {})) {
    if (!stage.trim() || typeof f !== 'number' || !(f >= 0 && f < 1)) throw new UserError(`A per-stage fraction to remove must lie from 0 up to (not including) 1, got ${String(f)} for "${stage}".`);
  }
  if (s.finetuneImages !== undefined && !(Number.isInteger(s.finetuneImages) && s.finetuneImages >= 0)) throw new UserError(`finetune-images must be a whole number ≥ 0, got ${s.finetuneImages}.`);
}

/** The criteria to run: the named one, or every auto candidate. */
function candidatesFor(name: string): Criterion[] {
  return name === 'auto' ? AUTO_CANDIDATES.map(criterionByName) : [criterionByName(name)];
}

interface Cut {
  graph: Graph;
  /** The cut graph of the last round before re-estimation (steps 1 only). */
  unrecalibrated?: Graph;
  stats?: ExcitationStats;
  firstPlan: Plan;
  groups: ChannelGroup[];
  frozen: FrozenNode[];
  notes: string[];
  bnLayers: number;
}

export async function runPrune(model: PruneModel, s: RunPruneSettings, data: PruneData, progress: Progress = silent): Promise<PruneOutcome> {
  checkPruneSettings(s);
  const g = model.graph;
  const candidates = candidatesFor(s.criterion);
  const hasSe = seNodes(g).length > 0;
  const calib = data.calib;
  const notes: string[] = [];
  const warnings: string[] = [];

  // Gate statistics: given, or gathered on the calibration images, when anything uses them.
  let stats = model.stats;
  const wantsStats = hasSe && (candidates.some((c) => c.needs.stats) || s.fold.mode !== 'none');
  if (wantsStats && !stats) {
    if (!calib) {
      throw new UserError(
        `${candidates.some((c) => c.needs.stats) ? `The ${s.criterion} criterion` : 'SE folding'} needs gate statistics: give calibration data${candidates.some((c) => c.needs.stats) ? '' : ' (or turn SE folding off)'}.`,
      );
    }
    progress.update('gate statistics', 0, 1);
    stats = (await collectStats(g, calib.ds, calib.idx, { model: model.source, modelHash: model.hash, seed: s.seed, engine: data.engine, progress })).stats;
  }
  if (!calib && candidates.some(needsData)) throw new CalibrationMissingError(`The ${s.criterion} criterion measures the model on calibration images`, 'prune');
  if (s.criterion === 'auto' && !calib) throw new CalibrationMissingError('The auto criterion measures each candidate on held-out calibration images', 'prune');
  if (stats) {
    const flat = uninformativeGates(stats);
    if (flat.length > 0) {
      notes.push(
        `The gates of ${flat.length} of ${stats.blocks.length} SE blocks are nearly the same for every channel (${flat.slice(0, 3).join(', ')}${flat.length > 3 ? ', …' : ''}), so a gate ranking there is noise: prefer a criterion that measures the model (se-taylor, taylor) or l1.`,
      );
    }
  }

  // 1. Adaptive batch norms after BN-folded convs, carrying the original model's statistics.
  const recal = s.recalibrate && calib !== undefined;
  let moments: Map<string, Moments> | undefined;
  if (recal) {
    progress.update('conv output statistics of the original model', 0, 1);
    moments = await convMoments(g, calib.ds, calib.idx);
  }
  // 2. SE folding before the plan.
  const prep = prepareStart(g, stats, hasSe ? s.fold : undefined, moments);
  const adaptive = { graph: prep.adaptive, inserted: prep.inserted };
  const countCost = costWithoutAdaptive;
  // A cut model made final: adaptive batch norms folded back, the logits' statistics restored.
  const finish = async (x: Graph, on: { ds: Dataset; idx: number[] } | undefined): Promise<Graph> => {
    const folded = foldAdaptiveBn(x, adaptive.inserted);
    return moments && on ? restoreOutputStats(folded, moments, on.ds, on.idx) : folded;
  };
  const before = costReport(g);
  const start = prep.graph;
  const decisions = prep.decisions;
  const startStats = prep.stats;

  // 3. Candidates: held-out split of the calibration images for auto.
  let fit = calib;
  let heldOut: { ds: Dataset; idx: number[] } | undefined;
  if (calib && candidates.length > 1) {
    const cut = Math.max(1, Math.floor(calib.idx.length * 0.75));
    fit = { ds: calib.ds, idx: calib.idx.slice(0, cut) };
    heldOut = { ds: calib.ds, idx: calib.idx.slice(cut) };
    if (heldOut.idx.length < 50) warnings.push(`auto compares the candidates on only ${heldOut.idx.length} held-out calibration images; their top-1 differences are noisy.`);
  }
  const runs: { c: Criterion; cut?: Cut; top1: number | null; error?: string }[] = [];
  for (const [ci, c] of candidates.entries()) {
    progress.update(candidates.length > 1 ? `trying ${c.name}` : `pruning by ${c.name}`, ci, candidates.length);
    try {
      const cut = await cutInSteps(start, startStats, c, s, fit, before, countCost, data, progress, g);
      const top1 = heldOut ? (await evaluate(await finish(cut.graph, fit), heldOut.ds, heldOut.idx, { engine: data.engine })).top1 : null;
      runs.push({ c, cut, top1 });
    } catch (e) {
      if (candidates.length === 1 || !(e instanceof UserError)) throw e;
      runs.push({ c, top1: null, error: e.message });
    }
  }
  const ok = runs.filter((r) => r.cut);
  if (ok.length === 0) throw new UserError(`No candidate criterion could prune ${model.source}: ${runs.map((r) => `${r.c.name}: ${r.error}`).join('; ')}`);
  const best = ok.reduce((a, b) => ((b.top1 ?? -1) > (a.top1 ?? -1) ? b : a));
  const cut = best.cut!;

  // 5. Adaptive batch norms back into their convs; the target is checked on the final model.
  const finalGraph = await finish(cut.graph, fit);
  const after = costReport(finalGraph);
  let targetMet: boolean | null = null;
  for (const [kind, goal] of [['MACs', s.target.targetMacs], ['parameters', s.target.targetParams]] as const) {
    if (goal === undefined) continue;
    const ref = kind === 'MACs' ? before.macs : before.params;
    const got = (kind === 'MACs' ? after.macs : after.params) / ref;
    const met = Math.abs(got - goal) <= TARGET_TOLERANCE;
    targetMet = (targetMet ?? true) && met;
    if (!met) {
      warnings.push(
        `The pruned model keeps ${(100 * got).toFixed(1)}% of the ${kind}, not within ${100 * TARGET_TOLERANCE} points of the target ${(100 * goal).toFixed(1)}%${got > goal ? ': the channels left to cut are frozen (residual streams, ignored layers, minimum widths) or rounding keeps them' : ''}.`,
      );
    }
  }

  // Accuracy on the eval images: before, one shot without re-estimation (one step), after.
  const ev = data.eval;
  const top1 = async (x: Graph, label: string) =>
    ev ? (await evaluate(x, ev.ds, ev.idx, { engine: data.engine, progress: relabelled(progress, label) })).top1 : null;
  const top1Before = await top1(g, 'accuracy before');
  const top1Pruned = cut.unrecalibrated ? await top1(foldAdaptiveBn(cut.unrecalibrated, adaptive.inserted), 'accuracy without re-estimation') : null;
  const top1After = recal || !cut.unrecalibrated ? await top1(finalGraph, 'accuracy after') : top1Pruned;
  const seBlocks: SeBlockReport[] = [];
  for (const d of decisions) {
    let accuracyChange: number | null = null;
    if (d.decision !== 'keep' && ev && stats && top1Before !== null) {
      const alone = foldAdaptiveBn(foldSe(adaptive.graph, stats, { ...s.fold, mode: [d.block] }).graph, adaptive.inserted);
      accuracyChange = (await top1(alone, `accuracy of ${d.block} alone`))! - top1Before;
    }
    seBlocks.push({ ...d, accuracyChange });
  }
  let latency: LatencyPair | undefined;
  if (data.latency) {
    progress.update('latency before and after', 0, 1);
    latency = await latencyBeforeAfter(g, finalGraph);
  }
  progress.done();

  const report: PruneRunReport = {
    model: model.source,
    criterion: best.c.name,
    criterionRequested: s.criterion,
    candidates: runs.map((r) => ({
      criterion: r.c.name,
      heldOutTop1: r.top1,
      macsAfter: r.cut ? countCost(r.cut.graph).macs : NaN,
      paramsAfter: r.cut ? countCost(r.cut.graph).params : NaN,
      ...(r.error ? { error: r.error } : {}),
    })),
    residual: s.residual,
    target: s.target,
    steps: s.steps,
    paramsBefore: before.params,
    paramsAfter: after.params,
    macsBefore: before.macs,
    macsAfter: after.macs,
    groups: cut.firstPlan.groups.map((p) => ({ id: p.id, label: p.label, stage: p.stage, size: p.size, keep: p.keep, removed: p.remove.length })),
    frozen: cut.frozen,
    warnings: [...warnings, ...cut.firstPlan.warnings.filter((w) => !w.startsWith('The plan lands at'))],
    notes: [...new Set([...notes, ...cut.notes])],
    targetMet,
    top1Before,
    top1Pruned,
    top1After,
    top1BeforeBnRecalibration: top1Pruned,
    bnRecalibratedOn: recal ? fit!.idx.length : 0,
    bnRecalibratedLayers: recal ? cut.bnLayers : 0,
    adaptiveBnLayers: recal ? adaptive.inserted.size : 0,
    evalOn: ev ? { dataset: ev.ds.name, split: ev.ds.split, n: ev.idx.length } : null,
    seBlocks,
    ...(latency ? { latency } : {}),
  };
  return { graph: finalGraph, ...(cut.stats ? { stats: cut.stats } : {}), report };
}

/** Scores `groups` of `g` by `c`, gathering the gradients / measures it declares it needs. */
async function scoresFor(
  g: Graph,
  groups: ChannelGroup[],
  c: Criterion,
  stats: ExcitationStats | undefined,
  seed: number,
  calib: { ds: Dataset; idx: number[] } | undefined,
  data: PruneData,
  notes: string[],
): Promise<Map<string, Float64Array>> {
  let gradients: Map<string, Float32Array> | undefined;
  if (c.needs.gradients && calib) gradients = (await gradientPass(g, calib.ds, calib.idx.slice(0, data.gradientImages ?? 64))).mean;
  const measures = c.needs.measures?.length && calib ? await measureChannels(g, calib.ds, calib.idx.slice(0, data.gradientImages ?? 64), c.needs.measures) : undefined;
  return scoreGroups(c, groups, { graph: g, seed, notes, ...(stats ? { stats } : {}), ...(gradients ? { gradients } : {}), ...(measures ? { measures } : {}) });
}

async function cutInSteps(
  start: Graph,
  stats: ExcitationStats | undefined,
  c: Criterion,
  s: RunPruneSettings,
  calib: { ds: Dataset; idx: number[] } | undefined,
  before: { params: number; macs: number },
  cost: (g: Graph) => { params: number; macs: number },
  data: PruneData,
  progress: Progress,
  teacher: Graph,
): Promise<Cut> {
  let cur = start;
  let curStats = stats;
  let first: { plan: Plan; groups: ChannelGroup[]; frozen: FrozenNode[] } | undefined;
  let unrecalibrated: Graph | undefined;
  let bnLayers = 0;
  const notes: string[] = [];
  // With several rounds, how many channels each group loses is decided once, by the whole
  // target's plan on the starting model, and each round removes its share (re-scored on the
  // re-estimated model): re-planning the remaining target every round compounds — a group that
  // ranks low loses the same fraction again each round (ShuffleNetV2's conv5 kept 160 of 1024
  // channels in 4 rounds where one shot keeps 448, and top-1 fell from 60% to 22%).
  let allocation: { sig: string[]; remove: number[]; removed: number[] } | undefined;
  const opts = { minChannels: s.minChannels, roundTo: s.roundTo, cost };
  for (let k = 1; k <= s.steps; k++) {
    if (s.steps > 1) progress.update(`${c.name}: round ${k} of ${s.steps}`, k - 1, s.steps);
    const { groups, frozen } = prunableGroups(cur, s, 'the model');
    const scores = await scoresFor(cur, groups, c, curStats, s.seed, calib, data, notes);
    // Fractions are of the original model's cost (SE blocks folded before the plan count as saved).
    const whole = () => planPrune(cur, groups, scores, roundTarget(s.target, 1, 1, before), opts);
    let plan: Plan;
    if (s.steps === 1) {
      plan = whole();
    } else {
      if (k === 1) {
        const whole1 = whole();
        first = { plan: whole1, groups, frozen };
        const planned = new Map(whole1.groups.map((x) => [x.id, x.remove.length]));
        allocation = { sig: groups.map(groupSignature), remove: groups.map((x) => planned.get(x.id) ?? 0), removed: groups.map(() => 0) };
      }
      const a = allocation!;
      if (groups.length === a.sig.length && groups.every((x, i) => groupSignature(x) === a.sig[i])) {
        const counts = Object.fromEntries(groups.map((x, i) => [x.id, Math.round((a.remove[i] * k) / s.steps) - a.removed[i]]));
        plan = planPrune(cur, groups, scores, { counts }, opts);
        const got = new Map(plan.groups.map((x) => [x.id, x.remove.length]));
        groups.forEach((x, i) => (a.removed[i] += got.get(x.id) ?? 0));
      } else {
        plan = planPrune(cur, groups, scores, roundTarget(s.target, k, s.steps, before), opts);
      }
    }
    first ??= { plan, groups, frozen };
    const entries = planEntries(plan);
    cur = entries.length ? applyPlan(cur, entries, groups) : cur;
    if (curStats) curStats = sliceStats(curStats, removedGateChannels(groups, entries));
    if (s.steps === 1) unrecalibrated = cur;
    if (s.recalibrate && calib) {
      const r = await recalibrateBn(cur, calib.ds, calib.idx);
      cur = r.graph;
      bnLayers = cur.nodes.filter((n) => n.kind === 'batchnorm').length;
    }
    if ((s.finetuneImages ?? 0) > 0 && calib) cur = await shortFinetune(cur, teacher, calib, s.finetuneImages!, s.seed, progress);
  }
  return { graph: cur, ...(unrecalibrated ? { unrecalibrated } : {}), ...(curStats ? { stats: curStats } : {}), firstPlan: first!.plan, groups: first!.groups, frozen: first!.frozen, notes, bnLayers };
}

/** What identifies a channel group from round to round: the tensors it spans (ids hold channel indices, which shift). */
function groupSignature(g: ChannelGroup): string {
  return [...new Set(g.tensors.map((t) => t.tensor))].sort().join(',');
}

/**
 * The optional short fine-tune between rounds, through the trainer's interface (app/train): pure
 * distillation from the original model (temperature 2, as the demo), AdamW, no augmentation, on
 * `images` calibration images (cycling through them when there are fewer).
 */
async function shortFinetune(g: Graph, teacher: Graph, calib: { ds: Dataset; idx: number[] }, images: number, seed: number, progress: Progress): Promise<Graph> {
  const epochs = Math.max(1, Math.ceil(images / calib.idx.length));
  const indices = calib.idx.slice(0, Math.ceil(images / epochs));
  const r = await train(g, calib.ds, {
    epochs,
    indices,
    batchSize: 32,
    optimizer: 'adamw',
    lr: 1e-3,
    augment: false,
    teacher,
    alpha: 1,
    temperature: 2,
    seed,
    onProgress: (e) => progress.update(`fine-tuning (${images} images)`, (e.epoch - 1) * e.steps + e.step, e.epochs * e.steps),
  });
  return r.graph;
}
