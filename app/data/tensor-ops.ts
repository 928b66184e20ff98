/**
 * torchvision's transforms on float tensors (what Resize, Pad, CenterCrop and Grayscale do when
 * they come after ToTensor), on HWC Float32Arrays: PyTorch 1.13's `interpolate` (nearest as its
 * float32 `floor(dst · in/out)`; bilinear and bicubic with align_corners=False, bicubic A = −0.75,
 * border indices clamped; `antialias` as `_upsample_bilinear2d_aa` / `_upsample_bicubic2d_aa`,
 * PIL's filters in floating point), `torch.nn.functional.pad` (constant, replicate, reflect) and
 * torchvision's symmetric padding, and `rgb_to_grayscale` (0.2989 R + 0.587 G + 0.114 B).
 */
import type { Interpolation, PaddingMode } from '../model/transform.js';

/** A float image, HWC. */
export interface FloatImage {
  data: Float32Array;
  h: number;
  w: number;
  c: number;
}

/** Maps an index outside [0, n) to the one numpy/torch padding reads for `mode`. */
export function padIndex(i: number, n: number, mode: Exclude<PaddingMode, 'constant'>): number {
  if (i >= 0 && i < n) return i;
  if (mode === 'edge' || n === 1) return i < 0 ? 0 : n - 1;
  if (mode === 'reflect') {
    const period = 2 * (n - 1);
    let k = ((i % period) + period) % period;
    if (k >= n) k = period - k;
    return k;
  }
  const period = 2 * n;
  let k = ((i % period) + period) % period;
  if (k >= n) k = period - 1 - k;
  return k;
}

/** Pads [left, top, right, bottom]; `fill` per channel for constant mode. Works for any typed array. */
export function padGeneric<T extends Float32Array | Uint8Array>(
  data: T, h: number, w: number, c: number, p: [number, number, number, number], mode: PaddingMode, fill: number[], make: (n: number) => T,
): { data: T; h: number; w: number; c: number } {
  const [l, t, r, b] = p;
  const H = h + t + b;
  const W = w + l + r;
  const out = make(H * W * c);
  for (let y = 0; y < H; y++) {
    const sy = y - t;
    for (let x = 0; x < W; x++) {
      const sx = x - l;
      const o = (y * W + x) * c;
      if (sy >= 0 && sy < h && sx >= 0 && sx < w) {
        const s = (sy * w + sx) * c;
        for (let ch = 0; ch < c; ch++) out[o + ch] = data[s + ch];
      } else if (mode === 'constant') {
        for (let ch = 0; ch < c; ch++) out[o + ch] = fill[fill.length === 1 ? 0 : ch];
      } else {
        const s = (padIndex(sy, h, mode) * w + padIndex(sx, w, mode)) * c;
        for (let ch = 0; ch < c; ch++) out[o + ch] = data[s + ch];
      }
    }
  }
  return { data: out, h: H, w: W, c };
}

/** Crops rows [top, top + ch) and columns [left, left + cw). */
export function cropGeneric<T extends Float32Array | Uint8Array>(
  img: { data: T; h: number; w: number; c: number }, top: number, left: number, ch: number, cw: number, make: (n: number) => T,
): { data: T; h: number; w: number; c: number } {
  const c = img.c;
  const out = make(ch * cw * c);
  for (let y = 0; y < ch; y++) {
    const src = ((y + top) * img.w + left) * c;
    out.set(img.data.subarray(src, src + cw * c), y * cw * c);
  }
  return { data: out, h: ch, w: cw, c };
}

/** Python's round(): half to even. */
export function roundHalfEven(x: number): number {
  const f = Math.floor(x);
  const d = x - f;
  if (d > 0.5) return f + 1;
  if (d < 0.5) return f;
  return f % 2 === 0 ? f : f + 1;
}

