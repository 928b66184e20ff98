/** The im2col / col2im copies on wasm SIMD. */
import { Body, I32, OP, SIMD, mem } from './encoder.js';

/**
 * `gather(table, count, rows, ld, len, segs, segStride)` copies, for each of `count` patches,
 * `segs` runs of `len` floats starting at `table[p] + s·segStride` (bytes) one after another into
 * the row of `rows` that starts at `rows + p·ld` (im2col); `scatterAdd` with the same arguments
 * adds each row back onto its runs (col2im), patch by patch in order. Four floats at a time,
 * then one at a time. Addresses and strides in bytes.
 */
export function patchRows(add: boolean): Body {
  const P = { table: 0, count: 1, rows: 2, ld: 3, len: 4, segs: 5, segStride: 6 };
  const f = new Body(7);
  const p = f.local(I32);
  const s = f.local(I32);
  const base = f.local(I32);
  const src = f.local(I32);
  const end = f.local(I32);
  const vecEnd = f.local(I32);
  const buf = f.local(I32);
  const row = f.local(I32);
  f.get(P.rows).set(row).get(P.table).set(p);
  // p walks the table: end of table = table + 4·count.
  f.get(P.table).get(P.count).i32(4).op(OP.mul).op(OP.add).set(end);
  f.op(OP.block, OP.void, OP.loop, OP.void);
  f.get(p).get(end).op(OP.geU, OP.brIf, 1);
  f.get(p).op(OP.i32Load, ...mem(2)).set(base);
  f.get(P.segs).set(s).get(row).set(buf);
  f.op(OP.block, OP.void, OP.loop, OP.void);
  f.get(s).i32(0).op(OP.leS, OP.brIf, 1);
  f.get(base).set(src);
  // vecEnd = src + 4·(len − len % 4): the end of the part moved four floats at a time.
  f.get(src).get(P.len).i32(-4).op(OP.and).i32(4).op(OP.mul).op(OP.add).set(vecEnd);
  f.op(OP.block, OP.void, OP.loop, OP.void);
  f.get(src).get(vecEnd).op(OP.geU, OP.brIf, 1);
  if (add) f.get(src).get(src).simd(SIMD.load, ...mem(2)).get(buf).simd(SIMD.load, ...mem(2)).simd(SIMD.f32x4Add).simd(SIMD.store, ...mem(2));
  else f.get(buf).get(src).simd(SIMD.load, ...mem(2)).simd(SIMD.store, ...mem(2));
  f.inc(src, 16).inc(buf, 16);
  f.op(OP.br, 0, OP.end, OP.end);
  // The last len % 4 floats.
  f.get(base).get(P.len).i32(4).op(OP.mul).op(OP.add).set(vecEnd);
  f.op(OP.block, OP.void, OP.loop, OP.void);
  f.get(src).get(vecEnd).op(OP.geU, OP.brIf, 1);
  if (add) f.get(src).get(src).op(OP.f32Load, ...mem(2)).get(buf).op(OP.f32Load, ...mem(2)).op(OP.f32Add, OP.f32Store, ...mem(2));
  else f.get(buf).get(src).op(OP.f32Load, ...mem(2), OP.f32Store, ...mem(2));
  f.inc(src, 4).inc(buf, 4);
  f.op(OP.br, 0, OP.end, OP.end);
  f.addTo(base, base, P.segStride);
  f.get(s).i32(1).op(OP.sub).set(s);
  f.op(OP.br, 0, OP.end, OP.end);
  f.inc(p, 4).addTo(row, row, P.ld);
  f.op(OP.br, 0, OP.end, OP.end);
  return f;
}
