/**
 * TF.js weight manifest and shards: weights in manifest order, concatenated little-endian and cut
 * into 4 MiB shard files (`group1-shard{i}of{n}.bin`, as tfjs-converter names them). Weight
 * quantization per the TF.js weights-manifest spec (tfjs-core's WeightsManifestEntry):
 * `{dtype: 'float16'}` stores half floats; `{dtype: 'uint8', scale, min}` stores q with
 * w ≈ q · scale + min, one (scale, min) per tensor. Like tfjs-converter's --quantize_uint8 /
 * --quantize_float16, every float32 weight is quantized — kernels, biases and per-channel
 * vectors — except those under {@link MIN_QUANTIZED} elements (scalars, tiny vectors).
 */
import { toHalfBytes } from '../quantize/float16.js';
import { quantizeUint8Affine } from '../quantize/int8.js';
import type { TfWeight } from './graph-model.js';

export type WeightQuant = 'none' | 'float16' | 'uint8';

export interface ManifestEntry {
  name: string;
  shape: number[];
  dtype: 'float32' | 'int32';
  quantization?: { dtype: 'float16' } | { dtype: 'uint8'; scale: number; min: number };
}

export interface ManifestGroup {
  paths: string[];
  weights: ManifestEntry[];
}

export const SHARD_BYTES = 4 * 1024 * 1024;

function bytesOf(a: Float32Array | Int32Array): Uint8Array {
  const out = new Uint8Array(a.length * 4);
  const dv = new DataView(out.buffer);
  if (a instanceof Float32Array) a.forEach((v, i) => dv.setFloat32(i * 4, v, true));
  else a.forEach((v, i) => dv.setInt32(i * 4, v, true));
  return out;
}

/**
 * The shortest decimal that reads back as the same float32: TF.js keeps weights in float32, so
 * the 17 digits of a double would only lengthen model.json (by ~16 bytes per quantized weight).
 */
export function shortF32(v: number): number {
  const f = Math.fround(v);
  for (let p = 1; p < 9; p++) {
    const s = Number(f.toPrecision(p));
    if (Math.fround(s) === f) return s;
  }
  return Number(f.toPrecision(9));
}

/**
 * Float32 weights with fewer elements stay float32: the manifest's quantization entry (~35 bytes
 * for float16, ~50 for uint8 with its scale and min) would cost more than the 2–3 bytes per
 * element it saves.
 */
export const MIN_QUANTIZED = 32;

export function encodeWeights(weights: TfWeight[], quant: WeightQuant): { manifest: ManifestGroup[]; shards: { name: string; data: Uint8Array }[] } {
  const entries: ManifestEntry[] = [];
  const chunks: Uint8Array[] = [];
  for (const w of weights) {
    const e: ManifestEntry = { name: w.name, shape: w.shape, dtype: w.dtype };
    const quantize = w.dtype === 'float32' && quant !== 'none' && w.data.length >= MIN_QUANTIZED;
    if (quantize && quant === 'float16') {
      e.quantization = { dtype: 'float16' };
      chunks.push(toHalfBytes(w.data as Float32Array));
    } else if (quantize && quant === 'uint8') {
      const q = quantizeUint8Affine(w.data as Float32Array);
      e.quantization = { dtype: 'uint8', scale: shortF32(q.scale), min: shortF32(q.min) };
      chunks.push(q.q);
    } else {
      chunks.push(bytesOf(w.data));
    }
    entries.push(e);
  }
  const total = chunks.reduce((a, c) => a + c.length, 0);
  const all = new Uint8Array(total);
  let off = 0;
  for (const c of chunks) {
    all.set(c, off);
    off += c.length;
  }
  const n = Math.max(1, Math.ceil(total / SHARD_BYTES));
  const shards = Array.from({ length: n }, (_, i) => ({
    name: `group1-shard${i + 1}of${n}.bin`,
    data: all.subarray(i * SHARD_BYTES, Math.min(total, (i + 1) * SHARD_BYTES)),
  }));
  return { manifest: [{ paths: shards.map((s) => s.name), weights: entries }], shards };
}
