/**
 * Constant evaluation of the shape-arithmetic ONNX ops exporters emit around Reshape targets
 * (Shape → Gather → Unsqueeze → Concat, Cast, ConstantOfShape, ...) and of initializer-only
 * subgraphs (e.g. a Transpose of a weight). Values are doubles; integer tensors stay integral.
 */
import { ModelError } from '../../model/errors.js';
import { type ConstTensor, numel } from './live.js';

/** A list for a message: at most 8 values, then how many there are. */
const short = (xs: readonly (number | bigint)[]): string => xs.slice(0, 8).join(', ') + (xs.length > 8 ? `, … (${xs.length} values)` : '');

export function stridesOf(dims: number[]): number[] {
  const s = new Array<number>(dims.length).fill(1);
  for (let i = dims.length - 2; i >= 0; i--) s[i] = s[i + 1] * dims[i + 1];
  return s;
}

export function broadcastDims(a: number[], b: number[], where: string): number[] {
  const r = Math.max(a.length, b.length);
  const out: number[] = [];
  for (let i = 0; i < r; i++) {
    const x = a[a.length - r + i] ?? 1;
    const y = b[b.length - r + i] ?? 1;
    if (x !== y && x !== 1 && y !== 1) throw new ModelError(`The ONNX node "${where}" combines shapes [${short(a)}] and [${short(b)}], which do not broadcast.`);
    out.push(x === 1 ? y : x);
  }
  return out;
}

/** Index into `dims`-shaped data for the broadcast position `idx` (of rank `outRank`). */
function bcastOffset(dims: number[], strides: number[], idx: number[]): number {
  let o = 0;
  const shift = idx.length - dims.length;
  for (let i = 0; i < dims.length; i++) if (dims[i] !== 1) o += idx[i + shift] * strides[i];
  return o;
}

export function binary(a: ConstTensor, b: ConstTensor, where: string, f: (x: number, y: number) => number, int = a.int && b.int): ConstTensor {
  const dims = broadcastDims(a.dims, b.dims, where);
  const n = numel(dims);
  if (n > 1 << 24) throw new ModelError(`The ONNX node "${where}" makes a constant that is too large.`);
  const data = new Float64Array(n);
  const sa = stridesOf(a.dims);
  const sb = stridesOf(b.dims);
  const so = stridesOf(dims);
  const idx = new Array<number>(dims.length).fill(0);
  for (let i = 0; i < n; i++) {
    let r = i;
    for (let d = 0; d < dims.length; d++) {
      idx[d] = Math.floor(r / so[d]);
      r -= idx[d] * so[d];
    }
    data[i] = f(a.data[bcastOffset(a.dims, sa, idx)], b.data[bcastOffset(b.dims, sb, idx)]);
  }
  return { dims, data, int };
}

export function transposeConst(c: ConstTensor, perm: number[]): ConstTensor {
  const dims = perm.map((p) => c.dims[p]);
  const si = stridesOf(c.dims);
  const so = stridesOf(dims);
  const n = c.data.length;
  const data = new Float64Array(n);
  for (let i = 0; i < n; i++) {
    let r = i;
    let src = 0;
    for (let d = 0; d < dims.length; d++) {
      const k = Math.floor(r / so[d]);
      r -= k * so[d];
      src += k * si[perm[d]];
    }
    data[i] = c.data[src];
  }
  return { dims, data, int: c.int };
}

export function normAxis(axis: number, rank: number, where: string): number {
  const a = axis < 0 ? axis + rank : axis;
  if (!Number.isInteger(a) || a < 0 || a >= Math.max(rank, 1)) throw new ModelError(`The ONNX node "${where}" uses axis ${axis} on a tensor of rank ${rank}.`);
  return a;
}

/** Normalised [start, end) for one axis of size `dim` with step 1 or -1-free semantics (step > 0). */
export function sliceRange(start: number, end: number, dim: number): [number, number] {
  const clamp = (v: number) => Math.min(Math.max(v < 0 ? v + dim : v, 0), dim);
  return [clamp(start), clamp(end)];
}

