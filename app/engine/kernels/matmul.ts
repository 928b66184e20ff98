/**
 * BatchMatMul (the dense layers and the SE fully-connected layers) on the matrix products of this
 * folder: the wasm SIMD product where it runs, else the strided JS product. tfjs-backend-cpu's
 * own blocked loop runs at a few hundred MFLOP/s, which made MobileNetV3-Small's 576×1024
 * classifier layer (forward and both gradients) over half of a training step.
 *
 * C[b] = op(A[b]) · op(B[b]) with op a transpose where the attribute says so, batch dimensions
 * equal or one side's of size 1 (broadcast, as tfjs' `b % batchDim`); anything else is null.
 */
import * as tf from '@tensorflow/tfjs-core';
import { values, type FastKernel } from './conv-kernels.js';
import { gemm } from './gemm.js';
import { withWasm, type WasmKernels } from './wasm/module.js';

const pad8 = (n: number) => (n + 7) & ~7;
const pad4 = (n: number) => (n + 3) & ~3;

export interface MatMulShape {
  batchA: number;
  batchB: number;
  m: number;
  n: number;
  k: number;
  transposeA: boolean;
  transposeB: boolean;
}

/** [batch, m, n] = op(A) · op(B), A [batchA, m, k] (or [batchA, k, m] transposed), B [batchB, k, n] (or [batchB, n, k]). */
export function batchMatMul(s: MatMulShape, a: Float32Array, b: Float32Array): Float32Array {
  const viaWasm = withWasm((W) => matMulWasm(W, s, a, b));
  if (viaWasm) return viaWasm;
  const { m, n, k, transposeA, transposeB } = s;
  const batch = Math.max(s.batchA, s.batchB);
  const out = new Float32Array(batch * m * n);
  for (let i = 0; i < batch; i++) {
    const aOff = (i % s.batchA) * m * k;
    const bOff = (i % s.batchB) * k * n;
    gemm(
      m,
      n,
      k,
      { data: a, off: aOff, row: transposeA ? 1 : k, k: transposeA ? m : 1 },
      { data: b, off: bOff, col: transposeB ? k : 1, k: transposeB ? 1 : n },
      { data: out, off: i * m * n, ld: n },
      false,
    );
  }
  return out;
}

function matMulWasm(W: WasmKernels, s: MatMulShape, a: Float32Array, b: Float32Array): Float32Array {
  const { m, n, k, transposeA, transposeB } = s;
  const batch = Math.max(s.batchA, s.batchB);
  const Np = pad8(n);
  const aSize = pad4(s.batchA * m * k);
  const bSize = s.batchB * k * Np;
  const F = new Float32Array(W.reserve((aSize + bSize + m * Np) * 4));
  const aAt = 0;
  const bAt = aSize;
  const cAt = aSize + bSize;
  F.set(a, aAt);
  // B as row-major k × Np, zero columns past n.
  for (let i = 0; i < s.batchB; i++) {
    const src = i * k * n;
    const dst = bAt + i * k * Np;
    if (!transposeB) {
      if (Np === n) F.set(b.subarray(src, src + k * n), dst);
      else {
        for (let r = 0; r < k; r++) {
          F.set(b.subarray(src + r * n, src + (r + 1) * n), dst + r * Np);
          F.fill(0, dst + r * Np + n, dst + (r + 1) * Np);
        }
      }
    } else {
      // b holds [n, k]: element (kk, j) at j·k + kk.
      for (let r = 0; r < k; r++) {
        const row = dst + r * Np;
        for (let j = 0; j < n; j++) F[row + j] = b[src + j * k + r];
        F.fill(0, row + n, row + Np);
      }
    }
  }
  const out = new Float32Array(batch * m * n);
  for (let i = 0; i < batch; i++) {
    const aOff = (aAt + (i % s.batchA) * m * k) * 4;
    const bOff = (bAt + (i % s.batchB) * k * Np) * 4;
    W.gemm(m, Np, k, aOff, (transposeA ? 1 : k) * 4, (transposeA ? m : 1) * 4, bOff, Np * 4, cAt * 4, Np * 4, 0);
    const o = i * m * n;
    if (Np === n) out.set(F.subarray(cAt, cAt + m * n), o);
    else for (let r = 0; r < m; r++) out.set(F.subarray(cAt + r * Np, cAt + r * Np + n), o + r * n);
  }
  return out;
}

export const matMulKernels: Record<string, FastKernel> = {
  BatchMatMul: ({ inputs, attrs = {} }, backend) => {
    const { a, b } = inputs;
    if (!a || !b || a.shape.length < 2 || b.shape.length < 2) return null;
    const av = values(backend, a);
    const bv = values(backend, b);
    if (!av || !bv) return null;
    const transposeA = attrs.transposeA === true;
    const transposeB = attrs.transposeB === true;
    const ra = a.shape.length;
    const rb = b.shape.length;
    const m = transposeA ? a.shape[ra - 1] : a.shape[ra - 2];
    const k = transposeA ? a.shape[ra - 2] : a.shape[ra - 1];
    const kb = transposeB ? b.shape[rb - 1] : b.shape[rb - 2];
    const n = transposeB ? b.shape[rb - 2] : b.shape[rb - 1];
    if (k !== kb) return null; // tfjs' kernel reports the mismatch
    const outerA = a.shape.slice(0, -2);
    const outerB = b.shape.slice(0, -2);
    const batchA = tf.util.sizeFromShape(outerA);
    const batchB = tf.util.sizeFromShape(outerB);
    if (batchA !== batchB && batchA !== 1 && batchB !== 1) return null;
    let outer: number[];
    try {
      outer = tf.backend_util.assertAndGetBroadcastShape(outerA, outerB);
    } catch {
      return null;
    }
    if (tf.util.sizeFromShape(outer) !== Math.max(batchA, batchB)) return null;
    const out = batchMatMul({ batchA, batchB, m, n, k, transposeA, transposeB }, av, bv);
    return backend.makeTensorInfo([...outer, m, n], 'float32', out);
  },
};
