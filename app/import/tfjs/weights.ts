/**
 * TF.js weight manifests: reads the shard files listed next to a `model.json`, concatenates each
 * group's shards and cuts them into named Float32Arrays, dequantizing uint8/uint16
 * (`q · scale + min`) and float16 weights.
 */
import { readFileSync } from 'node:fs';
import { dirname, join, basename } from 'node:path';
import { ModelError } from '../../model/errors.js';
import { halfToFloat } from '../onnx/tensor.js';

export interface WeightEntry {
  name: string;
  shape: number[];
  dtype: string;
  quantization?: { dtype: string; scale?: number; min?: number; original_dtype?: string };
}

export interface WeightGroup {
  paths: string[];
  weights: WeightEntry[];
}

export interface NamedWeight {
  shape: number[];
  data: Float32Array;
}

const BYTES: Record<string, number> = { float32: 4, int32: 4, uint8: 1, uint16: 2, float16: 2, bool: 1 };

/** Bytes a group's manifest says its shards hold (undefined when a shape or dtype is malformed). */
export function groupBytes(group: WeightGroup): number | undefined {
  if (!Array.isArray(group?.weights)) return undefined;
  let total = 0;
  for (const w of group.weights) {
    if (typeof w !== 'object' || w === null) return undefined;
    const shape = Array.isArray(w.shape) ? w.shape : [];
    if (!shape.every((d) => Number.isInteger(d) && d >= 0)) return undefined;
    const q = typeof w.quantization === 'object' && w.quantization !== null ? w.quantization : undefined;
    const size = BYTES[q?.dtype ?? w.dtype];
    if (size === undefined) return undefined;
    total += shape.reduce((a, b) => a * b, 1) * size;
  }
  return Number.isSafeInteger(total) ? total : undefined;
}

/** Reads the shards of `manifest` (paths relative to the model.json at `modelPath`). */
export function readWeights(manifest: WeightGroup[], modelPath: string, readFile: (p: string) => Uint8Array = readFileSync): Map<string, NamedWeight> {
  const out = new Map<string, NamedWeight>();
  const dir = dirname(modelPath);
  for (const group of manifest) {
    if (!Array.isArray(group?.paths) || !Array.isArray(group?.weights)) throw new ModelError(`${basename(modelPath)} has a malformed weightsManifest.`);
    // Every entry is checked before any use: a name that is not a string or a shape that is not a
    // list of sizes would otherwise fail later as a TypeError.
    for (const [i, w] of group.weights.entries()) {
      if (typeof w !== 'object' || w === null || typeof w.name !== 'string' || w.name === '') {
        throw new ModelError(`${basename(modelPath)} has weight entry ${i} without a name in its weightsManifest.`);
      }
      if (w.shape !== undefined && !(Array.isArray(w.shape) && w.shape.length <= 8 && w.shape.every((d) => Number.isSafeInteger(d) && d >= 0))) {
        throw new ModelError(`The weight "${w.name.slice(0, 80)}" in ${basename(modelPath)} has shape ${JSON.stringify(w.shape)?.slice(0, 60)} where a list of sizes is needed.`);
      }
    }
    const parts: Uint8Array[] = group.paths.map((p) => {
      if (typeof p !== 'string' || p.includes('..') || p.startsWith('/')) throw new ModelError(`${basename(modelPath)} lists a weight file "${String(p)}" outside its folder.`);
      try {
        return readFile(join(dir, p));
      } catch {
        throw new ModelError(`The weight file ${p} listed in ${basename(modelPath)} cannot be read; keep it next to the model.json.`);
      }
    });
    const total = parts.reduce((a, b) => a + b.length, 0);
    const buf = new Uint8Array(total);
    let o = 0;
    for (const p of parts) {
      buf.set(p, o);
      o += p.length;
    }
    const dv = new DataView(buf.buffer);
    let off = 0;
    for (const w of group.weights) {
      const n = (w.shape ?? []).reduce((a, b) => a * b, 1);
      const q = w.quantization;
      const dt = q?.dtype ?? w.dtype;
      const size = BYTES[dt];
      if (size === undefined || !Number.isInteger(n) || n < 0) throw new ModelError(`The weight "${w.name}" in ${basename(modelPath)} has an unsupported dtype ${dt}.`);
      if (off + n * size > total) throw new ModelError(`The weight files of ${basename(modelPath)} are shorter than its manifest says (truncated?).`);
      const data = new Float32Array(n);
      for (let i = 0; i < n; i++) {
        const p = off + i * size;
        let v: number;
        switch (dt) {
          case 'float32': v = dv.getFloat32(p, true); break;
          case 'int32': v = dv.getInt32(p, true); break;
          case 'uint16': v = dv.getUint16(p, true); break;
          case 'float16': v = halfToFloat(dv.getUint16(p, true)); break;
          default: v = dv.getUint8(p);
        }
        data[i] = q && (dt === 'uint8' || dt === 'uint16') ? v * (q.scale ?? 1) + (q.min ?? 0) : v;
      }
      off += n * size;
      out.set(w.name, { shape: w.shape, data });
    }
  }
  return out;
}