export function sliceConst(c: ConstTensor, starts: number[], ends: number[], axes: number[], steps: number[], where: string): ConstTensor {
  const rank = c.dims.length;
  const begin = new Array<number>(rank).fill(0);
  const step = new Array<number>(rank).fill(1);
  const dims = [...c.dims];
  axes.forEach((ax, k) => {
    const a = normAxis(ax, rank, where);
    const st = steps[k] ?? 1;
    if (st === 0) throw new ModelError(`The ONNX node "${where}" slices with step 0.`);
    const d = c.dims[a];
    if (st > 0) {
      const [s, e] = sliceRange(starts[k], ends[k], d);
      begin[a] = s;
      dims[a] = Math.max(0, Math.ceil((e - s) / st));
    } else {
      const clampN = (v: number) => Math.min(Math.max(v < 0 ? v + d : v, -1), d - 1);
      const s = clampN(starts[k]);
      const e = clampN(ends[k]);
      begin[a] = s;
      dims[a] = Math.max(0, Math.ceil((s - e) / -st));
    }
    step[a] = st;
  });
  const si = stridesOf(c.dims);
  const so = stridesOf(dims);
  const n = numel(dims);
  const data = new Float64Array(n);
  for (let i = 0; i < n; i++) {
    let r = i;
    let src = 0;
    for (let d = 0; d < rank; d++) {
      const k = Math.floor(r / so[d]);
      r -= k * so[d];
      src += (begin[d] + k * step[d]) * si[d];
    }
    data[i] = c.data[src];
  }
  return { dims, data, int: c.int };
}

export function gatherConst(c: ConstTensor, idx: ConstTensor, axis: number, where: string): ConstTensor {
  const a = normAxis(axis, c.dims.length, where);
  const outer = numel(c.dims.slice(0, a));
  const inner = numel(c.dims.slice(a + 1));
  const d = c.dims[a];
  const dims = [...c.dims.slice(0, a), ...idx.dims, ...c.dims.slice(a + 1)];
  const data = new Float64Array(numel(dims));
  let o = 0;
  for (let i = 0; i < outer; i++) {
    for (const raw of idx.data) {
      const j = raw < 0 ? raw + d : raw;
      if (!Number.isInteger(j) || j < 0 || j >= d) throw new ModelError(`The ONNX node "${where}" gathers index ${raw} from an axis of size ${d}.`);
      for (let k = 0; k < inner; k++) data[o++] = c.data[(i * d + j) * inner + k];
    }
  }
  return { dims, data, int: c.int };
}

export function concatConst(parts: ConstTensor[], axis: number, where: string): ConstTensor {
  const rank = parts[0].dims.length;
  const a = normAxis(axis, rank, where);
  for (const p of parts) {
    if (p.dims.length !== rank || p.dims.some((d, i) => i !== a && d !== parts[0].dims[i])) {
      throw new ModelError(`The ONNX node "${where}" concatenates tensors of different shapes.`);
    }
  }
  const outer = numel(parts[0].dims.slice(0, a));
  const dims = [...parts[0].dims];
  dims[a] = parts.reduce((s, p) => s + p.dims[a], 0);
  const data = new Float64Array(numel(dims));
  let o = 0;
  for (let i = 0; i < outer; i++) {
    for (const p of parts) {
      const block = numel(p.dims.slice(a));
      data.set(p.data.subarray(i * block, (i + 1) * block), o);
      o += block;
    }
  }
  return { dims, data, int: parts.every((p) => p.int) };
}

/** Target shape of a Reshape: 0 copies the input dim (unless allowzero), -1 is inferred. */
export function reshapeDims(inDims: number[], target: number[], allowZero: boolean, where: string): number[] {
  const out = target.map((t, i) => (t === 0 && !allowZero ? inDims[i] : t));
  const total = numel(inDims);
  const minus = out.filter((d) => d === -1).length;
  const known = out.filter((d) => d !== -1).reduce((a, b) => a * b, 1);
  if (minus > 1 || out.some((d) => d === undefined || d < -1 || !Number.isInteger(d))) {
    throw new ModelError(`The ONNX node "${where}" has an invalid Reshape target [${short(target)}].`);
  }
  if (minus === 1) {
    if (known === 0 || total % known !== 0) throw new ModelError(`The ONNX node "${where}" cannot reshape [${short(inDims)}] to [${short(target)}].`);
    out[out.indexOf(-1)] = total / known;
  } else if (known !== total) {
    throw new ModelError(`The ONNX node "${where}" cannot reshape [${short(inDims)}] to [${short(target)}].`);
  }
  return out;
}

export function unsqueezeDims(dims: number[], axes: number[], where: string): number[] {
  const rank = dims.length + axes.length;
  const norm = axes.map((a) => normAxis(a, rank, where)).sort((a, b) => a - b);
  const out = [...dims];
  for (const a of norm) out.splice(a, 0, 1);
  return out;
}

export function squeezeDims(dims: number[], axes: number[] | undefined, where: string): number[] {
  if (!axes) return dims.filter((d) => d !== 1);
  const norm = new Set(axes.map((a) => normAxis(a, dims.length, where)));
  for (const a of norm) if (dims[a] !== 1) throw new ModelError(`The ONNX node "${where}" squeezes axis ${a} of size ${dims[a]}.`);
  return dims.filter((_, i) => !norm.has(i));
}
