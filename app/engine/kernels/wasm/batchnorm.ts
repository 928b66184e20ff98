/** Batch-norm channel sums and element passes (forward and backward, with a fused ReLU) on wasm SIMD. */
import { Body, I32, OP, SIMD, V128, ZERO16, mem } from './encoder.js';

export const BN_SUMS = ['fwd', 'bwd', 'bwdRelu'] as const;
export const BN_APPLY = ['fwd', 'fwdRelu', 'bwd', 'bwdRelu'] as const;
export type BnSumsMode = (typeof BN_SUMS)[number];
export type BnApplyMode = (typeof BN_APPLY)[number];

/** Pushes the gradient after a ReLU: g where y > 0, NaN where y is NaN, else 0 (v128 locals g, y, zero). */
function reluMask(f: Body, g: number, y: number, zero: number): void {
  f.get(y).get(g).get(zero).get(y).get(zero).simd(SIMD.f32x4Gt).simd(SIMD.bitselect);
  f.get(y).get(y).simd(SIMD.f32x4Ne).simd(SIMD.bitselect);
}

/**
 * Batch-norm channel sums over `count` pixels of C = cb/4 channels (C a multiple of 4), with
 * d = x − center per channel: s1 += g, s2 += g·d, where g = d ('fwd': Σd and Σd²), g = dy
 * ('bwd'), or dy masked by the forward's ReLU output y ('bwdRelu'). s1, s2 hold float32 sums
 * that the caller flushes into float64 every few hundred pixels.
 * Params: (x, g, y, count, cb, center, s1, s2), addresses in bytes.
 */
export function bnSums(mode: BnSumsMode): Body {
  const P = { x: 0, g: 1, y: 2, count: 3, cb: 4, center: 5, s1: 6, s2: 7 };
  const f = new Body(8);
  const x = f.local(I32);
  const g = f.local(I32);
  const y = f.local(I32);
  const p = f.local(I32);
  const j = f.local(I32);
  const addr = f.local(I32);
  const d = f.local(V128);
  const gv = f.local(V128);
  const yv = f.local(V128);
  const zero = f.local(V128);
  f.simd(SIMD.const, ...ZERO16).set(zero);
  f.get(P.x).set(x).get(P.g).set(g).get(P.y).set(y).get(P.count).set(p);
  f.op(OP.block, OP.void, OP.loop, OP.void);
  f.get(p).i32(0).op(OP.leS, OP.brIf, 1);
  f.i32(0).set(j);
  f.op(OP.block, OP.void, OP.loop, OP.void);
  f.get(j).get(P.cb).op(OP.geU, OP.brIf, 1);
  f.get(x).simd(SIMD.load, ...mem(2)).get(P.center).get(j).op(OP.add).simd(SIMD.load, ...mem(2)).simd(SIMD.f32x4Sub).set(d);
  if (mode === 'fwd') f.get(d).set(gv);
  else {
    f.get(g).simd(SIMD.load, ...mem(2)).set(gv);
    if (mode === 'bwdRelu') {
      f.get(y).simd(SIMD.load, ...mem(2)).set(yv);
      reluMask(f, gv, yv, zero);
      f.set(gv);
    }
  }
  // s1[j] += g; s2[j] += g·d
  f.get(P.s1).get(j).op(OP.add).set(addr);
  f.get(addr).get(addr).simd(SIMD.load, ...mem(2)).get(gv).simd(SIMD.f32x4Add).simd(SIMD.store, ...mem(2));
  f.get(P.s2).get(j).op(OP.add).set(addr);
  f.get(addr).get(addr).simd(SIMD.load, ...mem(2)).get(gv).get(d).simd(SIMD.f32x4Mul).simd(SIMD.f32x4Add).simd(SIMD.store, ...mem(2));
  f.inc(x, 16).inc(j, 16);
  if (mode !== 'fwd') f.inc(g, 16);
  if (mode === 'bwdRelu') f.inc(y, 16);
  f.op(OP.br, 0, OP.end, OP.end);
  f.get(p).i32(1).op(OP.sub).set(p);
  f.op(OP.br, 0, OP.end, OP.end);
  return f;
}

/**
 * Batch-norm element pass over `count` pixels of C = cb/4 channels, per-channel vectors k, a, b:
 * 'fwd' out = a·x + b, 'fwdRelu' max(a·x + b, 0); 'bwd' out = k·dy + a·x + b, 'bwdRelu' the same
 * with dy masked by the forward's ReLU output y. `out` may be x (forward) or g (gradient).
 * Params: (x, g, y, out, count, cb, k, a, b), addresses in bytes.
 */
export function bnApply(mode: BnApplyMode): Body {
  const P = { x: 0, g: 1, y: 2, out: 3, count: 4, cb: 5, k: 6, a: 7, b: 8 };
  const f = new Body(9);
  const x = f.local(I32);
  const g = f.local(I32);
  const y = f.local(I32);
  const out = f.local(I32);
  const p = f.local(I32);
  const j = f.local(I32);
  const gv = f.local(V128);
  const yv = f.local(V128);
  const zero = f.local(V128);
  const backward = mode === 'bwd' || mode === 'bwdRelu';
  f.simd(SIMD.const, ...ZERO16).set(zero);
  f.get(P.x).set(x).get(P.g).set(g).get(P.y).set(y).get(P.out).set(out).get(P.count).set(p);
  f.op(OP.block, OP.void, OP.loop, OP.void);
  f.get(p).i32(0).op(OP.leS, OP.brIf, 1);
  f.i32(0).set(j);
  f.op(OP.block, OP.void, OP.loop, OP.void);
  f.get(j).get(P.cb).op(OP.geU, OP.brIf, 1);
  f.get(out);
  // a·x + b
  f.get(P.a).get(j).op(OP.add).simd(SIMD.load, ...mem(2)).get(x).simd(SIMD.load, ...mem(2)).simd(SIMD.f32x4Mul);
  f.get(P.b).get(j).op(OP.add).simd(SIMD.load, ...mem(2)).simd(SIMD.f32x4Add);
  if (backward) {
    f.get(g).simd(SIMD.load, ...mem(2)).set(gv);
    if (mode === 'bwdRelu') {
      f.get(y).simd(SIMD.load, ...mem(2)).set(yv);
      reluMask(f, gv, yv, zero);
      f.set(gv);
    }
    f.get(P.k).get(j).op(OP.add).simd(SIMD.load, ...mem(2)).get(gv).simd(SIMD.f32x4Mul).simd(SIMD.f32x4Add);
  }
  if (mode === 'fwdRelu') f.get(zero).simd(SIMD.f32x4Max);
  f.simd(SIMD.store, ...mem(2));
  f.inc(x, 16).inc(out, 16).inc(j, 16);
  if (backward) f.inc(g, 16);
  if (mode === 'bwdRelu') f.inc(y, 16);
  f.op(OP.br, 0, OP.end, OP.end);
  f.get(p).i32(1).op(OP.sub).set(p);
  f.op(OP.br, 0, OP.end, OP.end);
  return f;
}
