/**
 * Image preprocessing with torchvision semantics (the PIL path), so a PyTorch user gets the same
 * numbers: Resize(int) → CenterCrop → Pad(n) → channels (1↔3) → ToTensor → Normalize.
 *
 * Everything before ToTensor works on 8-bit images exactly as PIL does:
 * - Resize(int): the shorter side becomes `resize`, the longer `int(resize · long / short)`
 *   (truncated, as torchvision). Bilinear with PIL's antialiasing filter (support scaled by the
 *   downscale factor), separable horizontal-then-vertical passes in 22-bit fixed point with each
 *   pass rounded to uint8 — a port of Pillow's Resample.c, so results match PIL bit for bit.
 * - CenterCrop(n): top = round((h − n) / 2) with Python's round-half-even; an image smaller than
 *   the crop is first zero-padded as torchvision does.
 * - Pad(n): n zero pixels on every side (torchvision pads the PIL image with fill 0, so the
 *   border becomes (0 − mean) / std after normalisation).
 * - Channels: gray → RGB repeats the plane; RGB → gray is PIL's convert('L'):
 *   L = (R·19595 + G·38470 + B·7471 + 0x8000) >> 16, Pillow's fixed-point form of
 *   L = R·299/1000 + G·587/1000 + B·114/1000 rounded to the nearest integer.
 * ToTensor divides by 255; Normalize takes one mean/std or one per channel.
 * The result is HWC Float32Array.
 */
import type { Preprocessing } from '../model/ir.js';
import { UserError } from '../model/errors.js';

/** A decoded 8-bit image, HWC, `c` = 1 (gray) or 3 (RGB). */
export interface RawImage {
  data: Uint8Array;
  h: number;
  w: number;
  c: number;
}

/** torchvision's output size of Resize(int) for an h×w image. */
export function resizedSize(h: number, w: number, size: number): [number, number] {
  if (w <= h) return [Math.trunc((size * h) / w), size];
  return [size, Math.trunc((size * w) / h)];
}

/** Output shape [H, W, C] of `preprocess` for an h×w input. */
export function preprocessedShape(h: number, w: number, p: Preprocessing): [number, number, number] {
  let [hh, ww] = p.resize ? resizedSize(h, w, p.resize) : [h, w];
  if (p.centerCrop) hh = ww = p.centerCrop;
  const pad = p.pad ?? 0;
  return [hh + 2 * pad, ww + 2 * pad, p.channels];
}

/** Checks a Preprocessing for values that cannot work; throws a UserError. */
export function checkPreprocessing(p: Preprocessing): void {
  const positive = (v: number | undefined) => v === undefined || (Number.isInteger(v) && v > 0);
  if (!positive(p.resize)) throw new UserError(`Resize must be a positive integer, not ${p.resize}.`);
  if (!positive(p.centerCrop)) throw new UserError(`Center crop must be a positive integer, not ${p.centerCrop}.`);
  if (p.pad !== undefined && !(Number.isInteger(p.pad) && p.pad >= 0)) {
    throw new UserError(`Pad must be a non-negative integer, not ${p.pad}.`);
  }
  if (p.channels !== 1 && p.channels !== 3) throw new UserError(`Channels must be 1 or 3, not ${p.channels}.`);
  for (const [what, v] of [['mean', p.mean], ['std', p.std]] as const) {
    if (v.length !== 1 && v.length !== p.channels) {
      throw new UserError(`Normalize ${what} needs 1 or ${p.channels} values, not ${v.length}.`);
    }
  }
  if (p.std.some((s) => !(s > 0))) throw new UserError('Normalize std values must be positive.');
}

/** Applies the whole pipeline to one decoded image; returns HWC floats. */
export function preprocess(img: RawImage, p: Preprocessing): Float32Array {
  let im = img;
  if (p.resize) {
    const [h, w] = resizedSize(im.h, im.w, p.resize);
    im = resizeBilinear(im, h, w);
  }
  if (p.centerCrop) im = centerCrop(im, p.centerCrop, p.centerCrop);
  if (p.pad) im = pad(im, p.pad);
  im = toChannels(im, p.channels);
  return normalize(im, p.mean, p.std);
}

/** ToTensor + Normalize: (x / 255 − mean[c]) / std[c]. */
export function normalize(img: RawImage, mean: number[], std: number[]): Float32Array {
  const { data, c } = img;
  const out = new Float32Array(data.length);
  const m = Array.from({ length: c }, (_, i) => mean[mean.length === 1 ? 0 : i]);
  const s = Array.from({ length: c }, (_, i) => std[std.length === 1 ? 0 : i]);
  for (let i = 0; i < data.length; i++) {
    const ch = i % c;
    out[i] = (data[i] / 255 - m[ch]) / s[ch];
  }
  return out;
}

/** Converts between 1 and 3 channels as PIL's convert('RGB') / convert('L'). */
export function toChannels(img: RawImage, channels: 1 | 3): RawImage {
  if (img.c === channels) return img;
  const n = img.h * img.w;
  if (img.c === 1 && channels === 3) {
    const out = new Uint8Array(n * 3);
    for (let i = 0; i < n; i++) out[3 * i] = out[3 * i + 1] = out[3 * i + 2] = img.data[i];
    return { data: out, h: img.h, w: img.w, c: 3 };
  }
  if (img.c === 3 && channels === 1) {
    const out = new Uint8Array(n);
    const d = img.data;
    for (let i = 0; i < n; i++) {
      out[i] = (d[3 * i] * 19595 + d[3 * i + 1] * 38470 + d[3 * i + 2] * 7471 + 0x8000) >>> 16;
    }
    return { data: out, h: img.h, w: img.w, c: 1 };
  }
  throw new Error(`Cannot convert ${img.c} channels to ${channels}.`);
}

