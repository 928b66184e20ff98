/**
 * timm's eval preprocessing from a model's pretrained_cfg (the `pretrained_cfg.json` or
 * `config.json` next to its weights), as `resolve_data_config` + `create_transform(is_training=False)`
 * build it: Resize(floor(size / crop_pct), interpolation) → CenterCrop(size) → ToTensor →
 * Normalize(mean, std); crop_mode 'squash' resizes both sides to floor(size / crop_pct).
 * timm's defaults fill what the file leaves out (3×224×224, bicubic, crop_pct 0.875, ImageNet
 * mean/std). As timm's default (use_test_size=False), test_input_size and test_crop_pct are ignored.
 */
import type { Interpolation, TransformStep } from '../model/transform.js';
import { UserError } from '../model/errors.js';

const DEFAULTS = { input_size: [3, 224, 224], interpolation: 'bicubic', crop_pct: 0.875, mean: [0.485, 0.456, 0.406], std: [0.229, 0.224, 0.225] };

export interface TimmPipeline {
  steps: TransformStep[];
  channels: 1 | 3;
}

function numList(v: unknown, n: number[] | undefined, what: string): number[] {
  if (typeof v === 'number') return [v];
  if (!Array.isArray(v) || !v.every((x) => typeof x === 'number' && Number.isFinite(x)) || (n && !n.includes(v.length))) {
    throw new UserError(`The timm config's ${what} must be a list of numbers.`);
  }
  return v as number[];
}

export function timmPipeline(cfgIn: unknown, file: string): TimmPipeline {
  if (!cfgIn || typeof cfgIn !== 'object' || Array.isArray(cfgIn)) throw new UserError(`${file} is not a timm pretrained_cfg (a JSON object).`);
  let cfg = cfgIn as Record<string, unknown>;
  // config.json from the Hugging Face hub nests it under pretrained_cfg.
  if (cfg.pretrained_cfg && typeof cfg.pretrained_cfg === 'object') cfg = { ...(cfg.pretrained_cfg as Record<string, unknown>), ...pick(cfg) };
  const size = numList(cfg.input_size ?? DEFAULTS.input_size, [3], 'input_size ([C, H, W])');
  const [c, h, w] = size;
  if (c !== 1 && c !== 3) throw new UserError(`${file}: input_size has ${c} channels; only 1 or 3 are supported.`);
  if (![h, w].every((v) => Number.isInteger(v) && v > 0)) throw new UserError(`${file}: input_size must hold whole numbers.`);
  const interp = String(cfg.interpolation ?? DEFAULTS.interpolation).toLowerCase();
  const known: Interpolation[] = ['nearest', 'bilinear', 'bicubic', 'box', 'hamming', 'lanczos'];
  // 'random' is a training-time choice; timm's eval transform falls back to bilinear for it.
  const interpolation = (interp === 'random' ? 'bilinear' : known.find((k) => k === interp));
  if (!interpolation) throw new UserError(`${file}: interpolation "${interp}" is not one of ${known.join(', ')}.`);
  const cropPct = Number(cfg.crop_pct ?? DEFAULTS.crop_pct);
  if (!(cropPct > 0 && cropPct <= 2)) throw new UserError(`${file}: crop_pct must be a number in (0, 2], not ${String(cfg.crop_pct)}.`);
  const mean = numList(cfg.mean ?? DEFAULTS.mean, [1, c], 'mean');
  const std = numList(cfg.std ?? DEFAULTS.std, [1, c], 'std');
  const mode = String(cfg.crop_mode ?? 'center');
  const scale: [number, number] = [Math.floor(h / cropPct), Math.floor(w / cropPct)];
  const steps: TransformStep[] = [];
  if (mode === 'squash') steps.push({ op: 'Resize', size: scale, interpolation });
  else if (mode === 'center') {
    if (scale[0] !== scale[1]) throw new UserError(`${file}: a non-square input_size with crop_mode 'center' uses timm's ResizeKeepRatio, which is not supported here.`);
    steps.push({ op: 'Resize', size: scale[0], interpolation });
  } else throw new UserError(`${file}: crop_mode "${mode}" is not supported (center or squash).`);
  steps.push({ op: 'CenterCrop', size: [h, w] }, { op: 'ToTensor' }, { op: 'Normalize', mean, std });
  return { steps, channels: c as 1 | 3 };
}

/** Top-level keys of a config.json that override its nested pretrained_cfg. */
function pick(o: Record<string, unknown>): Record<string, unknown> {
  const out: Record<string, unknown> = {};
  for (const k of ['input_size', 'interpolation', 'crop_pct', 'crop_mode', 'mean', 'std']) if (o[k] !== undefined) out[k] = o[k];
  return out;
}
