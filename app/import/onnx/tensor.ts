/**
 * ONNX TensorProto → {@link ConstTensor}: float, double, float16, the integer types and bool, from
 * raw_data (little-endian) or the typed repeated fields. External data is refused with a clear
 * sentence (the tool reads single-file models).
 */
import { ModelError } from '../../model/errors.js';
import type { TensorProto } from '../../engine/onnx/schema.js';
import { type ConstTensor, numel } from './live.js';

const INT_TYPES = new Set([2, 3, 4, 5, 6, 7, 9, 12, 13]);

/** IEEE half → number. */
export function halfToFloat(h: number): number {
  const s = h & 0x8000 ? -1 : 1;
  const e = (h >> 10) & 0x1f;
  const f = h & 0x3ff;
  if (e === 0) return s * f * 2 ** -24;
  if (e === 31) return f ? NaN : s * Infinity;
  return s * (1 + f / 1024) * 2 ** (e - 15);
}

export function decodeTensor(t: TensorProto, what: string): ConstTensor {
  const dims = (t.dims ?? []).map(Number);
  if (dims.some((d) => !Number.isInteger(d) || d < 0)) throw new ModelError(`The ONNX tensor ${what} has an invalid shape.`);
  const n = numel(dims);
  if (n > 1 << 28) throw new ModelError(`The ONNX tensor ${what} is too large (${n} values).`);
  if (t.data_location === 1 || (t.external_data?.length ?? 0) > 0) {
    throw new ModelError(`The ONNX tensor ${what} keeps its data in an external file; save the model as one file.`);
  }
  const type = t.data_type ?? 0;
  const raw = t.raw_data;
  const sizes: Record<number, number> = { 1: 4, 2: 1, 3: 1, 4: 2, 5: 2, 6: 4, 7: 8, 9: 1, 10: 2, 11: 8, 12: 4, 13: 8 };
  const size = sizes[type];
  if (size === undefined) throw new ModelError(`The ONNX tensor ${what} has data type ${type}, which this tool does not read.`);
  if (raw && raw.length > 0) {
    if (raw.length !== n * size) throw new ModelError(`The ONNX tensor ${what} holds ${raw.length} bytes where its shape needs ${n * size}.`);
    const data = new Float64Array(n);
    const dv = new DataView(raw.buffer, raw.byteOffset, raw.byteLength);
    for (let i = 0; i < n; i++) {
      const o = i * size;
      switch (type) {
        case 1: data[i] = dv.getFloat32(o, true); break;
        case 2: case 9: data[i] = dv.getUint8(o); break;
        case 3: data[i] = dv.getInt8(o); break;
        case 4: data[i] = dv.getUint16(o, true); break;
        case 5: data[i] = dv.getInt16(o, true); break;
        case 6: data[i] = dv.getInt32(o, true); break;
        case 7: data[i] = Number(dv.getBigInt64(o, true)); break;
        case 10: data[i] = halfToFloat(dv.getUint16(o, true)); break;
        case 11: data[i] = dv.getFloat64(o, true); break;
        case 12: data[i] = dv.getUint32(o, true); break;
        case 13: data[i] = Number(dv.getBigUint64(o, true)); break;
      }
    }
    return { dims, data, int: INT_TYPES.has(type) };
  }
  let src: number[] = [];
  if (type === 1) src = t.float_data ?? [];
  else if (type === 7) src = t.int64_data ?? [];
  else if (type === 11) src = t.double_data ?? [];
  else if (type === 12 || type === 13) src = t.uint64_data ?? [];
  else src = t.int32_data ?? [];
  if (src.length !== n) throw new ModelError(`The ONNX tensor ${what} holds ${src.length} values where its shape needs ${n}.`);
  const data = new Float64Array(n);
  for (let i = 0; i < n; i++) data[i] = type === 10 ? halfToFloat(Number(src[i])) : Number(src[i]);
  return { dims, data, int: INT_TYPES.has(type) };
}

export function toFloat32(c: ConstTensor): Float32Array {
  return Float32Array.from(c.data);
}
