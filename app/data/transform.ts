/**
 * Runs a preprocessing pipeline (app/model/transform.ts) on one decoded image exactly as
 * torchvision's `Compose` would: steps before ToTensor act on the 8-bit image as PIL does, steps
 * after it on the float tensor as torchvision's tensor functions do. Also: the pipeline a
 * pre-pipeline project's fields imply, the output shape for an input size, checks with one
 * sentence per mistake, and the torchvision-style text of a pipeline.
 */
import type { Preprocessing } from '../model/ir.js';
import type { Interpolation, TransformStep } from '../model/transform.js';
import { UserError } from '../model/errors.js';
import { pilResize } from './pil-resample.js';
import {
  centerCropGeneric, padGeneric, tensorCenterCrop, tensorGrayscale, tensorNormalize, tensorPad, tensorResize, type FloatImage,
} from './tensor-ops.js';
import { toChannels, type RawImage } from './raw-image.js';

/** The pipeline a Preprocessing runs: its `steps`, else what the pre-pipeline fields imply. */
export function pipelineOf(p: Preprocessing): TransformStep[] {
  if (p.steps) return p.steps;
  const steps: TransformStep[] = [];
  if (p.resize) steps.push({ op: 'Resize', size: p.resize, interpolation: 'bilinear' });
  if (p.centerCrop) steps.push({ op: 'CenterCrop', size: [p.centerCrop, p.centerCrop] });
  if (p.pad) steps.push({ op: 'Pad', padding: [p.pad, p.pad, p.pad, p.pad], fill: 0, paddingMode: 'constant' });
  steps.push({ op: 'ToTensor' });
  if (!(p.mean.every((m) => m === 0) && p.std.every((s) => s === 1))) steps.push({ op: 'Normalize', mean: p.mean.slice(), std: p.std.slice() });
  return steps;
}

/** A Preprocessing holding `steps` (mean/std repeat its Normalize; 0/1 without one). */
export function fromPipeline(steps: TransformStep[], channels: 1 | 3): Preprocessing {
  const norm = steps.find((s): s is Extract<TransformStep, { op: 'Normalize' }> => s.op === 'Normalize');
  return { steps, mean: norm ? norm.mean.slice() : [0], std: norm ? norm.std.slice() : [1], channels };
}

/**
 * The value, per model input channel, of a pixel the pipeline's padding adds (the last constant
 * Pad, carried through the steps after it), else of a black pixel: what a shift augmentation
 * fills with so shifted-in borders look like the borders the model was trained on. A pipeline
 * that pads the normalised tensor with zeros (Normalize-then-Pad) gives 0; one that pads the image
 * with black, or none, gives (0 − mean) / std.
 */
export function borderValue(p: Preprocessing): number[] {
  const steps = pipelineOf(p);
  const last = steps.map((s) => s.op === 'Pad' && s.paddingMode === 'constant').lastIndexOf(true);
  const c = p.channels;
  let tensor = last >= 0 && steps.slice(0, last).some((s) => s.op === 'ToTensor');
  let v = Array.from({ length: c }, (_, k) => {
    if (last < 0) return 0;
    const f = (steps[last] as Extract<TransformStep, { op: 'Pad' }>).fill;
    return Array.isArray(f) ? (f[k] ?? f[0]) : f;
  });
  for (const s of steps.slice(last + 1)) {
    if (s.op === 'ToTensor' && !tensor) {
      v = v.map((x) => x / 255);
      tensor = true;
    } else if (s.op === 'Normalize') v = v.map((x, k) => (x - (s.mean[k] ?? s.mean[0])) / (s.std[k] ?? s.std[0]));
  }
  return v;
}

/** Converts a project's stored preprocessing (either form) to the pipeline form. */
export function withPipeline(p: Preprocessing): Preprocessing {
  return fromPipeline(structuredClone(pipelineOf(p)), p.channels);
}

