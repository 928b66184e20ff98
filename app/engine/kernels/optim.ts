/**
 * The optimiser updates as single cpu kernels. Per weight tensor, optimizers.ts' SGD step is six
 * full-size tfjs ops (decay, momentum, update), each a freshly allocated, page-faulting output:
 * on a 2.8M-parameter network that was the largest cost of a step outside the convolutions.
 * These kernels make one pass and allocate only the new weights and the new slots.
 *
 * Results are bit-identical to the op sequence they replace: every intermediate is rounded to
 * float32 (Math.fround) where tfjs would store it, and the scalar hyper-parameters are rounded
 * as tfjs rounds a number made into a float32 scalar tensor.
 *
 * - `SePruneSgdStep` inputs v, g, buf; attrs lr, wd, mom, nesterov → [v', buf'] with
 *   d = g + wd·v (wd 0: d = g), buf' = mom·buf + d, v' = v − lr·(nesterov ? d + mom·buf' : buf').
 * - `SePruneAdamWStep` inputs v, g, m, s; attrs lr, wd, b1, b2, eps, c1 = 1 − b1ᵗ, c2 = 1 − b2ᵗ
 *   → [v', m', s'] with m' = b1·m + (1 − b1)·g, s' = b2·s + (1 − b2)·g²,
 *   v' = (wd > 0 ? v·(1 − lr·wd) : v) − lr·(m'/c1) / (√(s'/c2) + eps).
 */
import type * as tf from '@tensorflow/tfjs-core';
import { values, type FastKernel } from './conv-kernels.js';

export const SGD_STEP = 'SePruneSgdStep';
export const ADAMW_STEP = 'SePruneAdamWStep';

const f = Math.fround;

/** One SGD-with-momentum update; returns [v', buf']. */
export function sgdStep(v: Float32Array, g: Float32Array, buf: Float32Array, lr: number, wd: number, mom: number, nesterov: boolean): [Float32Array, Float32Array] {
  const nv = new Float32Array(v.length);
  const nb = new Float32Array(v.length);
  const L = f(lr);
  const W = f(wd);
  const M = f(mom);
  const decay = wd > 0;
  for (let i = 0; i < v.length; i++) {
    const w = v[i];
    const d = decay ? f(g[i] + f(w * W)) : g[i];
    const b = f(f(buf[i] * M) + d);
    nb[i] = b;
    const u = nesterov ? f(d + f(b * M)) : b;
    nv[i] = w - f(u * L);
  }
  return [nv, nb];
}

/** One AdamW update; returns [v', m', s']. */
export function adamWStep(
  v: Float32Array,
  g: Float32Array,
  m: Float32Array,
  s: Float32Array,
  o: { lr: number; wd: number; b1: number; b2: number; eps: number; c1: number; c2: number },
): [Float32Array, Float32Array, Float32Array] {
  const n = v.length;
  const nv = new Float32Array(n);
  const nm = new Float32Array(n);
  const ns = new Float32Array(n);
  const B1 = f(o.b1);
  const B1c = f(1 - o.b1);
  const B2 = f(o.b2);
  const B2c = f(1 - o.b2);
  const C1 = f(o.c1);
  const C2 = f(o.c2);
  const E = f(o.eps);
  const L = f(o.lr);
  const decay = o.wd > 0;
  const D = f(1 - o.lr * o.wd);
  for (let i = 0; i < n; i++) {
    const gi = g[i];
    const a = f(f(m[i] * B1) + f(gi * B1c));
    const b = f(f(s[i] * B2) + f(f(gi * gi) * B2c));
    nm[i] = a;
    ns[i] = b;
    const mhat = f(a / C1);
    const denom = f(f(Math.sqrt(f(b / C2))) + E);
    const w = decay ? f(v[i] * D) : v[i];
    nv[i] = w - f(f(mhat / denom) * L);
  }
  return [nv, nm, ns];
}

function floats(backend: Parameters<FastKernel>[1], ts: (tf.TensorInfo | undefined)[]): Float32Array[] | null {
  const out: Float32Array[] = [];
  for (const t of ts) {
    const v = t ? values(backend, t) : null;
    if (!v || (out.length && v.length !== out[0].length)) return null;
    out.push(v);
  }
  return out;
}

export const optimKernels: Record<string, FastKernel> = {
  [SGD_STEP]: ({ inputs, attrs = {} }, backend) => {
    const a = floats(backend, [inputs.v, inputs.g, inputs.buf]);
    if (!a || !inputs.v) return null;
    const [nv, nb] = sgdStep(a[0], a[1], a[2], attrs.lr as number, attrs.wd as number, attrs.mom as number, attrs.nesterov === true);
    return [backend.makeTensorInfo(inputs.v.shape, 'float32', nv), backend.makeTensorInfo(inputs.v.shape, 'float32', nb)];
  },
  [ADAMW_STEP]: ({ inputs, attrs = {} }, backend) => {
    const a = floats(backend, [inputs.v, inputs.g, inputs.m, inputs.s]);
    if (!a || !inputs.v) return null;
    const o = attrs as unknown as Parameters<typeof adamWStep>[4];
    const out = adamWStep(a[0], a[1], a[2], a[3], o);
    return out.map((x) => backend.makeTensorInfo(inputs.v!.shape, 'float32', x));
  },
};
