/**
 * A strided matrix product on Float32Array, the one inner loop every convolution kernel in this
 * folder reduces to:
 *
 *   C[cOff + i·ldc + j] (+)= Σ_k A[aOff + i·aRow + k·aK] · B[bOff + j·bCol + k·bK]
 *
 * for i < m, j < n, k < depth. The strides make one routine cover A·B, Aᵀ·B and A·Bᵀ without
 * copying: the caller says how to step along each operand. The body works on 4×4 blocks of C
 * held in local variables (V8 keeps them in registers), so each step of the k loop does 8 loads
 * for 16 multiply-adds; the ragged edges fall back to plain dot products. Sums are carried in
 * float64 and rounded once when stored.
 */

/** Operand A: element (i, k) lies at `off + i·row + k·k`. */
export interface OperandA {
  data: Float32Array;
  off: number;
  row: number;
  k: number;
}

/** Operand B: element (k, j) lies at `off + j·col + k·k`. */
export interface OperandB {
  data: Float32Array;
  off: number;
  col: number;
  k: number;
}

/** Output C: element (i, j) lies at `off + i·ld + j`. */
export interface OperandC {
  data: Float32Array;
  off: number;
  ld: number;
}

/**
 * C (+)= A·B over an m×n block with `depth` terms per element; `accumulate` false overwrites C.
 */
export function gemm(m: number, n: number, depth: number, a: OperandA, b: OperandB, c: OperandC, accumulate: boolean): void {
  const A = a.data;
  const B = b.data;
  const C = c.data;
  const aRow = a.row;
  const aK = a.k;
  const bCol = b.col;
  const bK = b.k;
  const ldc = c.ld;
  const m4 = m - (m % 4);
  const n4 = n - (n % 4);
  const aEnd = depth * aK;
  for (let i = 0; i < m4; i += 4) {
    const pa0 = a.off + i * aRow;
    const pa1 = pa0 + aRow;
    const pa2 = pa1 + aRow;
    const pa3 = pa2 + aRow;
    const pc0 = c.off + i * ldc;
    for (let j = 0; j < n4; j += 4) {
      const pb0 = b.off + j * bCol;
      const pb1 = pb0 + bCol;
      const pb2 = pb1 + bCol;
      const pb3 = pb2 + bCol;
      let c00 = 0, c01 = 0, c02 = 0, c03 = 0;
      let c10 = 0, c11 = 0, c12 = 0, c13 = 0;
      let c20 = 0, c21 = 0, c22 = 0, c23 = 0;
      let c30 = 0, c31 = 0, c32 = 0, c33 = 0;
      for (let ka = 0, kb = 0; ka !== aEnd; ka += aK, kb += bK) {
        const b0 = B[pb0 + kb];
        const b1 = B[pb1 + kb];
        const b2 = B[pb2 + kb];
        const b3 = B[pb3 + kb];
        const a0 = A[pa0 + ka];
        c00 += a0 * b0;
        c01 += a0 * b1;
        c02 += a0 * b2;
        c03 += a0 * b3;
        const a1 = A[pa1 + ka];
        c10 += a1 * b0;
        c11 += a1 * b1;
        c12 += a1 * b2;
        c13 += a1 * b3;
        const a2 = A[pa2 + ka];
        c20 += a2 * b0;
        c21 += a2 * b1;
        c22 += a2 * b2;
        c23 += a2 * b3;
        const a3 = A[pa3 + ka];
        c30 += a3 * b0;
        c31 += a3 * b1;
        c32 += a3 * b2;
        c33 += a3 * b3;
      }
      const q0 = pc0 + j;
      const q1 = q0 + ldc;
      const q2 = q1 + ldc;
      const q3 = q2 + ldc;
      if (accumulate) {
        C[q0] += c00; C[q0 + 1] += c01; C[q0 + 2] += c02; C[q0 + 3] += c03;
        C[q1] += c10; C[q1 + 1] += c11; C[q1 + 2] += c12; C[q1 + 3] += c13;
        C[q2] += c20; C[q2 + 1] += c21; C[q2 + 2] += c22; C[q2 + 3] += c23;
        C[q3] += c30; C[q3 + 1] += c31; C[q3 + 2] += c32; C[q3 + 3] += c33;
      } else {
        C[q0] = c00; C[q0 + 1] = c01; C[q0 + 2] = c02; C[q0 + 3] = c03;
        C[q1] = c10; C[q1 + 1] = c11; C[q1 + 2] = c12; C[q1 + 3] = c13;
        C[q2] = c20; C[q2 + 1] = c21; C[q2 + 2] = c22; C[q2 + 3] = c23;
        C[q3] = c30; C[q3 + 1] = c31; C[q3 + 2] = c32; C[q3 + 3] = c33;
      }
    }
  }
  // Ragged edges: the last m % 4 rows (all columns) and the last n % 4 columns (rows < m4).
  if (m4 < m || n4 < n) {
    for (let i = 0; i < m; i++) {
      const j0 = i < m4 ? n4 : 0;
      const pa = a.off + i * aRow;
      for (let j = j0; j < n; j++) {
        const pb = b.off + j * bCol;
        let s = 0;
        for (let ka = 0, kb = 0; ka !== aEnd; ka += aK, kb += bK) s += A[pa + ka] * B[pb + kb];
        const q = c.off + i * ldc + j;
        if (accumulate) C[q] += s;
        else C[q] = s;
      }
    }
  }
}
