/**
 * `seprune prune <model>`: SE-guided structured pruning with SE folding, one shot (no
 * fine-tuning). Statistics come from --stats, the project, or a pass over --data; the plan is
 * previewed (--preview) or applied; accuracy before/after is measured on the eval split.
 */
import type { CommandContext, CommandSpec } from '../command.js';
import { str } from '../command.js';
import { loadModel, saveProject, type LoadedModel } from '../../model/load.js';
import type { Graph } from '../../model/ir.js';
import { costReport } from '../../model/accounting.js';
import { UserError } from '../../model/errors.js';
import { DATA_OPTIONS, parseDataOptions, openCommandDataset, type ParsedData } from '../data-options.js';
import { ENGINE_OPTION, engineChoice } from '../engine-option.js';
import { sampleIndices, type Dataset } from '../../data/index.js';
import { collectStats } from '../../../pruning/stats/collect.js';
import { readStatsFile } from '../../../pruning/stats/load-stats.js';
import { meanGradients } from '../../../pruning/stats/gradients.js';
import type { ExcitationStats } from '../../../pruning/stats/types.js';
import type { ResidualMode } from '../../../pruning/groups.js';
import { criterion, CRITERION_NAMES } from '../../../pruning/importance/index.js';
import type { PlanTarget } from '../../../pruning/plan.js';
import type { FoldOptions } from '../../../pruning/se-fold.js';
import { applyPruneRun, planGroupsJson, planPruneRun } from '../../../pruning/pipeline.js';
import { evaluate } from '../../eval/evaluate.js';
import { recalibrateBn } from '../../../pruning/recalibrate-bn.js';
import { checkWritable } from '../../util/atomic-write.js';
import { fmtCount, pct, table } from '../format.js';

/** Defaults for SE folding; see bench/RESULTS.md ("SE folding thresholds") for how they were chosen. */
export const FOLD_DEFAULTS = { constant: 0.01, identity: 0.02 };

function fraction(ctx: CommandContext, key: string): number | undefined {
  const v = str(ctx, key);
  if (v === undefined) return undefined;
  const n = Number(v);
  if (!Number.isFinite(n) || n <= 0) throw new UserError(`--${key} must be a positive number, got "${v}".`);
  return n;
}

function parseTarget(ctx: CommandContext): PlanTarget {
  const t: PlanTarget = {};
  const ratio = fraction(ctx, 'ratio');
  const macs = fraction(ctx, 'target-macs');
  const params = fraction(ctx, 'target-params');
  const perStage = str(ctx, 'per-stage');
  if (ratio !== undefined) {
    if (ratio >= 1) throw new UserError('--ratio is the fraction of channels to remove and must be below 1.');
    t.ratio = ratio;
  }
  if (macs !== undefined) t.targetMacs = macs;
  if (params !== undefined) t.targetParams = params;
  if (perStage) {
    t.perStage = {};
    for (const part of perStage.split(',')) {
      const [stage, v] = part.split('=');
      const f = Number(v);
      if (!stage || !Number.isFinite(f) || f < 0 || f >= 1) throw new UserError(`--per-stage takes stage=fraction pairs like stage2=0.3,stage3=0.5, got "${part}".`);
      t.perStage[stage.trim()] = f;
    }
  }
  const n = [t.ratio, t.targetMacs, t.targetParams].filter((x) => x !== undefined).length;
  if (n > 1) throw new UserError('Give one of --ratio, --target-macs and --target-params.');
  if (n === 0 && !t.perStage) throw new UserError('Say how much to prune: --target-macs 0.5 (keep 50% of MACs), --target-params F, --ratio F or --per-stage.');
  return t;
}

function foldOptions(ctx: CommandContext): FoldOptions {
  const mode = str(ctx, 'fold-se') ?? 'auto';
  const num = (k: string, d: number) => {
    const v = str(ctx, k);
    if (v === undefined) return d;
    const n = Number(v);
    if (!Number.isFinite(n) || n < 0) throw new UserError(`--${k} must be a number ≥ 0, got "${v}".`);
    return n;
  };
  return {
    mode: mode === 'auto' || mode === 'none' ? mode : mode.split(',').map((s) => s.trim()).filter(Boolean),
    constantThreshold: num('fold-constant', FOLD_DEFAULTS.constant),
    identityThreshold: num('fold-identity', FOLD_DEFAULTS.identity),
  };
}

