/**
 * TF.js weight manifest and shards: weights in manifest order, concatenated little-endian and cut
 * into 4 MiB shard files (`group1-shard{i}of{n}.bin`, as tfjs-converter names them). Weight
 * quantization per the TF.js weights-manifest spec: `{dtype: 'float16'}` stores half floats;
 * `{dtype: 'uint8', scale, min}` stores q with w ≈ q · scale + min. Only float tensors of rank ≥ 2
 * are quantized (kernels); biases, per-channel vectors and scalars stay float32.
 */
import { toHalfBytes } from '../quantize/float16.js';
import { quantizeUint8Affine } from '../quantize/int8.js';
import type { TfWeight } from './graph-model.js';

export type WeightQuant = 'none' | 'float16' | 'uint8';

export interface ManifestEntry {
  name: string;
  shape: number[];
  dtype: 'float32' | 'int32';
  quantization?: { dtype: 'float16' } | { dtype: 'uint8'; scale: number; min: number; original_dtype: 'float32' };
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

export function encodeWeights(weights: TfWeight[], quant: WeightQuant): { manifest: ManifestGroup[]; shards: { name: string; data: Uint8Array }[] } {
  const entries: ManifestEntry[] = [];
  const chunks: Uint8Array[] = [];
  for (const w of weights) {
    const e: ManifestEntry = { name: w.name, shape: w.shape, dtype: w.dtype };
    const quantize = w.dtype === 'float32' && w.shape.length >= 2 && quant !== 'none';
    if (quantize && quant === 'float16') {
      e.quantization = { dtype: 'float16' };
      chunks.push(toHalfBytes(w.data as Float32Array));
    } else if (quantize && quant === 'uint8') {
      const q = quantizeUint8Affine(w.data as Float32Array);
      e.quantization = { dtype: 'uint8', scale: q.scale, min: q.min, original_dtype: 'float32' };
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
