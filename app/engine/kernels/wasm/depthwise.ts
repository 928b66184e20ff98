/** Depthwise convolution (forward, input gradient, filter gradient) on wasm SIMD. */
import { Body, F32, I32, OP, SIMD, V128, ZERO16, mem } from './encoder.js';

export const DW = ['fwd', 'bpi', 'bpf'] as const;
export type DwMode = (typeof DW)[number];

/**
 * One depthwise-convolution pass over `count` output pixels, channels innermost (cb = C·4 bytes,
 * of which the first cb4 four at a time, the rest one at a time), over a zero-padded image:
 * `table[p]` is the byte address of pixel p's window origin in it, `tapOffs[t]` the byte offset
 * of tap t from there, `w` the [taps, C] filter (or, for 'bpf', its float32 gradient sums),
 * `dense` the [count, C] rows of y ('fwd', written) or dy (read):
 *   'fwd' y[p, c] = Σ_t image[p, t, c] · w[t, c]
 *   'bpi' image[p, t, c] += dy[p, c] · w[t, c]        (image = the padded input gradient)
 *   'bpf' w[t, c] += image[p, t, c] · dy[p, c]
 * Params: (table, count, cb, cb4, taps, tapOffs, dense, w), addresses in bytes.
 */
export function depthwisePass(mode: DwMode): Body {
  const P = { table: 0, count: 1, cb: 2, cb4: 3, taps: 4, tapOffs: 5, dense: 6, w: 7 };
  const f = new Body(8);
  const p = f.local(I32);
  const tp = f.local(I32);
  const base = f.local(I32);
  const j = f.local(I32);
  const t = f.local(I32);
  const to = f.local(I32);
  const wp = f.local(I32);
  const d = f.local(I32);
  const addr = f.local(I32);
  const acc = f.local(V128);
  const g = f.local(V128);
  const accS = f.local(F32);
  const gS = f.local(F32);
  f.get(P.table).set(tp).get(P.dense).set(d).get(P.count).set(p);
  f.op(OP.block, OP.void, OP.loop, OP.void);
  f.get(p).i32(0).op(OP.leS, OP.brIf, 1);
  f.get(tp).op(OP.i32Load, ...mem(2)).set(base);
  f.i32(0).set(j);
  for (const vector of [true, false]) {
    const end = vector ? P.cb4 : P.cb;
    const load = () => (vector ? f.simd(SIMD.load, ...mem(2)) : f.op(OP.f32Load, ...mem(2)));
    const store = () => (vector ? f.simd(SIMD.store, ...mem(2)) : f.op(OP.f32Store, ...mem(2)));
    const add = () => (vector ? f.simd(SIMD.f32x4Add) : f.op(OP.f32Add));
    const mul = () => (vector ? f.simd(SIMD.f32x4Mul) : f.op(OP.f32Mul));
    const A = vector ? acc : accS;
    const G = vector ? g : gS;
    f.op(OP.block, OP.void, OP.loop, OP.void);
    f.get(j).get(end).op(OP.geU, OP.brIf, 1);
    if (mode === 'fwd') {
      if (vector) f.simd(SIMD.const, ...ZERO16).set(A);
      else f.op(OP.f32Const, 0, 0, 0, 0).set(A);
    } else {
      f.get(d).get(j).op(OP.add);
      load();
      f.set(G);
    }
    f.i32(0).set(t).get(P.tapOffs).set(to).get(P.w).get(j).op(OP.add).set(wp);
    f.op(OP.block, OP.void, OP.loop, OP.void);
    f.get(t).get(P.taps).op(OP.geU, OP.brIf, 1);
    f.get(base).get(to).op(OP.i32Load, ...mem(2)).op(OP.add).get(j).op(OP.add).set(addr);
    if (mode === 'fwd') {
      f.get(A).get(addr);
      load();
      f.get(wp);
      load();
      mul();
      add();
      f.set(A);
    } else if (mode === 'bpi') {
      f.get(addr).get(addr);
      load();
      f.get(G).get(wp);
      load();
      mul();
      add();
      store();
    } else {
      f.get(wp).get(wp);
      load();
      f.get(addr);
      load();
      f.get(G);
      mul();
      add();
      store();
    }
    f.inc(to, 4).addTo(wp, wp, P.cb).inc(t, 1);
    f.op(OP.br, 0, OP.end, OP.end);
    if (mode === 'fwd') {
      f.get(d).get(j).op(OP.add).get(A);
      store();
    }
    f.inc(j, vector ? 16 : 4);
    f.op(OP.br, 0, OP.end, OP.end);
  }
  f.inc(tp, 4).addTo(d, d, P.cb);
  f.get(p).i32(1).op(OP.sub).set(p);
  f.op(OP.br, 0, OP.end, OP.end);
  return f;
}