async function statistics(ctx: CommandContext, m: LoadedModel, calib: { ds: Dataset; idx: number[]; d: ParsedData } | undefined): Promise<ExcitationStats | undefined> {
  const file = str(ctx, 'stats');
  if (file) return readStatsFile(file, m.project.graph, m.hash);
  const stored = m.project.stats;
  if (stored && stored.modelHash === m.hash && !calib) return stored;
  if (!calib) return undefined;
  const r = await collectStats(m.project.graph, calib.ds, calib.idx, { model: m.source, modelHash: m.hash, seed: calib.d.seed, engine: engineChoice(ctx), progress: ctx.progress });
  return r.stats;
}

export const pruneCommand: CommandSpec = {
  name: 'prune',
  summary: 'Prune channels by SE-gate importance (or another criterion) and fold/drop near-constant SE blocks; one shot, no fine-tuning.',
  options: {
    stats: { type: 'string', value: 'PATH', description: 'Statistics from `seprune stats --out` (else gathered on --data).' },
    ...DATA_OPTIONS,
    ...ENGINE_OPTION,
    criterion: { type: 'string', value: 'NAME', description: `Importance criterion: ${CRITERION_NAMES.join(', ')}.`, default: 'se-mean' },
    'target-macs': { type: 'string', value: 'F', description: 'Keep this fraction of MACs (≤ 1) or this many MACs (> 1).' },
    'target-params': { type: 'string', value: 'F', description: 'Keep this fraction of parameters (≤ 1) or this many (> 1).' },
    ratio: { type: 'string', value: 'F', description: 'Remove this fraction of the prunable channels.' },
    'per-stage': { type: 'string', value: 'S=F,...', description: 'Remove these fractions in these stages, e.g. stage2=0.3,stage3=0.5.' },
    residual: { type: 'string', value: 'freeze|couple', description: 'Residual streams: leave them whole (freeze) or prune each stage\'s stream as one group (couple).', default: 'freeze' },
    'min-channels': { type: 'string', value: 'N', description: 'Fewest channels any layer keeps.', default: '1' },
    'round-to': { type: 'string', value: 'N', description: 'Kept channel counts are multiples of N (what mobile GPUs/NPUs like).', default: '1' },
    'fold-se': { type: 'string', value: 'auto|none|NAMES', description: 'Fold near-constant SE blocks into the preceding BN and drop ≈1 ones: auto, none, or a comma list of block names.', default: 'auto' },
    'fold-constant': { type: 'string', value: 'T', description: 'A gate whose std across images is below T is constant (folded).', default: String(FOLD_DEFAULTS.constant) },
    'fold-identity': { type: 'string', value: 'T', description: 'A gate whose mean |1 − s| is below T is the identity (dropped).', default: String(FOLD_DEFAULTS.identity) },
    'eval-split': { type: 'string', value: 'train|test', description: 'Split of --data on which top-1 before/after is measured.', default: 'test' },
    'no-bn-recalibration': { type: 'boolean', description: 'Keep the original batch-norm statistics (by default they are re-estimated on the calibration images after the cut).' },
    preview: { type: 'boolean', description: 'Only plan: show groups, channels to cut and predicted params/MACs; write nothing.' },
    out: { type: 'string', value: 'PATH', description: 'Write the pruned model as a .seprune project.' },
    force: { type: 'boolean', description: 'Replace an existing output.' },
  },
  positionals: [{ name: 'model', required: true, description: 'A model file or zoo:<name>.' }],
  examples: [
    'seprune prune model.seprune --data fashion-mnist --limit 1000 --target-macs 0.5 --round-to 8 --out pruned.seprune',
    'seprune prune zoo:se-resnet-demo --stats stats.json --ratio 0.3 --residual couple --preview --json',
  ],
  async run(ctx) {
    const m = await loadModel(ctx.positionals[0]);
    const g = m.project.graph;
    const preview = ctx.values.preview === true;
    const out = str(ctx, 'out');
    const force = ctx.values.force === true;
    if (!preview && !out) throw new UserError('Give --out <file.seprune> for the pruned model (or --preview to only plan).');
    if (out) checkWritable(out, { force, protect: [ctx.positionals[0]] });
    const residual = (str(ctx, 'residual') ?? 'freeze') as ResidualMode;
    if (residual !== 'freeze' && residual !== 'couple') throw new UserError(`--residual must be freeze or couple, got "${residual}".`);
    const intOpt = (k: string) => {
      const n = Number(str(ctx, k) ?? '1');
      if (!Number.isInteger(n) || n < 1) throw new UserError(`--${k} must be an integer ≥ 1.`);
      return n;
    };
    const minChannels = intOpt('min-channels');
    const roundTo = intOpt('round-to');
    const target = parseTarget(ctx);
    const crit = str(ctx, 'criterion') ?? 'se-mean';
    criterion(crit); // an unknown name fails here, before any data is read
    const fold = foldOptions(ctx);

    const d = parseDataOptions(ctx, m, { required: false, defaultSplit: 'train' });
    let calib: { ds: Dataset; idx: number[]; d: ParsedData } | undefined;
    if (d) {
      const ds = await openCommandDataset(ctx, d, 'calibration');
      calib = { ds, idx: sampleIndices(await ds.labels(), d.limit ?? 1000, d.seed), d };
      ctx.log(`calibration: ${ds.name} from ${ds.source} (${ds.split}), ${calib.idx.length} images`);
    }
    const stats = await statistics(ctx, m, calib);
    const needsStats = crit.startsWith('se-mean') || (fold.mode !== 'none' && !preview);
    if (needsStats && !stats) throw new UserError(`The ${crit.startsWith('se-mean') ? `${crit} criterion` : 'SE folding'} needs gate statistics: pass --stats stats.json or --data <dataset>${crit.startsWith('se-mean') ? '' : ' (or --fold-se none)'}.`);

    let gradients: Map<string, Float32Array> | undefined;
    if (crit === 'taylor') {
      if (!calib) throw new UserError('The taylor criterion needs a gradient pass: pass --data <dataset>.');
      // 64 images: enough for a stable mean gradient on the demo models, and the tfjs CPU
      // backend is slow at backprop (see bench/RESULTS.md, training speed).
      gradients = await meanGradients(g, calib.ds, calib.idx.slice(0, 64));
    }
    const planned = planPruneRun(g, m.source, { criterion: crit, residual, target, minChannels, roundTo, seed: calib?.d.seed ?? 0 }, { ...(stats ? { stats } : {}), ...(gradients ? { gradients } : {}) });
    const { plan, frozen, notes } = planned;
    const planJson = planGroupsJson(plan);
    const base = {
      model: m.source,
      criterion: crit,
      residual,
      target,
      paramsBefore: plan.params.before,
      macsBefore: plan.macs.before,
      groups: planJson,
      frozen,
      warnings: plan.warnings,
      notes,
    };
    if (preview) {
      const json = { ...base, preview: true, paramsAfter: plan.params.after, macsAfter: plan.macs.after };
      return { json, text: summaryText(json, []) };
    }

    const applied = applyPruneRun(g, planned, fold, stats);
    const { pruned, decisions } = applied;
    // The cut changes every later layer's activations: re-estimate the BN statistics on the
    // calibration images (weights untouched) unless asked not to.
    const recal = calib && ctx.values['no-bn-recalibration'] !== true ? await recalibrateBn(applied.graph, calib.ds, calib.idx) : { graph: applied.graph, images: 0 };
    const finalGraph: Graph = recal.graph;
    const finalStats = applied.stats ?? stats;

    // Accuracy before/after (one shot) on the eval split, and per SE decision.
    let evalData: { ds: Dataset; idx: number[] } | undefined;
    if (d) {
      const split = (str(ctx, 'eval-split') ?? 'test') as 'train' | 'test';
      if (split !== 'train' && split !== 'test') throw new UserError('--eval-split must be train or test.');
      const ds = split === d.split ? calib!.ds : await openCommandDataset(ctx, { ...d, split }, 'evaluation');
      evalData = { ds, idx: sampleIndices(await ds.labels(), d.limit ?? 1000, d.seed) };
    }
    const engine = engineChoice(ctx);
    const top1 = async (graph: Graph) => (evalData ? (await evaluate(graph, evalData.ds, evalData.idx, { engine })).top1 : null);
    const top1Before = await top1(g);
    const top1Pruned = await top1(pruned);
    const top1Folded = applied.graph === pruned ? top1Pruned : await top1(applied.graph);
    const top1After = finalGraph === applied.graph ? top1Folded : await top1(finalGraph);
    const seBlocks = [];
    for (const dec of decisions) {
      let accuracyChange: number | null = null;
      if (dec.decision !== 'keep' && evalData && stats && top1Pruned !== null) {
        const alone = applied.foldOnly(dec.block);
        accuracyChange = (await top1(alone))! - top1Pruned;
      }
      seBlocks.push({ ...dec, accuracyChange });
    }
    const after = costReport(finalGraph);
    const bytes = saveProject(
      out!,
      {
        ...m.project,
        graph: { ...finalGraph, meta: { ...finalGraph.meta, prunedFrom: m.source, prunedFromHash: m.hash } },
        ...(finalStats ? { stats: finalStats } : {}),
        ...(d ? { preprocessing: d.preprocess } : {}),
        history: [...m.project.history, { step: 'prune', at: new Date().toISOString(), details: { criterion: crit, target, residual, fold: fold.mode, bnRecalibratedOn: recal.images, paramsAfter: after.params, macsAfter: after.macs } }],
      },
      { force, protect: [ctx.positionals[0]] },
    );
    const json = {
      ...base,
      paramsAfter: after.params,
      macsAfter: after.macs,
      paramsAfterPruning: plan.params.after,
      macsAfterPruning: plan.macs.after,
      top1Before,
      top1Pruned,
      top1After,
      // top-1 after cutting and folding with the original BN statistics, and how many images re-estimated them.
      top1BeforeBnRecalibration: top1Folded,
      bnRecalibratedOn: recal.images,
      evalOn: evalData ? { dataset: evalData.ds.name, split: evalData.ds.split, n: evalData.idx.length } : null,
      ...(evalData ? {} : { evalNote: 'no --data given, so accuracy was not measured' }),
      seBlocks,
      out,
      bytes,
    };
    return { json, text: summaryText(json, seBlocks) };
  },
};

