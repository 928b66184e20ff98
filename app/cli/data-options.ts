/**
 * The dataset and preprocessing flags every data-reading command shares (stats, eval, prune,
 * finetune, export, compare), and how they combine with what the model's project stored.
 * Preprocessing follows torchvision: Resize → CenterCrop → Pad → channels → ToTensor → Normalize.
 */
import type { CommandContext, OptionSpec } from './command.js';
import { str } from './command.js';
import type { Preprocessing } from '../model/ir.js';
import { UserError } from '../model/errors.js';
import type { LoadedModel } from '../model/load.js';

export const DATA_OPTIONS: Record<string, OptionSpec> = {
  data: { type: 'string', value: 'DATASET', description: 'Dataset: an ImageFolder, IDX or CIFAR binary folder, or a builtin name (fashion-mnist).' },
  split: { type: 'string', value: 'train|test', description: 'Which split to read.' },
  limit: { type: 'string', value: 'N', description: 'Use N images, sampled class-balanced.' },
  seed: { type: 'string', value: 'N', description: 'Seed for sampling.', default: '0' },
  'data-dir': { type: 'string', value: 'PATH', description: 'Where a builtin dataset\'s full files live (overrides the default locations).' },
  resize: { type: 'string', value: 'N', description: 'Resize the shorter side to N pixels (bilinear).' },
  'center-crop': { type: 'string', value: 'N', description: 'Crop the central N×N pixels.' },
  pad: { type: 'string', value: 'N', description: 'Zero-pad N pixels on every side.' },
  mean: { type: 'string', value: 'M[,M,M]', description: 'Normalisation mean, one value or one per channel (after scaling to [0, 1]).' },
  std: { type: 'string', value: 'S[,S,S]', description: 'Normalisation std, one value or one per channel.' },
  channels: { type: 'string', value: '1|3', description: 'Channels fed to the model (gray ↔ RGB conversion as PIL).' },
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

export interface ParsedData {
  data: string;
  split: 'train' | 'test';
  limit?: number;
  seed: number;
  dataDir?: string;
  preprocess: Preprocessing;
}

/**
 * Reads the data flags. Preprocessing starts from what the project stored (a trained model knows
 * its own normalisation), else ToTensor only with the model's channel count; flags override.
 */
export function parseDataOptions(ctx: CommandContext, model: LoadedModel, o: { required: boolean; defaultSplit: 'train' | 'test'; flag?: string }): ParsedData | undefined {
  const flag = o.flag ?? 'data';
  const data = str(ctx, flag);
  if (!data) {
    if (o.required) throw new UserError(`This command needs --${flag} <dataset> (a folder or fashion-mnist).`);
    return undefined;
  }
  const split = str(ctx, 'split') ?? o.defaultSplit;
  if (split !== 'train' && split !== 'test') throw new UserError(`--split must be train or test, got "${split}".`);
  const inC = model.project.graph.inputs[0].shape[2];
  const stored = model.project.preprocessing;
  const base: Preprocessing = stored ? structuredClone(stored) : { mean: [0], std: [1], channels: inC === 3 ? 3 : 1 };
  const resize = int(ctx, 'resize', 1);
  const crop = int(ctx, 'center-crop', 1);
  const pad = int(ctx, 'pad', 0);
  const mean = floats(ctx, 'mean', false);
  const std = floats(ctx, 'std', true);
  const ch = int(ctx, 'channels', 1);
  if (ch !== undefined && ch !== 1 && ch !== 3) throw new UserError(`--channels must be 1 or 3, got ${ch}.`);
  if (resize !== undefined) base.resize = resize;
  if (crop !== undefined) base.centerCrop = crop;
  if (pad !== undefined) base.pad = pad;
  if (mean) base.mean = mean;
  if (std) base.std = std;
  if (ch !== undefined) base.channels = ch as 1 | 3;
  if (base.mean.length === 3 && base.channels === 1) throw new UserError('Three --mean values need --channels 3.');
  if (base.std.length === 3 && base.channels === 1) throw new UserError('Three --std values need --channels 3.');
  const limit = int(ctx, 'limit', 1);
  const seed = int(ctx, 'seed', 0) ?? 0;
  const dataDir = str(ctx, 'data-dir');
  return { data, split, seed, preprocess: base, ...(limit !== undefined ? { limit } : {}), ...(dataDir ? { dataDir } : {}) };
}

/** The model's input must match what preprocessing makes of the images; says how to fix it if not. */
export function checkInputShape(sample: number[], model: number[]): void {
  if (sample.join(',') === model.join(',')) return;
  const [h, w, c] = sample;
  const [mh, mw, mc] = model;
  const hints: string[] = [];
  if (mh === mw && h === w && mh > h && (mh - h) % 2 === 0) hints.push(`--pad ${(mh - h) / 2}`);
  else if (mh === mw && (h !== mh || w !== mw)) hints.push(`--resize ${mh} --center-crop ${mh}`);
  if (c !== mc) hints.push(`--channels ${mc}`);
  throw new UserError(
    `Images are ${h}×${w}×${c} after preprocessing but the model takes ${mh}×${mw}×${mc}${hints.length ? `; try ${hints.join(' ')}` : ''}.`,
  );
}
