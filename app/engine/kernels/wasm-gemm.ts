/**
 * A WebAssembly SIMD (f32x4) matrix product, the same strided product as gemm.ts but 3–5× faster:
 *
 *   C[c + i·ldc + j] (+)= Σ_k A[a + i·aRow + k·aK] · B[b + k·ldb + j]      (i < m, j < n, k < depth)
 *
 * with every address and stride in bytes of one wasm linear memory, B and C row-major and n a
 * multiple of 8 (callers pad B and C with zero columns). A is read one element at a time
 * (`v128.load32_splat`), so any A strides work: A·B, Aᵀ·B. C is computed in blocks of 4 rows × 8
 * columns held in eight f32x4 locals (V8 keeps them in xmm registers), then one row at a time
 * for the last m % 4 rows. Sums are carried in float32.
 *
 * The module is not a committed binary: `gemmModuleBytes()` writes it here, a few hundred bytes,
 * and it is compiled on first use. Where WebAssembly or its SIMD proposal is missing (or
 * SEPRUNE_WASM=0), `wasmGemm()` returns null and the kernels use gemm.ts.
 */

const I32 = 0x7f;
const V128 = 0x7b;

function uleb(n: number): number[] {
  const out: number[] = [];
  do {
    let b = n & 0x7f;
    n >>>= 7;
    if (n !== 0) b |= 0x80;
    out.push(b);
  } while (n !== 0);
  return out;
}

function sleb(n: number): number[] {
  const out: number[] = [];
  for (;;) {
    const b = n & 0x7f;
    n >>= 7;
    if ((n === 0 && (b & 0x40) === 0) || (n === -1 && (b & 0x40) !== 0)) {
      out.push(b);
      return out;
    }
    out.push(b | 0x80);
  }
}

function vec(items: number[][]): number[] {
  return [...uleb(items.length), ...items.flat()];
}

function str(s: string): number[] {
  return vec([...s].map((ch) => [ch.charCodeAt(0)]));
}

function section(id: number, body: number[]): number[] {
  return [id, ...uleb(body.length), ...body];
}

/** A function body under construction: parameters first, then locals declared with `local`. */
class Body {
  readonly code: number[] = [];
  private readonly localTypes: number[] = [];
  constructor(private readonly params: number) {}
  local(type: number): number {
    this.localTypes.push(type);
    return this.params + this.localTypes.length - 1;
  }
  get(i: number): this {
    this.code.push(0x20, ...uleb(i));
    return this;
  }
  set(i: number): this {
    this.code.push(0x21, ...uleb(i));
    return this;
  }
  i32(n: number): this {
    this.code.push(0x41, ...sleb(n));
    return this;
  }
  op(...bytes: number[]): this {
    this.code.push(...bytes);
    return this;
  }
  simd(op: number, ...imm: number[]): this {
    this.code.push(0xfd, ...uleb(op), ...imm);
    return this;
  }
  /** local[dst] = local[a] + local[b] (i32). */
  addTo(dst: number, a: number, b: number): this {
    return this.get(a).get(b).op(OP.add).set(dst);
  }
  /** local[dst] += constant (i32). */
  inc(dst: number, by: number): this {
    return this.get(dst).i32(by).op(OP.add).set(dst);
  }
  encode(): number[] {
    const groups: number[][] = this.localTypes.map((t) => [1, t]);
    const body = [...vec(groups), ...this.code, OP.end];
    return [...uleb(body.length), ...body];
  }
}

const OP = {
  block: 0x02,
  loop: 0x03,
  if: 0x04,
  end: 0x0b,
  br: 0x0c,
  brIf: 0x0d,
  void: 0x40,
  eqz: 0x45,
  leS: 0x4c,
  ltS: 0x48,
  geU: 0x4f,
  add: 0x6a,
  sub: 0x6b,
  mul: 0x6c,
  and: 0x71,
  i32Load: 0x28,
  f32Load: 0x2a,
  f32Store: 0x38,
  f32Add: 0x92,
  f32Mul: 0x94,
  f32Const: 0x43,
} as const;

