/**
 * The work of the api's long jobs as plain functions of plain data: each takes the models it
 * needs (graph, statistics, info) and the request, reports through a JobContext, and returns
 * plain data (a graph, statistics, a report). No session state: the service (service.ts) looks
 * the models up before and adds what a job made after, so the same function runs in the api's
 * own process or in a job process (job-host.ts, job-worker.ts), whose messages carry exactly
 * these inputs and outputs.
 */
import type { Graph } from '../model/ir.js';
import { costReport } from '../model/accounting.js';
import { UserError } from '../model/errors.js';
import { openDataset, sampleIndices, type Dataset } from '../data/index.js';
import { checkInputShape } from '../cli/data-options.js';
import { collectStats } from '../../pruning/stats/collect.js';
import type { ExcitationStats } from '../../pruning/stats/types.js';
import { criterion } from '../../pruning/importance/index.js';
import type { PlanTarget } from '../../pruning/plan.js';
import { applyPruneRun, planGroupsJson, planPruneRun, type PlannedRun } from '../../pruning/pipeline.js';
import { recalibrateBn } from '../../pruning/recalibrate-bn.js';
import { evaluate } from '../eval/evaluate.js';
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

export async function openData(d: DataChoice, g: Graph, split = d.split): Promise<{ ds: Dataset; idx: number[] }> {
  const [h, w, c] = g.inputs[0].shape;
  const ds = await openDataset({ data: d.data, split, limit: d.limit, seed: d.seed, preprocess: d.preprocess, inputShape: [h, w, c] });
  checkInputShape(ds.sampleShape, g.inputs[0].shape);
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

function toTarget(t: PreviewPruneRequest['target']): PlanTarget {
  const given = (['targetMacs', 'targetParams', 'ratio'] as const).filter((k) => t[k] !== undefined);
  if (given.length !== 1) throw new UserError('Give exactly one target: a MACs fraction, a parameter fraction or a channel ratio.');
  const k = given[0];
  const v = t[k]!;
  if (!Number.isFinite(v) || v <= 0 || v > 1 || (k === 'ratio' && v >= 1)) {
    throw new UserError(k === 'ratio' ? 'The ratio of channels to remove must lie between 0 and 1.' : 'The fraction to keep must lie above 0 and at most 1.');
  }
  return { [k]: v };
}

/** Checks the prune settings and plans them (the preview, and the first step of a prune). */
export function planFor(m: WorkModel, req: PreviewPruneRequest): { run: PlannedRun; preview: PlanPreview } {
  criterion(req.criterion);
  if (req.criterion.startsWith('se-mean') && !m.stats) {
    throw new UserError(`The ${req.criterion} criterion ranks channels by their gates: run the statistics first (Start → Run statistics).`);
  }
  if (req.residual !== 'freeze' && req.residual !== 'couple') throw new UserError('Residual must be freeze or couple.');
  for (const k of ['roundTo', 'minChannels'] as const) {
    if (!Number.isInteger(req[k]) || req[k] < 1) throw new UserError(`${k === 'roundTo' ? 'Round-to' : 'Min channels'} must be a whole number ≥ 1.`);
  }
  const run = planPruneRun(
    m.graph,
    m.info.source,
    { criterion: req.criterion, residual: req.residual, target: toTarget(req.target), minChannels: req.minChannels, roundTo: req.roundTo, seed: m.info.statsData?.seed ?? 0 },
    m.stats ? { stats: m.stats } : {},
  );
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
    notes: run.notes,
  };
  return { run, preview };
}

async function statsWork({ model: m, req }: WorkInputs['stats'], ctx: JobContext): Promise<WorkOutputs['stats']> {
  const { ds, idx } = await openData(req, m.graph);
  ctx.check();
  const r = await collectStats(m.graph, ds, idx, { model: m.info.source, modelHash: m.info.hash, seed: req.seed, engine: 'auto', progress: ctx.progress });
  ctx.check();
  return { stats: r.stats, classNames: ds.classes, skipped: r.run.skipped.length, ...(r.note ? { note: r.note } : {}) };
}

async function pruneWork({ model: m, req }: WorkInputs['prune'], ctx: JobContext): Promise<WorkOutputs['prune']> {
  const { run, preview } = planFor(m, req);
  if (req.fold.mode !== 'none' && !m.stats) throw new UserError('SE folding needs gate statistics: run the statistics first, or set folding to none.');
  const fold = { mode: req.fold.mode, constantThreshold: req.fold.constant, identityThreshold: req.fold.identity };
  ctx.progress.update('cutting channels', 0, 1);
  const applied = applyPruneRun(m.graph, run, fold, m.stats);
  ctx.check();
  let evalData: { ds: Dataset; idx: number[] } | undefined;
  if (m.info.statsData) evalData = await openData(m.info.statsData, m.graph, 'test');
  const top1 = async (g: Graph, label: string) =>
    evalData ? (await evaluate(g, evalData.ds, evalData.idx, { engine: 'auto', progress: { update: (_l, d, t) => ctx.progress.update(label, d, t), done: () => {} } })).top1 : null;
  const top1Before = await top1(m.graph, 'accuracy before');
  const top1Pruned = await top1(applied.pruned, 'accuracy after cutting');
  const top1Folded = applied.graph === applied.pruned ? top1Pruned : await top1(applied.graph, 'accuracy after SE folding');
  // Batch-norm statistics re-estimated on the statistics' own calibration images (as `seprune prune`).
  let recal = { graph: applied.graph, images: 0 };
  if (m.info.statsData) {
    ctx.progress.update('re-estimating batch-norm statistics', 0, 1);
    const calib = await openData(m.info.statsData, m.graph);
    recal = await recalibrateBn(applied.graph, calib.ds, calib.idx);
    ctx.check();
  }
  const top1After = recal.graph === applied.graph ? top1Folded : await top1(recal.graph, 'accuracy after re-estimating batch norm');
  const seBlocks = [];
  for (const dec of applied.decisions) {
    let accuracyChange: number | null = null;
    if (dec.decision !== 'keep' && evalData && top1Pruned !== null) accuracyChange = (await top1(applied.foldOnly(dec.block), `accuracy of ${dec.block} alone`))! - top1Pruned;
    seBlocks.push({ ...dec, accuracyChange });
  }
  ctx.check();
  const after = costReport(recal.graph);
  const report: PruneReport = {
    ...preview,
    paramsAfter: after.params,
    macsAfter: after.macs,
    paramsAfterPruning: run.plan.params.after,
    macsAfterPruning: run.plan.macs.after,
    top1Before,
    top1Pruned,
    top1After,
    top1BeforeBnRecalibration: top1Folded,
    bnRecalibratedOn: recal.images,
    evalOn: evalData ? { dataset: evalData.ds.name, split: evalData.ds.split, n: evalData.idx.length } : null,
    seBlocks,
  };
  const graph: Graph = { ...recal.graph, meta: { ...recal.graph.meta, prunedFrom: m.info.source, prunedFromHash: m.info.hash } };
  return { graph, report, ...(applied.stats ? { stats: applied.stats } : {}) };
}

/** Every job kind's work. */
export const WORK: { [K in JobKind]: (input: WorkInputs[K], ctx: JobContext) => Promise<WorkOutputs[K]> } = {
  stats: statsWork,
  prune: pruneWork,
  compare: ({ models, data, latency }, ctx) => compareJob(models, data, latency, openData, ctx),
  export: ({ model, req, protect }, ctx) => exportJob(model, req, openData, ctx, protect),
  finetune: ({ model, teacher, req }, ctx) => finetuneJob(model, teacher, req, openData, ctx),
};
