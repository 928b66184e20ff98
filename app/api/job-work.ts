/**
 * The work of the api's long jobs as plain functions of plain data: each takes the models it
 * needs (graph, statistics, info) and the request, reports through a JobContext, and returns
 * plain data (a graph, statistics, a report). No session state: the service (service.ts) looks
 * the models up before and adds what a job made after, so the same function runs in the api's
 * own process or in a job process (job-host.ts, job-worker.ts), whose messages carry exactly
 * these inputs and outputs.
 */
import type { Graph } from '../model/ir.js';
import { UserError } from '../model/errors.js';
import { sampleIndices, type Dataset } from '../data/index.js';
import { openModelData } from '../workflows/open-data.js';
import { collectStats } from '../../pruning/stats/collect.js';
import type { ExcitationStats } from '../../pruning/stats/types.js';
import type { PlanTarget } from '../../pruning/plan.js';
import { planGroupsJson, planPruneRun, type PlannedRun } from '../../pruning/pipeline.js';
import { checkPruneSettings, PRUNE_DEFAULTS, runPrune, type RunPruneSettings } from '../workflows/prune.js';
import { criterion } from '../../pruning/importance/index.js';
import { compareJob, exportJob, finetuneJob, type FinetuneOutcome, type SessionModel } from './model-jobs.js';
import type { JobContext } from './jobs.js';
import type {
  CompareReportDto,
  DataChoice,
  ExportFileDto,
  ExportRequestDto,
  FinetuneRequest,
  JobKind,
  PlanGroupDto,
  PlanPreview,
  PreviewPruneRequest,
  PruneReport,
  RunStatsRequest,
} from './contract.js';

/** A session model as a job gets it. */
export interface WorkModel extends SessionModel {
  stats?: ExcitationStats;
}

/** What each job kind's work takes. */
export interface WorkInputs {
  stats: { model: WorkModel; req: RunStatsRequest };
  prune: { model: WorkModel; req: PreviewPruneRequest };
  compare: { models: WorkModel[]; data: DataChoice; latency: boolean };
  export: { model: WorkModel; req: ExportRequestDto; protect: string[] };
  finetune: { model: WorkModel; teacher?: WorkModel; req: FinetuneRequest };
}

/** What each job kind's work returns. */
export interface WorkOutputs {
  stats: { stats: ExcitationStats; classNames: string[]; skipped: number; note?: string };
  prune: { graph: Graph; stats?: ExcitationStats; report: PruneReport };
  compare: CompareReportDto;
  export: ExportFileDto[];
  finetune: FinetuneOutcome;
}

/**
 * The dataset a job reads for model `m`: its classes mapped to the labels the model stores by name
 * (as the CLI does), unless the user asked for sorted folder order.
 */
export async function openData(d: DataChoice, m: Pick<SessionModel, 'graph' | 'info'>, split = d.split): Promise<{ ds: Dataset; idx: number[] }> {
  const [h, w, c] = m.graph.inputs[0].shape;
  const labels = d.labelsByIndex ? undefined : m.info.classNames;
  const ds = await openModelData({ data: d.data, split, limit: d.limit, seed: d.seed, preprocess: d.preprocess, inputShape: [h, w, c] }, labels);
  return { ds, idx: sampleIndices(await ds.labels(), d.limit, d.seed) };
}

/** The plan's rows, each with the gate channels it removes when one SE block gates the group. */
function withGates(run: PlannedRun): PlanGroupDto[] {
  const byId = new Map(run.groups.map((g) => [g.id, g]));
  return planGroupsJson(run.plan).map((row, i) => {
    const grp = byId.get(row.id);
    const gate = grp?.gatedBy ? grp.gates.find((x) => x.se === grp.gatedBy) : undefined;
    if (!gate) return row;
    const removed = run.plan.groups[i].remove.flatMap((c) => Array.from(gate.index.subarray(c * gate.per, c * gate.per + gate.per)));
    return { ...row, gate: { se: gate.se, removed } };
  });
}

function toTarget(req: PreviewPruneRequest): PlanTarget {
  const t = req.target;
  const given = (['targetMacs', 'targetParams', 'ratio'] as const).filter((k) => t[k] !== undefined);
  if (given.length > 1 || (given.length === 0 && !req.perStage)) throw new UserError('Give one target: a MACs fraction, a parameter fraction or a channel ratio, or per-stage fractions.');
  const out: PlanTarget = given.length ? { [given[0]]: t[given[0]] } : {};
  if (req.perStage) out.perStage = req.perStage;
  return out;
}

/** The workflow's settings for an app request (the CLI's flags, as fields). */
export function settingsFor(m: WorkModel, req: PreviewPruneRequest): RunPruneSettings {
  const s: RunPruneSettings = {
    criterion: req.criterion,
    residual: req.residual,
    target: toTarget(req),
    minChannels: req.minChannels,
    roundTo: req.roundTo,
    seed: m.info.statsData?.seed ?? 0,
    fold: { mode: req.fold.mode, constantThreshold: req.fold.constant, identityThreshold: req.fold.identity },
    recalibrate: req.recalibrate ?? true,
    steps: req.steps ?? 1,
    ignore: req.ignore ?? [],
    finetuneImages: req.finetuneImages ?? PRUNE_DEFAULTS.finetuneImages,
  };
  checkPruneSettings(s);
  if (req.evalSplit !== undefined && req.evalSplit !== 'train' && req.evalSplit !== 'test') throw new UserError('The evaluation split must be train or test.');
  if (req.evalLimit !== undefined && !(Number.isInteger(req.evalLimit) && req.evalLimit >= 1)) throw new UserError('The number of evaluation images must be a whole number ≥ 1.');
  return s;
}