interface SummaryJson {
  paramsBefore: number;
  paramsAfter: number;
  macsBefore: number;
  macsAfter: number;
  groups: { label: string; size: number; keep: number }[];
  warnings: string[];
  notes: string[];
  top1Before?: number | null;
  top1After?: number | null;
  top1BeforeBnRecalibration?: number | null;
  bnRecalibratedOn?: number;
  out?: string;
}

function summaryText(j: SummaryJson, se: { block: string; decision: string; reason: string; accuracyChange: number | null }[]): string {
  const lines = [
    `params ${fmtCount(j.paramsBefore)} → ${fmtCount(j.paramsAfter)} (${pct(j.paramsAfter / j.paramsBefore, 1)}), MACs ${fmtCount(j.macsBefore)} → ${fmtCount(j.macsAfter)} (${pct(j.macsAfter / j.macsBefore, 1)})`,
  ];
  if (j.top1Before != null && j.top1After != null) {
    const recal = j.bnRecalibratedOn ? `; batch-norm statistics re-estimated on ${j.bnRecalibratedOn} images, ${pct(j.top1BeforeBnRecalibration ?? NaN)} without` : '';
    lines.push(`top-1 ${pct(j.top1Before)} → ${pct(j.top1After)} (one shot, before fine-tuning${recal})`);
  }
  lines.push('', table(j.groups.filter((x) => x.keep < x.size).map((x) => [x.label, x.size, x.keep]), ['channel group', 'before', 'after']));
  if (se.length) lines.push('', table(se.map((s) => [s.block, s.decision, s.accuracyChange == null ? '' : `${(s.accuracyChange * 100).toFixed(2)} pt`, s.reason]), ['SE block', 'decision', 'Δ top-1', 'why']));
  for (const w of [...j.warnings, ...j.notes]) lines.push(`note: ${w}`);
  if (j.out) lines.push(`wrote ${j.out}`);
  return lines.join('\n');
}
