/**
 * Broadcasting element-wise arithmetic, axis sums and slices on row-major Float32Array, written
 * as an outer "odometer" over collapsed dimensions and one tight inner loop over the last one.
 * (tfjs-backend-cpu turns every broadcast element, every non-trailing reduction and every
 * non-contiguous slice into per-element index arithmetic; these cover the same ops directly.)
 */

export type BinaryOp = 'add' | 'sub' | 'mul' | 'div';

function stridesOf(shape: number[]): number[] {
  const s = new Array<number>(shape.length);
  let acc = 1;
  for (let i = shape.length - 1; i >= 0; i--) {
    s[i] = acc;
    acc *= shape[i];
  }
  return s;
}

/**
 * Merges neighbouring dimensions that every operand walks contiguously (its stride on the outer
 * one equals its stride times the size of the inner one; a stride-0 broadcast merges with a
 * stride-0 broadcast). Size-1 dimensions are dropped. Returns sizes and one stride list per operand.
 */
function collapse(dims: number[], strides: number[][]): { dims: number[]; strides: number[][] } {
  const outDims: number[] = [];
  const outStrides: number[][] = strides.map(() => []);
  for (let i = 0; i < dims.length; i++) {
    if (dims[i] === 1) continue;
    const last = outDims.length - 1;
    if (last >= 0 && strides.every((s, k) => outStrides[k][last] === s[i] * dims[i])) {
      outDims[last] *= dims[i];
      strides.forEach((s, k) => (outStrides[k][last] = s[i]));
    } else {
      outDims.push(dims[i]);
      strides.forEach((s, k) => outStrides[k].push(s[i]));
    }
  }
  if (outDims.length === 0) {
    outDims.push(1);
    strides.forEach((_, k) => outStrides[k].push(0));
  }
  return { dims: outDims, strides: outStrides };
}

/**
 * The start offset, per operand, of every row (every position of all dimensions but the last),
 * in row order: one Int32Array per operand.
 */
function rowOffsets(dims: number[], strides: number[][]): Int32Array[] {
  const outer = dims.length - 1;
  let rows = 1;
  for (let d = 0; d < outer; d++) rows *= dims[d];
  const res = strides.map(() => new Int32Array(rows));
  const idx = new Array<number>(outer).fill(0);
  const offs = strides.map(() => 0);
  for (let r = 0; r < rows; r++) {
    for (let k = 0; k < offs.length; k++) res[k][r] = offs[k];
    for (let d = outer - 1; d >= 0; d--) {
      idx[d]++;
      for (let k = 0; k < offs.length; k++) offs[k] += strides[k][d];
      if (idx[d] < dims[d]) break;
      for (let k = 0; k < offs.length; k++) offs[k] -= strides[k][d] * dims[d];
      idx[d] = 0;
    }
  }
  return res;
}

/** Broadcast shape of two shapes (numpy rules), or null when they do not broadcast. */
export function broadcastShape(a: number[], b: number[]): number[] | null {
  const r = Math.max(a.length, b.length);
  const out = new Array<number>(r);
  for (let i = 0; i < r; i++) {
    const da = a[a.length - r + i] ?? 1;
    const db = b[b.length - r + i] ?? 1;
    if (da !== db && da !== 1 && db !== 1) return null;
    out[i] = da === 1 ? db : da;
  }
  return out;
}