const num = (v: number) => String(v);
const tuple = (xs: number[]) => (xs.length === 1 ? `(${num(xs[0])},)` : `(${xs.map(num).join(', ')})`);

/** One step as torchvision code would write it (short form where torchvision's defaults apply). */
export function describeStep(s: TransformStep): string {
  switch (s.op) {
    case 'Resize': {
      const args = [typeof s.size === 'number' ? num(s.size) : tuple(s.size)];
      if (s.interpolation !== 'bilinear') args.push(`interpolation=InterpolationMode.${s.interpolation.toUpperCase()}`);
      if (s.maxSize !== undefined) args.push(`max_size=${s.maxSize}`);
      if (s.antialias !== undefined) args.push(`antialias=${s.antialias ? 'True' : 'False'}`);
      return `Resize(${args.join(', ')})`;
    }
    case 'CenterCrop':
      return `CenterCrop(${s.size[0] === s.size[1] ? num(s.size[0]) : tuple(s.size)})`;
    case 'Pad': {
      const [l, t, r, b] = s.padding;
      const pad = l === t && t === r && r === b ? num(l) : l === r && t === b ? tuple([l, t]) : tuple(s.padding);
      const args = [pad];
      if (!(typeof s.fill === 'number' && s.fill === 0)) args.push(`fill=${typeof s.fill === 'number' ? num(s.fill) : tuple(s.fill)}`);
      if (s.paddingMode !== 'constant') args.push(`padding_mode='${s.paddingMode}'`);
      return `Pad(${args.join(', ')})`;
    }
    case 'Grayscale':
      return `Grayscale(${s.numOutputChannels === 1 ? '' : 'num_output_channels=3'})`;
    case 'ToTensor':
      return 'ToTensor()';
    case 'Normalize':
      return `Normalize(${s.mean.length === 1 && s.std.length === 1 ? `${num(s.mean[0])}, ${num(s.std[0])}` : `${tuple(s.mean)}, ${tuple(s.std)}`})`;
  }
}

/** The pipeline as one line a PyTorch user recognises (and `--transform` parses back). */
export function describePipeline(steps: TransformStep[]): string {
  return steps.map(describeStep).join(', ');
}

const TENSOR_INTERP: Interpolation[] = ['nearest', 'bilinear', 'bicubic'];

const isNums = (v: unknown, lens: number[]) => Array.isArray(v) && lens.includes(v.length) && v.every((x) => typeof x === 'number');

/** Whether `s` has the fields its op needs with the right types (a stored project is untrusted JSON). */
function wellFormed(s: unknown): boolean {
  if (!s || typeof s !== 'object') return false;
  const o = s as Record<string, unknown>;
  switch (o.op) {
    case 'Resize':
      return (typeof o.size === 'number' || isNums(o.size, [2])) && typeof o.interpolation === 'string' && ['nearest', 'bilinear', 'bicubic', 'box', 'hamming', 'lanczos'].includes(o.interpolation)
        && (o.maxSize === undefined || typeof o.maxSize === 'number') && (o.antialias === undefined || typeof o.antialias === 'boolean');
    case 'CenterCrop':
      return isNums(o.size, [2]);
    case 'Pad':
      return isNums(o.padding, [4]) && (typeof o.fill === 'number' || isNums(o.fill, [1, 3])) && ['constant', 'edge', 'reflect', 'symmetric'].includes(o.paddingMode as string);
    case 'Grayscale':
      return o.numOutputChannels === 1 || o.numOutputChannels === 3;
    case 'ToTensor':
      return true;
    case 'Normalize':
      return isNums(o.mean, [1, 3]) && isNums(o.std, [1, 3]);
    default:
      return false;
  }
}

