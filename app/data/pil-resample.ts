/**
 * PIL's `Image.resize` on 8-bit gray/RGB images, bit for bit: a port of Pillow 9's Resample.c
 * (separable passes, horizontal then vertical, coefficients in 22-bit fixed point, each pass
 * rounded and clipped to uint8) and of its nearest-neighbour path (Geometry.c ImagingScaleAffine,
 * including its accumulated source coordinate). torchvision's `Resize` on a PIL image calls exactly
 * this, so a model trained with it sees the same bytes here. Written by hand because sharp
 * (libvips) uses other kernels and rounding: its results differ from PIL's by up to several
 * levels (bench/RESULTS.md, "Resize parity").
 */
import type { Interpolation } from '../model/transform.js';
import type { RawImage } from './raw-image.js';

interface Filter {
  support: number;
  f(x: number): number;
}

function sinc(x: number): number {
  if (x === 0) return 1;
  const px = x * Math.PI;
  return Math.sin(px) / px;
}

/** Pillow's filters (Resample.c), bicubic with a = −0.5. */
const FILTERS: Record<Exclude<Interpolation, 'nearest'>, Filter> = {
  box: { support: 0.5, f: (x) => (x > -0.5 && x <= 0.5 ? 1 : 0) },
  bilinear: { support: 1, f: (x) => { const t = Math.abs(x); return t < 1 ? 1 - t : 0; } },
  hamming: {
    support: 1,
    f: (x) => {
      const t = Math.abs(x);
      if (t === 0) return 1;
      if (t >= 1) return 0;
      const p = t * Math.PI;
      return (Math.sin(p) / p) * (0.54 + 0.46 * Math.cos(p));
    },
  },
  bicubic: {
    support: 2,
    f: (x) => {
      const a = -0.5;
      const t = Math.abs(x);
      if (t < 1) return ((a + 2) * t - (a + 3)) * t * t + 1;
      if (t < 2) return (((t - 5) * t + 8) * t - 4) * a;
      return 0;
    },
  },
  lanczos: { support: 3, f: (x) => (x > -3 && x < 3 ? sinc(x) * sinc(x / 3) : 0) },
};

const PRECISION_BITS = 32 - 8 - 2;
const ONE = 2 ** PRECISION_BITS;

interface Coefficients {
  start: Int32Array;
  len: Int32Array;
  /** Fixed-point weights, `ksize` per output position. */
  k: Int32Array;
  ksize: number;
}

/** Pillow's precompute_coeffs + normalize_coeffs_8bpc. */
function coefficients(inSize: number, outSize: number, filter: Filter): Coefficients {
  const scale = inSize / outSize;
  const filterscale = Math.max(scale, 1);
  const support = filter.support * filterscale;
  const ksize = Math.ceil(support) * 2 + 1;
  const start = new Int32Array(outSize);
  const len = new Int32Array(outSize);
  const k = new Int32Array(outSize * ksize);
  const tmp = new Float64Array(ksize);
  const ss = 1 / filterscale;
  for (let xx = 0; xx < outSize; xx++) {
    const center = (xx + 0.5) * scale;
    const xmin = Math.max(Math.trunc(center - support + 0.5), 0);
    const xmax = Math.min(Math.trunc(center + support + 0.5), inSize) - xmin;
    let ww = 0;
    for (let x = 0; x < xmax; x++) {
      const v = filter.f((x + xmin - center + 0.5) * ss);
      tmp[x] = v;
      ww += v;
    }
    for (let x = 0; x < xmax; x++) {
      const v = ww !== 0 ? tmp[x] / ww : tmp[x];
      k[xx * ksize + x] = v < 0 ? Math.trunc(-0.5 + v * ONE) : Math.trunc(0.5 + v * ONE);
    }
    start[xx] = xmin;
    len[xx] = xmax;
  }
  return { start, len, k, ksize };
}

function clip8(acc: number): number {
  if (acc >= ONE * 256) return 255;
  if (acc <= 0) return 0;
  return Math.floor(acc / ONE);
}

/** One pass along x (horizontal) or y (vertical), as ImagingResampleHorizontal/Vertical_8bpc. */
function resamplePass(img: RawImage, outSize: number, horizontal: boolean, filter: Filter): RawImage {
  const { h, w, c, data } = img;
  const { start, len, k, ksize } = coefficients(horizontal ? w : h, outSize, filter);
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

/** Source index per output position of PIL's nearest resize (a float accumulated step by step, as Pillow does). */
function nearestTable(inSize: number, outSize: number): Int32Array {
  const a = inSize / outSize;
  const t = new Int32Array(outSize);
  let v = a * 0.5;
  for (let x = 0; x < outSize; x++) {
    const i = v < 0 ? -1 : Math.trunc(v);
    t[x] = Math.min(Math.max(i, 0), inSize - 1);
    v += a;
  }
  return t;
}

function resizeNearest(img: RawImage, h: number, w: number): RawImage {
  const { c, data } = img;
  const xs = nearestTable(img.w, w);
  const ys = nearestTable(img.h, h);
  const out = new Uint8Array(h * w * c);
  for (let y = 0; y < h; y++) {
    for (let x = 0; x < w; x++) {
      const src = (ys[y] * img.w + xs[x]) * c;
      for (let ch = 0; ch < c; ch++) out[(y * w + x) * c + ch] = data[src + ch];
    }
  }
  return { data: out, h, w, c };
}

/** PIL `Image.resize((w, h), mode)` on an 8-bit image. */
export function pilResize(img: RawImage, h: number, w: number, mode: Interpolation): RawImage {
  if (h === img.h && w === img.w) return img;
  if (mode === 'nearest') return resizeNearest(img, h, w);
  const filter = FILTERS[mode];
  let im = img;
  if (w !== im.w) im = resamplePass(im, w, true, filter);
  if (h !== im.h) im = resamplePass(im, h, false, filter);
  return im;
}