const SIMD = {
  load: 0x00,
  load32Splat: 0x09,
  store: 0x0b,
  const: 0x0c,
  f32x4Add: 0xe4,
  f32x4Sub: 0xe5,
  f32x4Mul: 0xe6,
  f32x4Max: 0xe9,
  f32x4Ne: 0x42,
  f32x4Gt: 0x44,
  bitselect: 0x52,
} as const;

/** memarg: alignment hint log2 and a constant offset. */
function mem(align: number, offset = 0): number[] {
  return [align, ...uleb(offset)];
}

/** Rows per register block of the main loop. */
export const GEMM_ROWS = 4;

/**
 * The module's bytes: imports `env.mem` (shared when `shared`), exports
 * `gemm(m, n, depth, a, aRow, aK, b, ldb, c, ldc, accumulate)`.
 */
export function gemmModuleBytes(shared = false): Uint8Array {
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
      for (const v of acc[r]) f.simd(SIMD.const, ...new Array<number>(16).fill(0)).set(v);
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

  const gemmType = [0x60, ...vec(new Array(11).fill([I32])), 0];
  const rowsType = [0x60, ...vec(new Array(7).fill([I32])), 0];
  const bnSumsType = [0x60, ...vec(new Array(8).fill([I32])), 0];
  const bnApplyType = [0x60, ...vec(new Array(9).fill([I32])), 0];
  const dwType = [0x60, ...vec(new Array(8).fill([I32])), 0];
  const type = section(1, vec([gemmType, rowsType, bnSumsType, bnApplyType, dwType]));
  const limits = shared ? [0x03, ...uleb(1), ...uleb(65536)] : [0x00, ...uleb(1)];
  const imports = section(2, vec([[...str('env'), ...str('mem'), 0x02, ...limits]]));
  const bodies: [string, number, Body][] = [
    ['gemm', 0, f],
    ['gather', 1, patchRows(false)],
    ['scatterAdd', 1, patchRows(true)],
    ...BN_SUMS.map((mode): [string, number, Body] => [`bnSums_${mode}`, 2, bnSums(mode)]),
    ...BN_APPLY.map((mode): [string, number, Body] => [`bnApply_${mode}`, 3, bnApply(mode)]),
    ...DW.map((mode): [string, number, Body] => [`dw_${mode}`, 4, depthwisePass(mode)]),
  ];
  const funcs = section(3, vec(bodies.map(([, t]) => [t])));
  const exports = section(7, vec(bodies.map(([name], i) => [...str(name), 0x00, i])));
  const code = section(10, [...uleb(bodies.length), ...bodies.flatMap(([, , b]) => b.encode())]);
  return new Uint8Array([0x00, 0x61, 0x73, 0x6d, 0x01, 0x00, 0x00, 0x00, ...type, ...imports, ...funcs, ...exports, ...code]);
}

/**
 * The part of the WebAssembly JS API used here (the project's TypeScript lib is ES2023 without
 * DOM, which leaves WebAssembly undeclared); read from globalThis so a host without it is a
 * plain null, not a ReferenceError.
 */
export interface WasmMemory {
  readonly buffer: ArrayBuffer;
  grow(pages: number): number;
}
interface WasmApi {
  validate(bytes: Uint8Array): boolean;
  Memory: new (d: { initial: number; maximum?: number; shared?: boolean }) => WasmMemory;
  Module: new (bytes: Uint8Array) => object;
  Instance: new (module: object, imports: Record<string, Record<string, unknown>>) => { exports: Record<string, unknown> };
}
export const wasmApi = (globalThis as { WebAssembly?: WasmApi }).WebAssembly;

/**
 * `gather(table, count, rows, ld, len, segs, segStride)` copies, for each of `count` patches,
 * `segs` runs of `len` floats starting at `table[p] + s·segStride` (bytes) one after another into
 * the row of `rows` that starts at `rows + p·ld` (im2col); `scatterAdd` with the same arguments
 * adds each row back onto its runs (col2im), patch by patch in order. Four floats at a time,
 * then one at a time. Addresses and strides in bytes.
 */