/** Zero padding of `n` pixels on every side. */
export function pad(img: RawImage, n: number): RawImage {
  return padLTRB(img, n, n, n, n);
}

function padLTRB(img: RawImage, left: number, top: number, right: number, bottom: number): RawImage {
  const { h, w, c } = img;
  const H = h + top + bottom;
  const W = w + left + right;
  const out = new Uint8Array(H * W * c);
  for (let y = 0; y < h; y++) {
    out.set(img.data.subarray(y * w * c, (y + 1) * w * c), ((y + top) * W + left) * c);
  }
  return { data: out, h: H, w: W, c };
}

/** Python's round(): half to even. */
function roundHalfEven(x: number): number {
  const f = Math.floor(x);
  const d = x - f;
  if (d > 0.5) return f + 1;
  if (d < 0.5) return f;
  return f % 2 === 0 ? f : f + 1;
}

/** torchvision CenterCrop([ch, cw]). */
export function centerCrop(img: RawImage, ch: number, cw: number): RawImage {
  let im = img;
  if (cw > im.w || ch > im.h) {
    const l = cw > im.w ? Math.floor((cw - im.w) / 2) : 0;
    const t = ch > im.h ? Math.floor((ch - im.h) / 2) : 0;
    const r = cw > im.w ? Math.floor((cw - im.w + 1) / 2) : 0;
    const b = ch > im.h ? Math.floor((ch - im.h + 1) / 2) : 0;
    im = padLTRB(im, l, t, r, b);
    if (im.w === cw && im.h === ch) return im;
  }
  const top = roundHalfEven((im.h - ch) / 2);
  const left = roundHalfEven((im.w - cw) / 2);
  const c = im.c;
  const out = new Uint8Array(ch * cw * c);
  for (let y = 0; y < ch; y++) {
    const src = ((y + top) * im.w + left) * c;
    out.set(im.data.subarray(src, src + cw * c), y * cw * c);
  }
  return { data: out, h: ch, w: cw, c };
}

const PRECISION_BITS = 32 - 8 - 2;
const ONE = 2 ** PRECISION_BITS;

/** Pillow's precompute_coeffs for the bilinear (triangle) filter, in fixed point. */
function coefficients(inSize: number, outSize: number): { start: Int32Array; len: Int32Array; k: Float64Array; ksize: number } {
  const scale = inSize / outSize;
  const filterscale = Math.max(scale, 1);
  const support = 1.0 * filterscale;
  const ksize = Math.ceil(support) * 2 + 1;
  const start = new Int32Array(outSize);
  const len = new Int32Array(outSize);
  const k = new Float64Array(outSize * ksize);
  const tmp = new Float64Array(ksize);
  const ss = 1 / filterscale;
  for (let xx = 0; xx < outSize; xx++) {
    const center = (xx + 0.5) * scale;
    let xmin = Math.trunc(center - support + 0.5);
    if (xmin < 0) xmin = 0;
    let xmax = Math.trunc(center + support + 0.5);
    if (xmax > inSize) xmax = inSize;
    xmax -= xmin;
    let ww = 0;
    for (let x = 0; x < xmax; x++) {
      const t = Math.abs((x + xmin - center + 0.5) * ss);
      const v = t < 1 ? 1 - t : 0;
      tmp[x] = v;
      ww += v;
    }
    for (let x = 0; x < xmax; x++) {
      const v = ww !== 0 ? tmp[x] / ww : tmp[x];
      // normalize_coeffs_8bpc: round to the fixed-point grid (weights here are never negative).
      k[xx * ksize + x] = v < 0 ? Math.trunc(-0.5 + v * ONE) : Math.trunc(0.5 + v * ONE);
    }
    start[xx] = xmin;
    len[xx] = xmax;
  }
  return { start, len, k, ksize };
}

function clip8(acc: number): number {
  const v = Math.floor(acc / ONE);
  return v < 0 ? 0 : v > 255 ? 255 : v;
}

/** One pass along x (horizontal) or y (vertical), as Pillow's ImagingResampleHorizontal/Vertical_8bpc. */
function resamplePass(img: RawImage, outSize: number, horizontal: boolean): RawImage {
  const { h, w, c, data } = img;
  const inSize = horizontal ? w : h;
  const { start, len, k, ksize } = coefficients(inSize, outSize);
  const H = horizontal ? h : outSize;
  const W = horizontal ? outSize : w;
  const out = new Uint8Array(H * W * c);
  const half = 2 ** (PRECISION_BITS - 1);
  for (let y = 0; y < H; y++) {
    for (let x = 0; x < W; x++) {
      const o = horizontal ? x : y;
      const s0 = start[o];
      const n = len[o];
      const kb = o * ksize;
      for (let ch = 0; ch < c; ch++) {
        let acc = half;
        for (let i = 0; i < n; i++) {
          const src = horizontal ? (y * w + s0 + i) * c + ch : ((s0 + i) * w + x) * c + ch;
          acc += data[src] * k[kb + i];
        }
        out[(y * W + x) * c + ch] = clip8(acc);
      }
    }
  }
  return { data: out, h: H, w: W, c };
}

/** PIL Image.resize((w, h), BILINEAR) on an 8-bit image. */
export function resizeBilinear(img: RawImage, h: number, w: number): RawImage {
  let im = img;
  if (w !== im.w) im = resamplePass(im, w, true);
  if (h !== im.h) im = resamplePass(im, h, false);
  return im;
}
