/**
 * The dataset and preprocessing flags every data-reading command shares (stats, eval, prune,
 * finetune, export, compare), and how they combine with what the model's project stored.
 * Preprocessing is a torchvision pipeline (`--transform "ToTensor(), Normalize(0.286, 0.353), Pad(2)"`,
 * `--transform-file`, `--timm-config`); the older flags (--resize, --center-crop, --pad, --mean,
 * --std) are shorthand for Resize → CenterCrop → Pad → ToTensor → Normalize, and the command says so.
 */
import { readFileSync } from 'node:fs';
import type { CommandContext, DatasetReport, OptionSpec } from './command.js';
import { str } from './command.js';
import type { Preprocessing, TransformStep } from '../model/ir.js';
import { UserError } from '../model/errors.js';
/** What the data flags read of a model: its input shape, and the preprocessing and labels it stored. */
export interface ModelFacts {
  project: { graph: { inputs: readonly { shape: number[] }[] }; preprocessing?: Preprocessing; labels?: string[] };
}
import type { Dataset } from '../data/index.js';
import { describePipeline, fromPipeline, pipelineOf, withPipeline } from '../data/transform.js';
import { parseTransform, parseTransformFile } from '../data/transform-parse.js';
import { timmPipeline } from '../data/timm-config.js';
import { checkPreprocessing } from '../data/preprocess.js';
import { openModelData } from '../workflows/open-data.js';

export const DATA_OPTIONS: Record<string, OptionSpec> = {
  data: { type: 'string', value: 'DATASET', description: 'Dataset: an ImageFolder, IDX or CIFAR binary folder, or a builtin name (fashion-mnist).' },
  split: { type: 'string', value: 'train|test', description: 'Which split to read.' },
  limit: { type: 'string', value: 'N', description: 'Use N images, sampled class-balanced.' },
  seed: { type: 'string', value: 'N', description: 'Seed for sampling.', default: '0' },
  'data-dir': { type: 'string', value: 'PATH', description: 'Where a builtin dataset\'s full files live (overrides the default locations).' },
  transform: { type: 'string', value: 'STEPS', description: 'torchvision transforms in order, as in your code: "Resize(36), CenterCrop(32), ToTensor(), Normalize(0.286, 0.353), Pad(2)".' },
  'transform-file': { type: 'string', value: 'FILE', description: 'The transform from a file (the text form, or JSON steps as a project stores them).' },
  'timm-config': { type: 'string', value: 'FILE', description: 'A timm pretrained_cfg.json: its eval transform (Resize(size / crop_pct), CenterCrop, ToTensor, Normalize).' },
  resize: { type: 'string', value: 'N', description: 'Shorthand: Resize(N) (bilinear) first.' },
  'center-crop': { type: 'string', value: 'N', description: 'Shorthand: CenterCrop(N) after the resize.' },
  pad: { type: 'string', value: 'N', description: 'Shorthand: Pad(N) on the image, before ToTensor and Normalize (use --transform to pad after).' },
  mean: { type: 'string', value: 'M[,M,M]', description: 'Shorthand: Normalize mean, one value or one per channel (after ToTensor).' },
  std: { type: 'string', value: 'S[,S,S]', description: 'Shorthand: Normalize std, one value or one per channel.' },
  channels: { type: 'string', value: '1|3', description: 'Channels fed to the model (gray ↔ RGB conversion as PIL).' },
  'labels-by-index': { type: 'boolean', description: 'Number classes by sorted folder order even when their names do not match the labels the model stores.' },
};

function int(ctx: CommandContext, key: string, min: number): number | undefined {
  const v = str(ctx, key);
  if (v === undefined) return undefined;
  const n = Number(v);
  if (!Number.isInteger(n) || n < min) throw new UserError(`--${key} must be an integer ≥ ${min}, got "${v}".`);
  return n;
}

function floats(ctx: CommandContext, key: string, positive: boolean): number[] | undefined {
  const v = str(ctx, key);
  if (v === undefined) return undefined;
  const parts = v.split(',').map((p) => Number(p.trim()));
  if (parts.length === 0 || (parts.length !== 1 && parts.length !== 3) || parts.some((p) => !Number.isFinite(p) || (positive && p <= 0))) {
    throw new UserError(`--${key} takes one number or three comma-separated numbers${positive ? ' (all > 0)' : ''}, got "${v}".`);
  }
  return parts;
}

function readText(file: string, flag: string): string {
  try {
    return readFileSync(file, 'utf8');
  } catch (e) {
    throw new UserError(`--${flag} ${file} cannot be read (${(e as NodeJS.ErrnoException).code ?? 'error'}).`);
  }
}

export interface ParsedData {
  data: string;
  split: 'train' | 'test';
  limit?: number;
  seed: number;
  dataDir?: string;
  preprocess: Preprocessing;
  /** The model's input [H, W, C]: images the pipeline makes another size of are skipped. */
  inputShape?: [number, number, number];
  /** Map dataset classes to the model's stored labels by name (undefined: index order). */
  modelLabels?: string[];
}

const SHORTHAND = ['resize', 'center-crop', 'pad', 'mean', 'std'];

