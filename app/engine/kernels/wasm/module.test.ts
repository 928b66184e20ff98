/**
 * The wasm SIMD product against the JS product of gemm.ts (float64 sums) on random sizes, every
 * operand layout the convolution kernels use (A·B, Aᵀ·B), overwrite and accumulate; and the
 * switch that sends the kernels back to the JS product.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { gemm } from '../gemm.js';
import { moduleBytes, useWasmKernels, wasmApi, wasmKernels } from './module.js';
import { Rng } from '../../../model/random.js';

// These tests are about the module itself: on even where SEPRUNE_WASM=0 turned it off.
useWasmKernels(true);

test('the generated module validates, and compiles as a shared-memory variant too', () => {
  assert.ok(wasmApi?.validate(moduleBytes()));
  assert.ok(wasmApi?.validate(moduleBytes(true)));
});

test('wasm gemm equals the JS gemm for A·B and Aᵀ·B, overwrite and accumulate', () => {
  const W = wasmKernels();
  assert.ok(W);
  const rng = new Rng(17);
  for (let t = 0; t < 80; t++) {
    const m = 1 + Math.floor(rng.next() * 37);
    const n = 8 * (1 + Math.floor(rng.next() * 5));
    const depth = Math.floor(rng.next() * 40); // 0 included: C = 0 (or unchanged)
    const transposed = rng.next() < 0.5;
    const accumulate = rng.next() < 0.5;
    const a = Float32Array.from(rng.normalArray(m * depth, 1));
    const b = Float32Array.from(rng.normalArray(depth * n, 1));
    const c0 = Float32Array.from(rng.normalArray(m * n, 1));
    // A is m×depth row-major, or (transposed) depth×m row-major read as its transpose.
    const aRow = transposed ? 1 : depth;
    const aK = transposed ? m : 1;
    const ref = Float32Array.from(c0);
    gemm(m, n, depth, { data: a, off: 0, row: aRow, k: aK }, { data: b, off: 0, col: 1, k: n }, { data: ref, off: 0, ld: n }, accumulate);
    // Place the operands at odd (but 4-byte aligned) offsets to catch address arithmetic slips.
    const aOff = 3;
    const bOff = aOff + a.length + 5;
    const cOff = bOff + b.length + 1;
    const F = new Float32Array(W.reserve((cOff + c0.length + 8) * 4));
    F.set(a, aOff);
    F.set(b, bOff);
    F.set(c0, cOff);
    W.gemm(m, n, depth, aOff * 4, aRow * 4, aK * 4, bOff * 4, n * 4, cOff * 4, n * 4, accumulate ? 1 : 0);
    const got = F.subarray(cOff, cOff + c0.length);
    for (let i = 0; i < ref.length; i++) {
      assert.ok(Math.abs(got[i] - ref[i]) <= 1e-5 * (1 + depth), `m ${m} n ${n} depth ${depth} T ${transposed} acc ${accumulate} at ${i}: ${got[i]} vs ${ref[i]}`);
    }
  }
});

test('useWasmKernels(false) sends the kernels back to the JS product', () => {
  const was = useWasmKernels(false);
  try {
    assert.equal(wasmKernels(), null);
  } finally {
    useWasmKernels(was);
  }
  assert.ok(wasmKernels());
});

test('gather and scatterAdd move runs of floats (4 at a time and the tail) between patches and rows', () => {
  const W = wasmKernels();
  assert.ok(W);
  const F = new Float32Array(W.reserve(1 << 16));
  const I = new Int32Array(F.buffer);
  for (let i = 0; i < 1000; i++) F[i] = i;
  // Two patches based at floats 10 and 100, each 2 runs of 6 floats 50 apart, rows 12 apart.
  I[2000] = 10 * 4;
  I[2001] = 100 * 4;
  F.fill(-1, 3000, 3030);
  W.gather(2000 * 4, 2, 3000 * 4, 15 * 4, 6, 2, 50 * 4);
  const row = (p: number) => Array.from(F.subarray(3000 + 15 * p, 3000 + 15 * p + 15));
  assert.deepEqual(row(0), [10, 11, 12, 13, 14, 15, 60, 61, 62, 63, 64, 65, -1, -1, -1]);
  assert.deepEqual(row(1), [100, 101, 102, 103, 104, 105, 150, 151, 152, 153, 154, 155, -1, -1, -1]);
  F.fill(1, 0, 1000);
  W.scatterAdd(2000 * 4, 2, 3000 * 4, 15 * 4, 6, 2, 50 * 4);
  for (const [i, v] of [[9, 1], [10, 11], [15, 16], [16, 1], [60, 61], [65, 66], [66, 1], [105, 106], [155, 156], [156, 1]]) assert.equal(F[i], v, `float ${i}`);
});