/** Checks a pipeline for mistakes torchvision would raise (or that cannot feed a model); one sentence each. */
export function checkPipeline(steps: TransformStep[], channels: 1 | 3): void {
  if (!Array.isArray(steps)) throw new UserError('The preprocessing steps are not a list.');
  steps.forEach((s, i) => {
    if (!wellFormed(s)) throw new UserError(`Preprocessing step ${i + 1} (${JSON.stringify(s)?.slice(0, 80)}) is not a valid Resize, CenterCrop, Pad, Grayscale, ToTensor or Normalize step.`);
  });
  const at = (i: number) => `step ${i + 1} (${describeStep(steps[i])})`;
  const tensorAt = steps.findIndex((s) => s.op === 'ToTensor');
  if (tensorAt < 0) throw new UserError('The transform has no ToTensor(): add it before Normalize (the model needs a float tensor).');
  if (steps.filter((s) => s.op === 'ToTensor').length > 1) throw new UserError('The transform has ToTensor() twice; the second would fail on a tensor.');
  const posInt = (v: number) => Number.isInteger(v) && v > 0;
  steps.forEach((s, i) => {
    const onTensor = i > tensorAt;
    switch (s.op) {
      case 'Resize': {
        const sizes = typeof s.size === 'number' ? [s.size] : s.size;
        if (!sizes.every(posInt)) throw new UserError(`${at(i)}: the size must be positive whole numbers.`);
        if (s.maxSize !== undefined && (typeof s.size !== 'number' || !(Number.isInteger(s.maxSize) && s.maxSize > s.size))) {
          throw new UserError(`${at(i)}: max_size needs a single size smaller than it.`);
        }
        if (onTensor && !TENSOR_INTERP.includes(s.interpolation)) {
          throw new UserError(`${at(i)}: after ToTensor() only nearest, bilinear and bicubic interpolation exist (torchvision's tensor resize).`);
        }
        if (onTensor && s.antialias && s.interpolation === 'nearest') throw new UserError(`${at(i)}: antialias works with bilinear and bicubic only.`);
        break;
      }
      case 'CenterCrop':
        if (!s.size.every(posInt)) throw new UserError(`${at(i)}: the crop size must be positive whole numbers.`);
        break;
      case 'Pad': {
        if (!s.padding.every((p) => Number.isInteger(p) && p >= 0)) throw new UserError(`${at(i)}: padding must be whole numbers ≥ 0.`);
        const fills = typeof s.fill === 'number' ? [s.fill] : s.fill;
        if (!onTensor && !fills.every((f) => Number.isInteger(f) && f >= 0 && f <= 255)) {
          throw new UserError(`${at(i)}: before ToTensor() the fill is a pixel value, a whole number 0–255.`);
        }
        if (!fills.every(Number.isFinite)) throw new UserError(`${at(i)}: the fill must be a number.`);
        break;
      }
      case 'Normalize':
        if (!onTensor) throw new UserError(`${at(i)}: Normalize works on tensors; put it after ToTensor().`);
        if (![s.mean, s.std].every((v) => v.length === 1 || v.length === channels)) {
          throw new UserError(`${at(i)}: mean and std need 1 or ${channels} values for a ${channels}-channel model.`);
        }
        if (!s.mean.every(Number.isFinite) || !s.std.every((v) => Number.isFinite(v) && v > 0)) {
          throw new UserError(`${at(i)}: mean must be numbers and std numbers above 0.`);
        }
        break;
      default:
        break;
    }
  });
}

/** torchvision's output size of Resize for an h×w input. */
export function resizeTarget(h: number, w: number, s: Extract<TransformStep, { op: 'Resize' }>): [number, number] {
  if (typeof s.size !== 'number') return [s.size[0], s.size[1]];
  const short = Math.min(h, w);
  const long = Math.max(h, w);
  let ns = s.size;
  let nl = Math.trunc((s.size * long) / short);
  if (s.maxSize !== undefined && nl > s.maxSize) {
    ns = Math.trunc((s.maxSize * ns) / nl);
    nl = s.maxSize;
  }
  return w <= h ? [nl, ns] : [ns, nl];
}