/** torchvision's center_crop (zero-padding a smaller image first), for uint8 or float images. */
export function centerCropGeneric<T extends Float32Array | Uint8Array>(
  img: { data: T; h: number; w: number; c: number }, ch: number, cw: number, make: (n: number) => T,
): { data: T; h: number; w: number; c: number } {
  let im = img;
  if (cw > im.w || ch > im.h) {
    const l = cw > im.w ? Math.floor((cw - im.w) / 2) : 0;
    const t = ch > im.h ? Math.floor((ch - im.h) / 2) : 0;
    const r = cw > im.w ? Math.floor((cw - im.w + 1) / 2) : 0;
    const b = ch > im.h ? Math.floor((ch - im.h + 1) / 2) : 0;
    im = padGeneric(im.data, im.h, im.w, im.c, [l, t, r, b], 'constant', [0], make);
    if (im.w === cw && im.h === ch) return im;
  }
  return cropGeneric(im, roundHalfEven((im.h - ch) / 2), roundHalfEven((im.w - cw) / 2), ch, cw, make);
}

const f32 = (n: number) => new Float32Array(n);

/** Index/weight table of one axis: for output i, taps `idx[i·k … i·k+k)` with weights `wt`. */
interface Taps {
  k: number;
  idx: Int32Array;
  wt: Float64Array;
}

function linearTaps(inSize: number, outSize: number): Taps {
  const scale = inSize / outSize;
  const idx = new Int32Array(outSize * 2);
  const wt = new Float64Array(outSize * 2);
  for (let i = 0; i < outSize; i++) {
    const src = Math.max(scale * (i + 0.5) - 0.5, 0);
    const i0 = Math.floor(src);
    const l1 = src - i0;
    idx[2 * i] = Math.min(i0, inSize - 1);
    idx[2 * i + 1] = Math.min(i0 + 1, inSize - 1);
    wt[2 * i] = 1 - l1;
    wt[2 * i + 1] = l1;
  }
  return { k: 2, idx, wt };
}

function cubicTaps(inSize: number, outSize: number): Taps {
  const A = -0.75;
  const cc1 = (x: number) => ((A + 2) * x - (A + 3)) * x * x + 1;
  const cc2 = (x: number) => ((A * x - 5 * A) * x + 8 * A) * x - 4 * A;
  const scale = inSize / outSize;
  const idx = new Int32Array(outSize * 4);
  const wt = new Float64Array(outSize * 4);
  for (let i = 0; i < outSize; i++) {
    const src = scale * (i + 0.5) - 0.5;
    const i0 = Math.floor(src);
    const t = src - i0;
    const ws = [cc2(t + 1), cc1(t), cc1(1 - t), cc2(2 - t)];
    for (let j = 0; j < 4; j++) {
      idx[4 * i + j] = Math.min(Math.max(i0 - 1 + j, 0), inSize - 1);
      wt[4 * i + j] = ws[j];
    }
  }
  return { k: 4, idx, wt };
}

function nearestTaps(inSize: number, outSize: number): Taps {
  const idx = new Int32Array(outSize);
  const scale = Math.fround(inSize / outSize);
  for (let i = 0; i < outSize; i++) {
    if (outSize === inSize) idx[i] = i;
    else if (outSize === 2 * inSize) idx[i] = i >> 1;
    else idx[i] = Math.min(Math.floor(Math.fround(i * scale)), inSize - 1);
  }
  return { k: 1, idx, wt: new Float64Array(outSize).fill(1) };
}

/** PyTorch's antialiased taps: PIL's filter support scaled by the downscale factor, weights normalised. */
function aaTaps(inSize: number, outSize: number, cubic: boolean): Taps {
  const scale = inSize / outSize;
  const interp = cubic ? 4 : 2;
  const support = scale >= 1 ? interp * 0.5 * scale : interp * 0.5;
  const invscale = scale >= 1 ? 1 / scale : 1;
  const k = Math.ceil(support) * 2 + 1;
  const a = -0.5;
  const filter = cubic
    ? (x: number) => {
      const t = Math.abs(x);
      if (t < 1) return ((a + 2) * t - (a + 3)) * t * t + 1;
      if (t < 2) return (((t - 5) * t + 8) * t - 4) * a;
      return 0;
    }
    : (x: number) => { const t = Math.abs(x); return t < 1 ? 1 - t : 0; };
  const idx = new Int32Array(outSize * k);
  const wt = new Float64Array(outSize * k);
  for (let i = 0; i < outSize; i++) {
    const center = scale * (i + 0.5);
    const xmin = Math.max(Math.trunc(center - support + 0.5), 0);
    const xsize = Math.min(Math.trunc(center + support + 0.5), inSize) - xmin;
    let total = 0;
    for (let j = 0; j < xsize; j++) {
      const w = filter((j + xmin - center + 0.5) * invscale);
      wt[i * k + j] = w;
      total += w;
    }
    for (let j = 0; j < k; j++) {
      idx[i * k + j] = j < xsize ? xmin + j : xmin;
      if (j >= xsize) wt[i * k + j] = 0;
      else if (total !== 0) wt[i * k + j] /= total;
    }
  }
  return { k, idx, wt };
}

