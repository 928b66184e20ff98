/**
 * Image preprocessing with torchvision semantics, so a PyTorch user gets the same numbers: the
 * project's pipeline (app/data/transform.ts; a project written before pipelines implies
 * Resize(int) → CenterCrop → Pad(n) → ToTensor → Normalize) run on one decoded image. Steps before
 * ToTensor act on the 8-bit image as PIL does (pil-resample.ts), steps after it on the float tensor
 * (tensor-ops.ts); images are converted to the model's channel count at ToTensor as PIL's
 * convert('L'/'RGB') does. The result is HWC Float32Array.
 */
import type { Preprocessing } from '../model/ir.js';
import { UserError } from '../model/errors.js';
import { pilResize } from './pil-resample.js';
import { centerCropGeneric } from './tensor-ops.js';
import { checkPipeline, pipelineOf, pipelineShape, resizeTarget, runPipeline } from './transform.js';
import type { RawImage } from './raw-image.js';

export { toChannels, type RawImage } from './raw-image.js';

/** torchvision's output size of Resize(int) for an h×w image. */
export function resizedSize(h: number, w: number, size: number): [number, number] {
  return resizeTarget(h, w, { op: 'Resize', size, interpolation: 'bilinear' });
}

/** Output shape [H, W, C] of `preprocess` for an h×w input. */
export function preprocessedShape(h: number, w: number, p: Preprocessing): [number, number, number] {
  return pipelineShape(h, w, pipelineOf(p), p.channels);
}

/** Checks a Preprocessing for values that cannot work; throws a UserError. */
export function checkPreprocessing(p: Preprocessing): void {
  if (p.channels !== 1 && p.channels !== 3) throw new UserError(`Channels must be 1 or 3, not ${p.channels}.`);
  if (!p.steps) {
    const positive = (v: number | undefined) => v === undefined || (Number.isInteger(v) && v > 0);
    if (!positive(p.resize)) throw new UserError(`Resize must be a positive integer, not ${p.resize}.`);
    if (!positive(p.centerCrop)) throw new UserError(`Center crop must be a positive integer, not ${p.centerCrop}.`);
    if (p.pad !== undefined && !(Number.isInteger(p.pad) && p.pad >= 0)) {
      throw new UserError(`Pad must be a non-negative integer, not ${p.pad}.`);
    }
    for (const [what, v] of [['mean', p.mean], ['std', p.std]] as const) {
      if (v.length !== 1 && v.length !== p.channels) {
        throw new UserError(`Normalize ${what} needs 1 or ${p.channels} values, not ${v.length}.`);
      }
    }
    if (p.std.some((s) => !(s > 0))) throw new UserError('Normalize std values must be positive.');
  }
  checkPipeline(pipelineOf(p), p.channels);
}

/** Applies the whole pipeline to one decoded image; returns HWC floats. */
export function preprocess(img: RawImage, p: Preprocessing): Float32Array {
  return runPipeline(img, pipelineOf(p), p.channels);
}

/** torchvision CenterCrop([ch, cw]) on an 8-bit image. */
export function centerCrop(img: RawImage, ch: number, cw: number): RawImage {
  return centerCropGeneric(img, ch, cw, (n) => new Uint8Array(n));
}

/** PIL Image.resize((w, h), BILINEAR) on an 8-bit image. */
export function resizeBilinear(img: RawImage, h: number, w: number): RawImage {
  return pilResize(img, h, w, 'bilinear');
}
