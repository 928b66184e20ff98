/**
 * `seprune prune <model>`: SE-guided structured pruning with SE folding, one shot (no
 * fine-tuning). Statistics come from --stats, the project, or a pass over --data; the plan is
 * previewed (--preview) or applied; accuracy before/after is measured on the eval split.
 */
import type { CommandContext, CommandSpec } from '../command.js';
import { str } from '../command.js';
import { loadModel } from '../../import/load.js';
import { saveProject } from '../../model/project-file.js';
import type { LoadedModel } from '../../model/project.js';
import { UserError } from '../../model/errors.js';
import { DATA_OPTIONS, parseDataOptions, openCommandDataset } from '../data-options.js';
import { ENGINE_OPTION, engineChoice } from '../engine-option.js';
import { sampleIndices, type Dataset } from '../../data/index.js';
import { seNodes } from '../../model/ir.js';
import { collectStats } from '../../../pruning/stats/collect.js';
import { readStatsFile } from '../../../pruning/stats/load-stats.js';
import type { ExcitationStats } from '../../../pruning/stats/types.js';
import type { ResidualMode } from '../../../pruning/groups.js';
import { CRITERIA } from '../../../pruning/importance/index.js';
import type { PlanTarget } from '../../../pruning/plan.js';
import type { FoldOptions } from '../../../pruning/se-fold.js';
import { planGroupsJson, planPruneRun } from '../../../pruning/pipeline.js';
import { checkPruneSettings, runPrune, PRUNE_DEFAULTS, type RunPruneSettings } from '../../workflows/prune.js';
import { checkWritable } from '../../util/atomic-write.js';
import { fmtCount, pct, table } from '../format.js';

/** Defaults for SE folding; see bench/RESULTS.md ("SE folding thresholds") for how they were chosen. */
const FOLD_DEFAULTS = { constant: PRUNE_DEFAULTS.fold.constantThreshold, identity: PRUNE_DEFAULTS.fold.identityThreshold };

/**
 * A fraction to keep: `0.5` (keep 50%) or a speed-up `2x` (keep 1/2, Torch-Pruning's habit). A
 * bare number above 1 is refused: it used to mean an absolute count and was easy to mistype.
 */
export function keepFraction(flag: string, v: string): number {
  const x = /^\s*([0-9.]+(?:e[-+]?\d+)?)\s*x\s*$/i.exec(v);
  if (x) {
    const f = Number(x[1]);
    if (!Number.isFinite(f) || f < 1) throw new UserError(`--${flag} ${v}: a speed-up must be at least 1x.`);
    return 1 / f;
  }
  const n = Number(v);
  if (!Number.isFinite(n) || n <= 0) throw new UserError(`--${flag} must be a fraction to keep (0.5) or a speed-up (2x), got "${v}".`);
  if (n > 1) throw new UserError(`--${flag} ${v} is above 1: give the fraction to keep (${(1 / n).toPrecision(3)}) or a speed-up (${v}x).`);
  return n;
}

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
  const macsArg = str(ctx, 'target-macs');
  const paramsArg = str(ctx, 'target-params');
  const macs = macsArg === undefined ? undefined : keepFraction('target-macs', macsArg);
  const params = paramsArg === undefined ? undefined : keepFraction('target-params', paramsArg);
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
  if (n === 0 && !t.perStage) throw new UserError('Say how much to prune: --target-macs 0.5 (keep 50% of MACs) or 2x, --target-params F, --ratio F or --per-stage.');
  return t;
}