/** Checks the prune settings and plans them (the preview, and the first step of a prune). */
export function planFor(m: WorkModel, req: PreviewPruneRequest): { run: PlannedRun; preview: PlanPreview } {
  const s = settingsFor(m, req);
  const needsStats = s.criterion === 'auto' || criterion(s.criterion).needs.stats === true;
  if (needsStats && !m.stats && m.graph.nodes.some((n) => n.kind === 'se')) {
    throw new UserError(`The ${req.criterion} criterion ${s.criterion === 'auto' ? 'tries the gate criteria too' : 'ranks channels by their gates'}: run the statistics first (Start → Run statistics).`);
  }
  const run = planPruneRun(m.graph, m.info.source, { ...s, criterion: s.criterion === 'auto' ? 'l1' : s.criterion }, m.stats ? { stats: m.stats } : {});
  const preview: PlanPreview = {
    model: m.info.source,
    criterion: req.criterion,
    paramsBefore: run.plan.params.before,
    paramsAfter: run.plan.params.after,
    macsBefore: run.plan.macs.before,
    macsAfter: run.plan.macs.after,
    groups: withGates(run),
    frozen: run.frozen,
    warnings: run.plan.warnings,
    notes: s.criterion === 'auto' ? ['The preview ranks channels by filter L1; auto measures every candidate when it prunes.', ...run.notes] : run.notes,
  };
  return { run, preview };
}

async function statsWork({ model: m, req }: WorkInputs['stats'], ctx: JobContext): Promise<WorkOutputs['stats']> {
  const { ds, idx } = await openData(req, m);
  ctx.check();
  const r = await collectStats(m.graph, ds, idx, { model: m.info.source, modelHash: m.info.hash, seed: req.seed, engine: 'auto', progress: ctx.progress });
  ctx.check();
  return { stats: r.stats, classNames: ds.classes, skipped: r.run.skipped.length, ...(r.note ? { note: r.note } : {}) };
}

/** SE folding reads gate statistics: refused before the job when the model has SE blocks but neither statistics nor their data. */
export function checkFoldStats(m: WorkModel, req: PreviewPruneRequest): void {
  if (req.fold.mode !== 'none' && !m.stats && m.graph.nodes.some((n) => n.kind === 'se') && !m.info.statsData) {
    throw new UserError('SE folding needs gate statistics: run the statistics first, or set folding to none.');
  }
}

async function pruneWork({ model: m, req }: WorkInputs['prune'], ctx: JobContext): Promise<WorkOutputs['prune']> {
  const { preview } = planFor(m, req);
  const s = settingsFor(m, req);
  checkFoldStats(m, req);
  // Calibration: the statistics' own images; accuracy on the same dataset's eval split, as many images unless told (as `seprune prune`).
  const sd = m.info.statsData;
  const calib = sd ? await openData(sd, m) : undefined;
  const evalData = sd ? await openData({ ...sd, limit: req.evalLimit ?? sd.limit }, m, req.evalSplit ?? PRUNE_DEFAULTS.evalSplit) : undefined;
  ctx.check();
  const outcome = await runPrune(
    { graph: m.graph, source: m.info.source, hash: m.info.hash, ...(m.stats ? { stats: m.stats } : {}) },
    s,
    { ...(calib ? { calib } : {}), ...(evalData ? { eval: evalData } : {}), engine: 'auto' },
    { update: (label, done, total) => (ctx.check(), ctx.progress.update(label, done, total)), done: () => {} },
  );
  ctx.check();
  const r = outcome.report;
  const report: PruneReport = {
    ...preview,
    ...r,
    criterion: r.criterion,
    groups: r.groups,
    paramsAfterPruning: r.paramsAfter,
    macsAfterPruning: r.macsAfter,
  };
  const graph: Graph = { ...outcome.graph, meta: { ...outcome.graph.meta, prunedFrom: m.info.source, prunedFromHash: m.info.hash } };
  return { graph, report, ...(outcome.stats ? { stats: outcome.stats } : {}) };
}

/** Every job kind's work. */
export const WORK: { [K in JobKind]: (input: WorkInputs[K], ctx: JobContext) => Promise<WorkOutputs[K]> } = {
  stats: statsWork,
  prune: pruneWork,
  compare: ({ models, data, latency }, ctx) => compareJob(models, data, latency, openData, ctx),
  export: ({ model, req, protect }, ctx) => exportJob(model, req, openData, ctx, protect),
  finetune: ({ model, teacher, req }, ctx) => finetuneJob(model, teacher, req, openData, ctx),
};
