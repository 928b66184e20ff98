/**
 * A byte encoder for WebAssembly modules, written here rather than taken from a toolchain: the
 * kernels in this folder are a few hundred bytes of wasm SIMD each, generated at run time, so no
 * binary is committed and no compiler (wat2wasm, emscripten) is needed to build or change them.
 * LEB128 integers, vectors, sections, the opcodes the kernels use, and `Body`, a function body
 * under construction.
 */

export const I32 = 0x7f;
export const F32 = 0x7d;
export const V128 = 0x7b;

export function uleb(n: number): number[] {
  const out: number[] = [];
  do {
    let b = n & 0x7f;
    n >>>= 7;
    if (n !== 0) b |= 0x80;
    out.push(b);
  } while (n !== 0);
  return out;
}

export function sleb(n: number): number[] {
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

export function vec(items: number[][]): number[] {
  return [...uleb(items.length), ...items.flat()];
}

export function str(s: string): number[] {
  return vec([...s].map((ch) => [ch.charCodeAt(0)]));
}

export function section(id: number, body: number[]): number[] {
  return [id, ...uleb(body.length), ...body];
}

/** A function body under construction: parameters first, then locals declared with `local`. */
export class Body {
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

export const OP = {
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

export const SIMD = {
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
export function mem(align: number, offset = 0): number[] {
  return [align, ...uleb(offset)];
}

/** The 16 immediate bytes of a v128.const zero. */
export const ZERO16: number[] = new Array<number>(16).fill(0);