function foldOptions(ctx: CommandContext): FoldOptions {
  const mode = str(ctx, 'fold-se') ?? PRUNE_DEFAULTS.fold.mode;
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

/** Statistics from --stats or the project (runPrune gathers them on --data otherwise). */
function givenStatistics(ctx: CommandContext, m: LoadedModel, fresh: boolean): ExcitationStats | undefined {
  const file = str(ctx, 'stats');
  if (file) return readStatsFile(file, m.project.graph, m.hash);
  const stored = m.project.stats;
  if (stored && stored.modelHash === m.hash && !fresh) return stored;
  return undefined;
}

export const pruneCommand: CommandSpec = {
  name: 'prune',
  summary: 'Prune channels by SE-gate importance (or another criterion) and fold/drop near-constant SE blocks; one shot, no fine-tuning.',
  options: {
    stats: { type: 'string', value: 'PATH', description: 'Statistics from `seprune stats --out` (else gathered on --data).' },
    ...DATA_OPTIONS,
    ...ENGINE_OPTION,
    criterion: {
      type: 'string',
      value: 'NAME',
      description: `Importance criterion: ${CRITERIA.map((c) => `${c.name} (${c.summary})`).join('; ')}; or auto (tries each on held-out calibration images, keeps the best one-shot top-1).`,
      default: PRUNE_DEFAULTS.criterion,
    },
    'target-macs': { type: 'string', value: 'F|Nx', description: 'Keep this fraction of the MACs (0.5), or a speed-up (2x).' },
    'target-params': { type: 'string', value: 'F|Nx', description: 'Keep this fraction of the parameters (0.5), or a reduction (2x).' },
    steps: { type: 'string', value: 'K', description: 'Reach the target in K rounds of cut → batch-norm re-estimation.', default: String(PRUNE_DEFAULTS.steps) },
    'finetune-images': { type: 'string', value: 'N', description: 'After each round, fine-tune on N calibration images distilled from the original (default 0: none).', default: String(PRUNE_DEFAULTS.finetuneImages) },
    ignore: { type: 'string', value: 'NAMES', description: 'Comma list of node names or globs (* ?) whose output channels are never cut.' },
    ratio: { type: 'string', value: 'F', description: 'Remove this fraction of the prunable channels.' },
    'per-stage': { type: 'string', value: 'S=F,...', description: 'Remove these fractions in these stages, e.g. stage2=0.3,stage3=0.5.' },
    residual: { type: 'string', value: 'freeze|couple', description: 'Residual streams: leave them whole (freeze) or prune each stage\'s stream as one group (couple).', default: PRUNE_DEFAULTS.residual },
    'min-channels': { type: 'string', value: 'N', description: 'Fewest channels any layer keeps.', default: String(PRUNE_DEFAULTS.minChannels) },
    'round-to': { type: 'string', value: 'N', description: 'Kept channel counts are multiples of N (what mobile GPUs/NPUs like).', default: String(PRUNE_DEFAULTS.roundTo) },
    'fold-se': { type: 'string', value: 'auto|none|NAMES', description: 'Before the plan, fold near-constant SE blocks into the conv/BN that produces their input and drop ≈1 ones: auto, none, or a comma list of block names.', default: PRUNE_DEFAULTS.fold.mode },
    'fold-constant': { type: 'string', value: 'T', description: 'A gate whose std across images is below T is constant (folded).', default: String(FOLD_DEFAULTS.constant) },
    'fold-identity': { type: 'string', value: 'T', description: 'A gate whose mean |1 − s| is below T is the identity (dropped).', default: String(FOLD_DEFAULTS.identity) },
    'eval-split': { type: 'string', value: 'train|test', description: 'Split of --data on which top-1 before/after is measured.', default: PRUNE_DEFAULTS.evalSplit },
    'eval-limit': { type: 'string', value: 'N', description: 'Measure top-1 on N images of that split (default: --limit, as many as calibrate).' },
    'no-bn-recalibration': { type: 'boolean', description: 'Keep the original statistics (by default batch norms, and the output statistics of convs whose batch norm was folded at export, are re-estimated on the calibration images after each cut).' },
    latency: { type: 'boolean', description: 'Measure batch-1 latency before and after in onnxruntime (1 thread, interleaved).' },
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
    const residual = (str(ctx, 'residual') ?? PRUNE_DEFAULTS.residual) as ResidualMode;
    if (residual !== 'freeze' && residual !== 'couple') throw new UserError(`--residual must be freeze or couple, got "${residual}".`);
    const intOpt = (k: 'min-channels' | 'round-to' | 'steps') => {
      const n = Number(str(ctx, k) ?? { 'min-channels': PRUNE_DEFAULTS.minChannels, 'round-to': PRUNE_DEFAULTS.roundTo, steps: PRUNE_DEFAULTS.steps }[k]);
      if (!Number.isInteger(n) || n < 1) throw new UserError(`--${k} must be an integer ≥ 1.`);
      return n;
    };
    const minChannels = intOpt('min-channels');
    const roundTo = intOpt('round-to');
    const steps = intOpt('steps');
    const target = parseTarget(ctx);
    const crit = str(ctx, 'criterion') ?? PRUNE_DEFAULTS.criterion;
    const fold = foldOptions(ctx);
    const ignore = (str(ctx, 'ignore') ?? '').split(',').map((x) => x.trim()).filter(Boolean);
    const ft = Number(str(ctx, 'finetune-images') ?? PRUNE_DEFAULTS.finetuneImages);
    if (!Number.isInteger(ft) || ft < 0) throw new UserError('--finetune-images must be a whole number ≥ 0.');
    const settings: RunPruneSettings = { criterion: crit, residual, target, minChannels, roundTo, seed: 0, fold, recalibrate: ctx.values['no-bn-recalibration'] !== true, steps, ignore, finetuneImages: ft };
    checkPruneSettings(settings); // an unknown criterion fails here, before any data is read

    const d = parseDataOptions(ctx, m, { required: false, defaultSplit: 'train' });
    let calib: { ds: Dataset; idx: number[] } | undefined;
    let evalData: { ds: Dataset; idx: number[] } | undefined;
    if (d) {
      settings.seed = d.seed;
      const ds = await openCommandDataset(ctx, d, 'calibration');
      calib = { ds, idx: sampleIndices(await ds.labels(), d.limit ?? 1000, d.seed) };
      ctx.log(`calibration: ${ds.name} from ${ds.source} (${ds.split}), ${calib.idx.length} images`);
      const split = (str(ctx, 'eval-split') ?? PRUNE_DEFAULTS.evalSplit) as 'train' | 'test';
      if (split !== 'train' && split !== 'test') throw new UserError('--eval-split must be train or test.');
      const evalLimit = str(ctx, 'eval-limit') === undefined ? (d.limit ?? 1000) : Number(str(ctx, 'eval-limit'));
      if (!Number.isInteger(evalLimit) || evalLimit < 1) throw new UserError('--eval-limit must be a whole number ≥ 1.');
      const eds = split === d.split ? ds : await openCommandDataset(ctx, { ...d, split }, 'evaluation');
      evalData = { ds: eds, idx: sampleIndices(await eds.labels(), evalLimit, d.seed) };
    }
    let stats = givenStatistics(ctx, m, calib !== undefined);
    if (preview) {
      if (!stats && calib && seNodes(g).length > 0) {
        stats = (await collectStats(g, calib.ds, calib.idx, { model: m.source, modelHash: m.hash, seed: settings.seed, engine: engineChoice(ctx), progress: ctx.progress })).stats;
      }
      const planned = planPruneRun(g, m.source, settings, stats ? { stats } : {});
      const json = {
        model: m.source,
        criterion: crit,
        residual,
        target,
        preview: true,
        paramsBefore: planned.plan.params.before,
        macsBefore: planned.plan.macs.before,
        paramsAfter: planned.plan.params.after,
        macsAfter: planned.plan.macs.after,
        groups: planGroupsJson(planned.plan),
        frozen: planned.frozen,
        warnings: planned.plan.warnings,
        notes: planned.notes,
        seBlocks: planned.decisions,
      };
      return { json, text: summaryText(json, []) };
    }
    const outcome = await runPrune(
      { graph: g, source: m.source, hash: m.hash, ...(stats ? { stats } : {}) },
      settings,
      { ...(calib ? { calib } : {}), ...(evalData ? { eval: evalData } : {}), engine: engineChoice(ctx), latency: ctx.values.latency === true },
      ctx.progress,
    );
    const r = outcome.report;
    const finalGraph = outcome.graph;
    const bytes = saveProject(
      out!,
      {
        ...m.project,
        graph: { ...finalGraph, meta: { ...finalGraph.meta, prunedFrom: m.source, prunedFromHash: m.hash } },
        ...(outcome.stats ? { stats: outcome.stats } : {}),
        ...(d ? { preprocessing: d.preprocess } : {}),
        history: [
          ...m.project.history,
          { step: 'prune', at: new Date().toISOString(), details: { criterion: r.criterion, target, residual, steps, fold: fold.mode, bnRecalibratedOn: r.bnRecalibratedOn, paramsAfter: r.paramsAfter, macsAfter: r.macsAfter } },
        ],
      },
      { force, protect: [ctx.positionals[0]] },
    );
    const json = {
      ...r,
      // Kept for scripts written against earlier versions: the final model is the pruned one.
      paramsAfterPruning: r.paramsAfter,
      macsAfterPruning: r.macsAfter,
      ...(evalData ? {} : { evalNote: 'no --data given, so accuracy was not measured' }),
      out,
      bytes,
    };
    return { json, text: summaryText(json, r.seBlocks) };
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
  adaptiveBnLayers?: number;
  latency?: { beforeMs: number; afterMs: number };
  candidates?: { criterion: string; heldOutTop1: number | null }[];
  criterion?: string;
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
  if (j.adaptiveBnLayers) lines.push(`${j.adaptiveBnLayers} convs had no batch norm (folded at export): their output statistics were restored after the cut`);
  if (j.candidates && j.candidates.length > 1) lines.push(`auto kept ${j.criterion}; held-out one-shot top-1: ${j.candidates.map((c) => `${c.criterion} ${c.heldOutTop1 === null ? 'failed' : pct(c.heldOutTop1)}`).join(', ')}`);
  if (j.latency) lines.push(`batch-1 latency (onnxruntime, 1 thread): ${j.latency.beforeMs.toFixed(3)} → ${j.latency.afterMs.toFixed(3)} ms per image`);
  lines.push('', table(j.groups.filter((x) => x.keep < x.size).map((x) => [x.label, x.size, x.keep]), ['channel group', 'before', 'after']));
  if (se.length) lines.push('', table(se.map((s) => [s.block, s.decision, s.accuracyChange == null ? '' : `${(s.accuracyChange * 100).toFixed(2)} pt`, s.reason]), ['SE block', 'decision', 'Δ top-1', 'why']));
  for (const w of [...j.warnings, ...j.notes]) lines.push(`note: ${w}`);
  if (j.out) lines.push(`wrote ${j.out}`);
  return lines.join('\n');
}
