/**
 * The matrix product, the same strided product as ../gemm.ts but 3–5× faster:
 *
 *   C[c + i·ldc + j] (+)= Σ_k A[a + i·aRow + k·aK] · B[b + k·ldb + j]      (i < m, j < n, k < depth)
 *
 * with every address and stride in bytes of one wasm linear memory, B and C row-major and n a
 * multiple of 8 (callers pad B and C with zero columns). A is read one element at a time
 * (`v128.load32_splat`), so any A strides work: A·B, Aᵀ·B. C is computed in blocks of 4 rows × 8
 * columns held in eight f32x4 locals (V8 keeps them in xmm registers), then one row at a time
 * for the last m % 4 rows. Sums are carried in float32.
 */
import { Body, I32, OP, SIMD, V128, ZERO16, mem } from './encoder.js';

/** Rows per register block of the main loop. */
export const GEMM_ROWS = 4;

/** `gemm(m, n, depth, a, aRow, aK, b, ldb, c, ldc, accumulate)`. */
export function gemmBody(): Body {
  const P = { m: 0, n: 1, depth: 2, a: 3, aRow: 4, aK: 5, b: 6, ldb: 7, c: 8, ldc: 9, acc: 10 };
  const f = new Body(11);
  const i = f.local(I32);
  const j = f.local(I32);
  const kk = f.local(I32);
  const ka = f.local(I32);
  const kb = f.local(I32);
  const pa = f.local(I32);
  const pc = f.local(I32);
  const pb = f.local(I32);
  const pcj = f.local(I32);
  const addr = f.local(I32);
  const aStep = f.local(I32);
  const cStep = f.local(I32);
  const rowA: number[] = [];
  const rowC: number[] = [];
  for (let r = 1; r < GEMM_ROWS; r++) {
    rowA[r] = f.local(I32);
    rowC[r] = f.local(I32);
  }
  const acc: number[][] = [];
  for (let r = 0; r < GEMM_ROWS; r++) acc.push([f.local(V128), f.local(V128)]);
  const b0 = f.local(V128);
  const b1 = f.local(V128);
  const s = f.local(V128);

  // rowA[r] = r·aRow, rowC[r] = r·ldc; aStep = ROWS·aRow, cStep = ROWS·ldc.
  for (let r = 1; r < GEMM_ROWS; r++) {
    f.get(P.aRow).i32(r).op(OP.mul).set(rowA[r]);
    f.get(P.ldc).i32(r).op(OP.mul).set(rowC[r]);
  }
  f.get(P.aRow).i32(GEMM_ROWS).op(OP.mul).set(aStep);
  f.get(P.ldc).i32(GEMM_ROWS).op(OP.mul).set(cStep);

  /** The column loop over one block of `rows` rows starting at A row address pa, C row address pc. */
  const columns = (rows: number) => {
    f.get(P.n).set(j).get(P.b).set(pb).get(pc).set(pcj);
    f.op(OP.block, OP.void, OP.loop, OP.void);
    f.get(j).i32(0).op(OP.leS, OP.brIf, 1);
    for (let r = 0; r < rows; r++) {
      for (const v of acc[r]) f.simd(SIMD.const, ...ZERO16).set(v);
    }
    f.get(pa).set(ka).get(pb).set(kb).get(P.depth).set(kk);
    f.op(OP.block, OP.void);
    f.get(kk).i32(0).op(OP.leS, OP.brIf, 0);
    f.op(OP.loop, OP.void);
    f.get(kb).simd(SIMD.load, ...mem(2)).set(b0);
    f.get(kb).simd(SIMD.load, ...mem(2, 16)).set(b1);
    for (let r = 0; r < rows; r++) {
      f.get(ka);
      if (r > 0) f.get(rowA[r]).op(OP.add);
      f.simd(SIMD.load32Splat, ...mem(2)).set(s);
      f.get(acc[r][0]).get(s).get(b0).simd(SIMD.f32x4Mul).simd(SIMD.f32x4Add).set(acc[r][0]);
      f.get(acc[r][1]).get(s).get(b1).simd(SIMD.f32x4Mul).simd(SIMD.f32x4Add).set(acc[r][1]);
    }
    f.addTo(ka, ka, P.aK).addTo(kb, kb, P.ldb);
    f.get(kk).i32(1).op(OP.sub).set(kk);
    f.get(kk).op(OP.brIf, 0);
    f.op(OP.end, OP.end);
    for (let r = 0; r < rows; r++) {
      f.get(pcj);
      if (r > 0) f.get(rowC[r]).op(OP.add);
      f.set(addr);
      f.get(P.acc).op(OP.if, OP.void);
      f.get(acc[r][0]).get(addr).simd(SIMD.load, ...mem(2)).simd(SIMD.f32x4Add).set(acc[r][0]);
      f.get(acc[r][1]).get(addr).simd(SIMD.load, ...mem(2, 16)).simd(SIMD.f32x4Add).set(acc[r][1]);
      f.op(OP.end);
      f.get(addr).get(acc[r][0]).simd(SIMD.store, ...mem(2));
      f.get(addr).get(acc[r][1]).simd(SIMD.store, ...mem(2, 16));
    }
    f.inc(pb, 32).inc(pcj, 32);
    f.get(j).i32(8).op(OP.sub).set(j);
    f.op(OP.br, 0, OP.end, OP.end);
  };

  // Row blocks of GEMM_ROWS, then single rows.
  f.get(P.m).set(i).get(P.a).set(pa).get(P.c).set(pc);
  f.op(OP.block, OP.void, OP.loop, OP.void);
  f.get(i).i32(GEMM_ROWS).op(OP.ltS, OP.brIf, 1);
  columns(GEMM_ROWS);
  f.addTo(pa, pa, aStep).addTo(pc, pc, cStep);
  f.get(i).i32(GEMM_ROWS).op(OP.sub).set(i);
  f.op(OP.br, 0, OP.end, OP.end);
  f.op(OP.block, OP.void, OP.loop, OP.void);
  f.get(i).i32(0).op(OP.leS, OP.brIf, 1);
  columns(1);
  f.addTo(pa, pa, P.aRow).addTo(pc, pc, P.ldc);
  f.get(i).i32(1).op(OP.sub).set(i);
  f.op(OP.br, 0, OP.end, OP.end);

  return f;
}