function patchRows(add: boolean): Body {
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

const BN_SUMS = ['fwd', 'bwd', 'bwdRelu'] as const;
const BN_APPLY = ['fwd', 'fwdRelu', 'bwd', 'bwdRelu'] as const;
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
function bnSums(mode: BnSumsMode): Body {
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
  f.simd(SIMD.const, ...new Array<number>(16).fill(0)).set(zero);
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
function bnApply(mode: BnApplyMode): Body {
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
  f.simd(SIMD.const, ...new Array<number>(16).fill(0)).set(zero);
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

const DW = ['fwd', 'bpi', 'bpf'] as const;
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
function depthwisePass(mode: DwMode): Body {
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
  const accS = f.local(0x7d);
  const gS = f.local(0x7d);
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
      if (vector) f.simd(SIMD.const, ...new Array<number>(16).fill(0)).set(A);
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

export type GemmFn = (m: number, n: number, depth: number, a: number, aRow: number, aK: number, b: number, ldb: number, c: number, ldc: number, accumulate: number) => void;
export type BnSumsFn = (x: number, g: number, y: number, count: number, cb: number, center: number, s1: number, s2: number) => void;
export type BnApplyFn = (x: number, g: number, y: number, out: number, count: number, cb: number, k: number, a: number, b: number) => void;
export type DwFn = (table: number, count: number, cb: number, cb4: number, taps: number, tapOffs: number, dense: number, w: number) => void;
export type PatchRowsFn = (table: number, count: number, rows: number, ld: number, len: number, segs: number, segStride: number) => void;

/** The compiled product and the memory it works in; `reserve` grows the memory (views must be re-made after). */
export interface WasmGemm {
  memory: WasmMemory;
  gemm: GemmFn;
  gather: PatchRowsFn;
  scatterAdd: PatchRowsFn;
  bnSums: Record<BnSumsMode, BnSumsFn>;
  bnApply: Record<BnApplyMode, BnApplyFn>;
  depthwise: Record<DwMode, DwFn>;
  /** Makes the memory at least `bytes` long and returns its buffer. */
  reserve(bytes: number): ArrayBuffer;
}

let instance: WasmGemm | null | undefined;
let enabled = (globalThis as { process?: { env?: Record<string, string | undefined> } }).process?.env?.SEPRUNE_WASM !== '0';

function build(): WasmGemm | null {
  const wasm = wasmApi;
  if (!wasm) return null;
  try {
    const bytes = gemmModuleBytes();
    if (!wasm.validate(bytes)) return null; // no SIMD in this engine
    const memory = new wasm.Memory({ initial: 1 });
    const inst = new wasm.Instance(new wasm.Module(bytes), { env: { mem: memory } });
    return {
      memory,
      gemm: inst.exports.gemm as GemmFn,
      gather: inst.exports.gather as PatchRowsFn,
      scatterAdd: inst.exports.scatterAdd as PatchRowsFn,
      bnSums: Object.fromEntries(BN_SUMS.map((m) => [m, inst.exports[`bnSums_${m}`] as BnSumsFn])) as Record<BnSumsMode, BnSumsFn>,
      bnApply: Object.fromEntries(BN_APPLY.map((m) => [m, inst.exports[`bnApply_${m}`] as BnApplyFn])) as Record<BnApplyMode, BnApplyFn>,
      depthwise: Object.fromEntries(DW.map((m) => [m, inst.exports[`dw_${m}`] as DwFn])) as Record<DwMode, DwFn>,
      reserve(bytes: number) {
        const have = memory.buffer.byteLength;
        if (bytes > have) memory.grow(Math.ceil((bytes - have) / 65536));
        return memory.buffer;
      },
    };
  } catch {
    return null;
  }
}

/** The wasm product, or null when it cannot run here or is turned off. */
export function wasmGemm(): WasmGemm | null {
  if (!enabled) return null;
  if (instance === undefined) instance = build();
  return instance;
}

/**
 * `run(W)` on the wasm module, or null when the module cannot run here (then the caller uses
 * its JS loops) or when its memory cannot grow to the operands' size (RangeError from
 * `memory.grow`: a very large tensor; the JS loops need no such contiguous block).
 */
export function withWasm<T>(run: (W: WasmGemm) => T): T | null {
  const W = wasmGemm();
  if (!W) return null;
  try {
    return run(W);
  } catch (e) {
    if (e instanceof RangeError) return null;
    throw e;
  }
}

/** Turns the wasm product on or off (tests compare both paths); returns the previous setting. */
export function useWasmGemm(on: boolean): boolean {
  const was = enabled;
  enabled = on;
  return was;
}