/** The pipeline the flags ask for, or undefined when none is given; `note` says what shorthand flags imply. */
function pipelineFromFlags(ctx: CommandContext, stored: Preprocessing | undefined): { steps: TransformStep[]; channels?: 1 | 3; note?: string } | undefined {
  const sources = ['transform', 'transform-file', 'timm-config'].filter((k) => str(ctx, k) !== undefined);
  const short = SHORTHAND.filter((k) => str(ctx, k) !== undefined);
  if (sources.length > 1) throw new UserError(`Pass one of --${sources.join(', --')}, not several.`);
  if (sources.length === 1 && short.length) {
    throw new UserError(`--${short[0]} cannot be combined with --${sources[0]}: put every step in the transform.`);
  }
  const t = str(ctx, 'transform');
  if (t !== undefined) return { steps: parseTransform(t) };
  const f = str(ctx, 'transform-file');
  if (f !== undefined) return { steps: parseTransformFile(readText(f, 'transform-file'), f) };
  const timm = str(ctx, 'timm-config');
  if (timm !== undefined) {
    let cfg: unknown;
    try {
      cfg = JSON.parse(readText(timm, 'timm-config'));
    } catch (e) {
      if (e instanceof UserError) throw e;
      throw new UserError(`--timm-config ${timm} is not JSON.`);
    }
    return timmPipeline(cfg, timm);
  }
  if (!short.length) return undefined;
  // Shorthand: start from what the project stored when it is in the same shorthand form.
  const base: Preprocessing = stored && !stored.steps ? structuredClone(stored) : { mean: stored?.mean.slice() ?? [0], std: stored?.std.slice() ?? [1], channels: stored?.channels ?? 1 };
  const resize = int(ctx, 'resize', 1);
  const crop = int(ctx, 'center-crop', 1);
  const pad = int(ctx, 'pad', 0);
  const mean = floats(ctx, 'mean', false);
  const std = floats(ctx, 'std', true);
  if (resize !== undefined) base.resize = resize;
  if (crop !== undefined) base.centerCrop = crop;
  if (pad !== undefined) base.pad = pad;
  if (mean) base.mean = mean;
  if (std) base.std = std;
  const steps = pipelineOf(base);
  return { steps, note: `preprocessing: ${describePipeline(steps)} (the shorthand flags' order; pass --transform for another)` };
}

/**
 * Reads the data flags. Preprocessing starts from what the project stored (a trained model knows
 * its own normalisation), else ToTensor only with the model's channel count; flags override.
 */
export function parseDataOptions(ctx: CommandContext, model: ModelFacts, o: { required: boolean; defaultSplit: 'train' | 'test'; flag?: string; splitFlag?: string }): ParsedData | undefined {
  const flag = o.flag ?? 'data';
  const data = str(ctx, flag);
  if (!data) {
    if (o.required) throw new UserError(`This command needs --${flag} <dataset> (a folder or fashion-mnist).`);
    return undefined;
  }
  const splitFlag = o.splitFlag ?? 'split';
  const split = str(ctx, splitFlag) ?? o.defaultSplit;
  if (split !== 'train' && split !== 'test') throw new UserError(`--${splitFlag} must be train or test, got "${split}".`);
  const input = model.project.graph.inputs[0].shape;
  const inC: 1 | 3 = input[2] === 3 ? 3 : 1;
  const stored = model.project.preprocessing;
  const ch = int(ctx, 'channels', 1);
  if (ch !== undefined && ch !== 1 && ch !== 3) throw new UserError(`--channels must be 1 or 3, got ${ch}.`);
  const asked = pipelineFromFlags(ctx, stored);
  const channels = (ch as 1 | 3 | undefined) ?? asked?.channels ?? stored?.channels ?? inC;
  const preprocess = asked ? fromPipeline(asked.steps, channels) : stored ? { ...withPipeline(stored), channels } : fromPipeline([{ op: 'ToTensor' }], channels);
  if (asked?.note && flag === 'data') ctx.log(asked.note);
  if (preprocess.mean.length === 3 && channels === 1) throw new UserError('Three mean values need --channels 3.');
  if (preprocess.std.length === 3 && channels === 1) throw new UserError('Three std values need --channels 3.');
  checkPreprocessing(preprocess);
  const limit = int(ctx, 'limit', 1);
  const seed = int(ctx, 'seed', 0) ?? 0;
  const dataDir = str(ctx, 'data-dir');
  const labels = ctx.values['labels-by-index'] === true ? undefined : model.project.labels;
  return {
    data, split, seed, preprocess,
    inputShape: [input[0], input[1], input[2]],
    ...(labels ? { modelLabels: labels } : {}),
    ...(limit !== undefined ? { limit } : {}), ...(dataDir ? { dataDir } : {}),
  };
}

/**
 * Opens the dataset for a command: checks the input shape, maps its classes to the model's labels
 * by name, logs its warnings and notes and records them for --json (ctx.datasets).
 */
export async function openCommandDataset(ctx: CommandContext, d: ParsedData, role = 'data'): Promise<Dataset> {
  const ds = await openModelData(d, d.modelLabels);
  const report: DatasetReport = {
    role, name: ds.name, source: ds.source, split: ds.split,
    warnings: ds.warnings ?? [], notes: ds.notes ?? [], skippedForSize: ds.sizeSkipped?.count ?? 0,
    preprocessing: describePipeline(pipelineOf(d.preprocess)),
  };
  for (const w of report.warnings) ctx.log(`warning (${role}): ${w}`);
  for (const n of report.notes) ctx.log(`note (${role}): ${n}`);
  ctx.datasets?.push(report);
  return ds;
}