/** a OP b with broadcasting; `outShape` must be broadcastShape(aShape, bShape). */
export function binary(op: BinaryOp, a: Float32Array, aShape: number[], b: Float32Array, bShape: number[], outShape: number[]): Float32Array {
  const r = outShape.length;
  const pad = (s: number[]) => [...new Array<number>(r - s.length).fill(1), ...s];
  const aFull = pad(aShape);
  const bFull = pad(bShape);
  const as = stridesOf(aFull).map((s, i) => (aFull[i] === 1 ? 0 : s));
  const bs = stridesOf(bFull).map((s, i) => (bFull[i] === 1 ? 0 : s));
  const { dims, strides } = collapse(outShape, [stridesOf(outShape), as, bs]);
  const out = new Float32Array(outShape.reduce((x, y) => x * y, 1));
  if (out.length === 0) return out;
  const n = dims[dims.length - 1];
  const ai = strides[1][dims.length - 1];
  const bi = strides[2][dims.length - 1];
  const [O, AO, BO] = rowOffsets(dims, strides);
  const rows = O.length;
  // Inner-loop forms: both contiguous, b or a constant along the row, or general strides.
  const form = ai === 1 && bi === 1 ? 0 : ai === 1 && bi === 0 ? 1 : ai === 0 && bi === 1 ? 2 : 3;
  for (let r = 0; r < rows; r++) {
    const o = O[r], ao = AO[r], bo = BO[r];
    switch (op) {
      case 'add':
        if (form === 0) for (let i = 0; i < n; i++) out[o + i] = a[ao + i] + b[bo + i];
        else if (form === 1) {
          const bv = b[bo];
          for (let i = 0; i < n; i++) out[o + i] = a[ao + i] + bv;
        } else if (form === 2) {
          const av = a[ao];
          for (let i = 0; i < n; i++) out[o + i] = av + b[bo + i];
        } else for (let i = 0; i < n; i++) out[o + i] = a[ao + i * ai] + b[bo + i * bi];
        break;
      case 'sub':
        if (form === 0) for (let i = 0; i < n; i++) out[o + i] = a[ao + i] - b[bo + i];
        else if (form === 1) {
          const bv = b[bo];
          for (let i = 0; i < n; i++) out[o + i] = a[ao + i] - bv;
        } else if (form === 2) {
          const av = a[ao];
          for (let i = 0; i < n; i++) out[o + i] = av - b[bo + i];
        } else for (let i = 0; i < n; i++) out[o + i] = a[ao + i * ai] - b[bo + i * bi];
        break;
      case 'mul':
        if (form === 0) for (let i = 0; i < n; i++) out[o + i] = a[ao + i] * b[bo + i];
        else if (form === 1) {
          const bv = b[bo];
          for (let i = 0; i < n; i++) out[o + i] = a[ao + i] * bv;
        } else if (form === 2) {
          const av = a[ao];
          for (let i = 0; i < n; i++) out[o + i] = av * b[bo + i];
        } else for (let i = 0; i < n; i++) out[o + i] = a[ao + i * ai] * b[bo + i * bi];
        break;
      case 'div':
        if (form === 0) for (let i = 0; i < n; i++) out[o + i] = a[ao + i] / b[bo + i];
        else if (form === 1) {
          const bv = b[bo];
          for (let i = 0; i < n; i++) out[o + i] = a[ao + i] / bv;
        } else if (form === 2) {
          const av = a[ao];
          for (let i = 0; i < n; i++) out[o + i] = av / b[bo + i];
        } else for (let i = 0; i < n; i++) out[o + i] = a[ao + i * ai] / b[bo + i * bi];
        break;
    }
  }
  return out;
}

/** Sum of x over `axes` (sorted or not, no duplicates); output in the shape with those axes removed. */
export function sumAxes(x: Float32Array, shape: number[], axes: number[], scale = 1): Float32Array {
  const reduced = shape.map((_, i) => axes.includes(i));
  const outShape = shape.filter((_, i) => !reduced[i]);
  const outFullStrides = stridesOf(shape.map((d, i) => (reduced[i] ? 1 : d))).map((s, i) => (reduced[i] ? 0 : s));
  const { dims, strides } = collapse(shape, [stridesOf(shape), outFullStrides]);
  const acc = new Float64Array(outShape.reduce((a, b) => a * b, 1));
  if (x.length === 0) return new Float32Array(acc.length);
  const n = dims[dims.length - 1];
  const oi = strides[1][dims.length - 1];
  const [XO, OO] = rowOffsets(dims, strides);
  for (let r = 0; r < XO.length; r++) {
    const xo = XO[r], oo = OO[r];
    if (oi === 0) {
      let s = 0;
      for (let i = 0; i < n; i++) s += x[xo + i];
      acc[oo] += s;
    } else {
      for (let i = 0; i < n; i++) acc[oo + i] += x[xo + i];
    }
  }
  const out = new Float32Array(acc.length);
  for (let i = 0; i < acc.length; i++) out[i] = acc[i] * scale;
  return out;
}