function taps(inSize: number, outSize: number, mode: Interpolation, antialias: boolean): Taps {
  if (mode === 'nearest') return nearestTaps(inSize, outSize);
  if (mode !== 'bilinear' && mode !== 'bicubic') throw new Error(`Tensor resize supports nearest, bilinear and bicubic, not ${mode}.`);
  if (antialias) return aaTaps(inSize, outSize, mode === 'bicubic');
  return mode === 'bicubic' ? cubicTaps(inSize, outSize) : linearTaps(inSize, outSize);
}

/** torchvision F_t.resize on a float image (separable, horizontal then vertical). */
export function tensorResize(img: FloatImage, h: number, w: number, mode: Interpolation, antialias: boolean): FloatImage {
  if (h === img.h && w === img.w) return img;
  const { c } = img;
  let cur = img;
  if (w !== cur.w) {
    const t = taps(cur.w, w, mode, antialias);
    const out = new Float32Array(cur.h * w * c);
    for (let y = 0; y < cur.h; y++) {
      for (let x = 0; x < w; x++) {
        for (let ch = 0; ch < c; ch++) {
          let acc = 0;
          for (let j = 0; j < t.k; j++) acc += t.wt[x * t.k + j] * cur.data[(y * cur.w + t.idx[x * t.k + j]) * c + ch];
          out[(y * w + x) * c + ch] = acc;
        }
      }
    }
    cur = { data: out, h: cur.h, w, c };
  }
  if (h !== cur.h) {
    const t = taps(cur.h, h, mode, antialias);
    const out = new Float32Array(h * cur.w * c);
    for (let y = 0; y < h; y++) {
      for (let x = 0; x < cur.w; x++) {
        for (let ch = 0; ch < c; ch++) {
          let acc = 0;
          for (let j = 0; j < t.k; j++) acc += t.wt[y * t.k + j] * cur.data[(t.idx[y * t.k + j] * cur.w + x) * c + ch];
          out[(y * cur.w + x) * c + ch] = acc;
        }
      }
    }
    cur = { data: out, h, w: cur.w, c };
  }
  return cur;
}

export function tensorPad(img: FloatImage, p: [number, number, number, number], mode: PaddingMode, fill: number[]): FloatImage {
  return padGeneric(img.data, img.h, img.w, img.c, p, mode, fill, f32);
}

export function tensorCenterCrop(img: FloatImage, ch: number, cw: number): FloatImage {
  return centerCropGeneric(img, ch, cw, f32);
}

/** torchvision F_t.rgb_to_grayscale. */
export function tensorGrayscale(img: FloatImage, channels: 1 | 3): FloatImage {
  const n = img.h * img.w;
  let gray: Float32Array;
  if (img.c === 3) {
    gray = new Float32Array(n);
    const d = img.data;
    for (let i = 0; i < n; i++) gray[i] = 0.2989 * d[3 * i] + 0.587 * d[3 * i + 1] + 0.114 * d[3 * i + 2];
  } else gray = img.data.slice(0, n);
  if (channels === 1) return { data: gray, h: img.h, w: img.w, c: 1 };
  const out = new Float32Array(n * 3);
  for (let i = 0; i < n; i++) out[3 * i] = out[3 * i + 1] = out[3 * i + 2] = gray[i];
  return { data: out, h: img.h, w: img.w, c: 3 };
}

/** Normalize: (x − mean[c]) / std[c] in place. */
export function tensorNormalize(img: FloatImage, mean: number[], std: number[]): FloatImage {
  const { data, c } = img;
  const m = Array.from({ length: c }, (_, i) => mean[mean.length === 1 ? 0 : i]);
  const s = Array.from({ length: c }, (_, i) => std[std.length === 1 ? 0 : i]);
  for (let i = 0; i < data.length; i++) {
    const ch = i % c;
    data[i] = (data[i] - m[ch]) / s[ch];
  }
  return img;
}
