/**
 * The wasm SIMD (f32x4) kernels as one module: the matrix product (gemm.ts), the im2col/col2im
 * copies (patch-rows.ts), batch norm (batchnorm.ts) and depthwise convolution (depthwise.ts),
 * assembled by `moduleBytes()` with the encoder (encoder.ts) and compiled on first use. The
 * module is not a committed binary: it is a few hundred bytes written here. Where WebAssembly or
 * its SIMD proposal is missing (or SEPRUNE_WASM=0), `wasmKernels()` returns null and the kernels
 * use their JS loops.
 */
import { I32, section, str, uleb, vec, type Body } from './encoder.js';
import { gemmBody } from './gemm.js';
import { patchRows } from './patch-rows.js';
import { BN_APPLY, BN_SUMS, bnApply, bnSums, type BnApplyMode, type BnSumsMode } from './batchnorm.js';
import { DW, depthwisePass, type DwMode } from './depthwise.js';

export { GEMM_ROWS } from './gemm.js';
export type { BnApplyMode, BnSumsMode } from './batchnorm.js';
export type { DwMode } from './depthwise.js';

/**
 * The module's bytes: imports `env.mem` (shared when `shared`), exports `gemm`, `gather`,
 * `scatterAdd`, `bnSums_<mode>`, `bnApply_<mode>` and `dw_<mode>`.
 */
export function moduleBytes(shared = false): Uint8Array {
  const gemmType = [0x60, ...vec(new Array(11).fill([I32])), 0];
  const rowsType = [0x60, ...vec(new Array(7).fill([I32])), 0];
  const bnSumsType = [0x60, ...vec(new Array(8).fill([I32])), 0];
  const bnApplyType = [0x60, ...vec(new Array(9).fill([I32])), 0];
  const dwType = [0x60, ...vec(new Array(8).fill([I32])), 0];
  const type = section(1, vec([gemmType, rowsType, bnSumsType, bnApplyType, dwType]));
  const limits = shared ? [0x03, ...uleb(1), ...uleb(65536)] : [0x00, ...uleb(1)];
  const imports = section(2, vec([[...str('env'), ...str('mem'), 0x02, ...limits]]));
  const bodies: [string, number, Body][] = [
    ['gemm', 0, gemmBody()],
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

export type GemmFn = (m: number, n: number, depth: number, a: number, aRow: number, aK: number, b: number, ldb: number, c: number, ldc: number, accumulate: number) => void;
export type BnSumsFn = (x: number, g: number, y: number, count: number, cb: number, center: number, s1: number, s2: number) => void;
export type BnApplyFn = (x: number, g: number, y: number, out: number, count: number, cb: number, k: number, a: number, b: number) => void;
export type DwFn = (table: number, count: number, cb: number, cb4: number, taps: number, tapOffs: number, dense: number, w: number) => void;
export type PatchRowsFn = (table: number, count: number, rows: number, ld: number, len: number, segs: number, segStride: number) => void;

/** The compiled kernels and the memory they work in; `reserve` grows the memory (views must be re-made after). */
export interface WasmKernels {
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

let instance: WasmKernels | null | undefined;
let enabled = (globalThis as { process?: { env?: Record<string, string | undefined> } }).process?.env?.SEPRUNE_WASM !== '0';

function build(): WasmKernels | null {
  const wasm = wasmApi;
  if (!wasm) return null;
  try {
    const bytes = moduleBytes();
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

/** The wasm kernels, or null when it cannot run here or is turned off. */
export function wasmKernels(): WasmKernels | null {
  if (!enabled) return null;
  if (instance === undefined) instance = build();
  return instance;
}

/**
 * `run(W)` on the wasm module, or null when the module cannot run here (then the caller uses
 * its JS loops) or when its memory cannot grow to the operands' size (RangeError from
 * `memory.grow`: a very large tensor; the JS loops need no such contiguous block).
 */
export function withWasm<T>(run: (W: WasmKernels) => T): T | null {
  const W = wasmKernels();
  if (!W) return null;
  try {
    return run(W);
  } catch (e) {
    if (e instanceof RangeError) return null;
    throw e;
  }
}

/** Turns the wasm kernels on or off (tests compare both paths); returns the previous setting. */
export function useWasmKernels(on: boolean): boolean {
  const was = enabled;
  enabled = on;
  return was;
}