/** x[begin : begin + size] of a row-major tensor. */
export function slice(x: Float32Array, shape: number[], begin: number[], size: number[]): Float32Array {
  const xs = stridesOf(shape);
  const { dims, strides } = collapse(size, [stridesOf(size), xs]);
  const out = new Float32Array(size.reduce((a, b) => a * b, 1));
  if (out.length === 0) return out;
  const base = begin.reduce((acc, b, i) => acc + b * xs[i], 0);
  const n = dims[dims.length - 1];
  const xi = strides[1][dims.length - 1];
  copyRows(out, x, rowOffsets(dims, strides), 0, base, n, 1, xi);
  return out;
}

/** dst[dBase + DO[r] + i·di] = src[sBase + SO[r] + i·si] for every row r and i < n. */
function copyRows(dst: Float32Array, src: Float32Array, [DO, SO]: Int32Array[], dBase: number, sBase: number, n: number, di: number, si: number): void {
  for (let r = 0; r < DO.length; r++) {
    const d = dBase + DO[r];
    const s = sBase + SO[r];
    if (di === 1 && si === 1) {
      if (n >= 32) dst.set(src.subarray(s, s + n), d);
      else for (let i = 0; i < n; i++) dst[d + i] = src[s + i];
    } else {
      for (let i = 0; i < n; i++) dst[d + i * di] = src[s + i * si];
    }
  }
}

/** x padded with `paddings` [before, after] per dimension, filled with `value`. */
export function pad(x: Float32Array, shape: number[], paddings: [number, number][], value: number): Float32Array {
  const outShape = shape.map((d, i) => paddings[i][0] + d + paddings[i][1]);
  const os = stridesOf(outShape);
  const out = new Float32Array(outShape.reduce((a, b) => a * b, 1));
  if (value !== 0) out.fill(value);
  if (x.length === 0) return out;
  const { dims, strides } = collapse(shape, [stridesOf(shape), os]);
  const base = paddings.reduce((acc, p, i) => acc + p[0] * os[i], 0);
  const last = dims.length - 1;
  const [XO, OO] = rowOffsets(dims, strides);
  copyRows(out, x, [OO, XO], base, 0, dims[last], strides[1][last], strides[0][last]);
  return out;
}

/** x with its dimensions reordered: output dimension j is input dimension perm[j]. */
export function transpose(x: Float32Array, shape: number[], perm: number[]): Float32Array {
  const outShape = perm.map((p) => shape[p]);
  const xs = stridesOf(shape);
  const out = new Float32Array(x.length);
  if (x.length === 0) return out;
  const r = shape.length;
  if (r >= 2 && perm[r - 2] === r - 1 && perm[r - 1] === r - 2 && perm.slice(0, r - 2).every((p, i) => p === i)) {
    // Only the last two axes swap (a channel shuffle): a batch of small matrix transposes, with
    // no per-row offset tables (for [P, 3, C/3] those cost more than the copy).
    const A = shape[r - 2];
    const B = shape[r - 1];
    const AB = A * B;
    for (let o = 0; o < x.length; o += AB) {
      for (let i = 0; i < A; i++) {
        const src = o + i * B;
        for (let j = 0, d = o + i; j < B; j++, d += A) out[d] = x[src + j];
      }
    }
    return out;
  }
  const { dims, strides } = collapse(outShape, [stridesOf(outShape), perm.map((p) => xs[p])]);
  const last = dims.length - 1;
  copyRows(out, x, rowOffsets(dims, strides), 0, 0, dims[last], 1, strides[1][last]);
  return out;
}