/** [H, W, C] the pipeline makes of an h×w image (C: the model's channels). */
export function pipelineShape(h: number, w: number, steps: TransformStep[], channels: 1 | 3): [number, number, number] {
  let hh = h;
  let ww = w;
  for (const s of steps) {
    if (s.op === 'Resize') [hh, ww] = resizeTarget(hh, ww, s);
    else if (s.op === 'CenterCrop') [hh, ww] = s.size;
    else if (s.op === 'Pad') {
      hh += s.padding[1] + s.padding[3];
      ww += s.padding[0] + s.padding[2];
    }
  }
  return [hh, ww, channels];
}

/** The output [H, W] when it does not depend on the input size (a fixed Resize or a CenterCrop decides it), else undefined. */
export function fixedPipelineSize(steps: TransformStep[]): [number, number] | undefined {
  let size: [number, number] | undefined;
  for (const s of steps) {
    if (s.op === 'Resize') size = typeof s.size !== 'number' ? [s.size[0], s.size[1]] : size ? resizeTarget(size[0], size[1], s) : undefined;
    else if (s.op === 'CenterCrop') size = [s.size[0], s.size[1]];
    else if (s.op === 'Pad' && size) size = [size[0] + s.padding[1] + s.padding[3], size[1] + s.padding[0] + s.padding[2]];
  }
  return size;
}

const u8 = (n: number) => new Uint8Array(n);

function fillOf(s: Extract<TransformStep, { op: 'Pad' }>): number[] {
  return typeof s.fill === 'number' ? [s.fill] : s.fill;
}

/** Runs the pipeline on one decoded image; returns HWC floats with `channels` channels. */
export function runPipeline(img: RawImage, steps: TransformStep[], channels: 1 | 3): Float32Array {
  let im: RawImage = img;
  let t: FloatImage | undefined;
  // The image becomes the model's channel count at ToTensor (as PIL's convert), unless a Grayscale
  // on the tensor follows: that one converts, with torchvision's float weights.
  const tensorGray = steps.findIndex((s) => s.op === 'Grayscale') > steps.findIndex((s) => s.op === 'ToTensor');
  for (const s of steps) {
    if (!t) {
      switch (s.op) {
        case 'Resize': {
          const [h, w] = resizeTarget(im.h, im.w, s);
          im = pilResize(im, h, w, s.interpolation);
          break;
        }
        case 'CenterCrop':
          im = centerCropGeneric(im, s.size[0], s.size[1], u8);
          break;
        case 'Pad':
          im = padGeneric(im.data, im.h, im.w, im.c, s.padding, s.paddingMode, fillOf(s), u8);
          break;
        case 'Grayscale':
          im = toChannels(toChannels(im, 1), s.numOutputChannels);
          break;
        case 'ToTensor': {
          const c = tensorGray ? im : toChannels(im, channels);
          const data = new Float32Array(c.data.length);
          for (let i = 0; i < data.length; i++) data[i] = c.data[i] / 255;
          t = { data, h: c.h, w: c.w, c: c.c };
          break;
        }
        case 'Normalize':
          throw new Error('Normalize before ToTensor (checkPipeline refuses it).');
      }
    } else {
      switch (s.op) {
        case 'Resize': {
          const [h, w] = resizeTarget(t.h, t.w, s);
          t = tensorResize(t, h, w, s.interpolation, s.antialias ?? true);
          break;
        }
        case 'CenterCrop':
          t = tensorCenterCrop(t, s.size[0], s.size[1]);
          break;
        case 'Pad':
          t = tensorPad(t, s.padding, s.paddingMode, fillOf(s));
          break;
        case 'Grayscale':
          t = tensorGrayscale(t, s.numOutputChannels);
          break;
        case 'Normalize':
          t = tensorNormalize(t, s.mean, s.std);
          break;
        case 'ToTensor':
          throw new Error('ToTensor twice (checkPipeline refuses it).');
      }
    }
  }
  if (!t) throw new Error('No ToTensor in the pipeline (checkPipeline refuses it).');
  if (t.c !== channels) t = tensorGrayscale(t, channels);
  return t.data;
}
