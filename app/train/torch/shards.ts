/**
 * The training images as shards the torch runner memory-maps (py/seprune_torch/data.py): the
 * preprocessed NHWC floats of each shard become uint8 or uint16 codes into a table of the
 * shard's distinct values when there are at most 256 or 65,536 of them (so a 0–255 image,
 * normalised and padded, crosses as one or two bytes a pixel and is looked up exactly on the
 * device), else raw float32. Shards hold at most SHARD_BYTES of float values while being built,
 * so a dataset larger than memory is written without holding it whole.
 */
import { mkdirSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import type { Dataset } from '../../data/types.js';
import { UserError } from '../../model/errors.js';

/** Float bytes one shard collects before it is encoded and written. */
export const SHARD_BYTES = 256 * 1024 * 1024;

export interface ShardMeta {
  file: string;
  count: number;
  dtype: 'uint8' | 'uint16' | 'float32';
  table?: string;
}

export interface DataMeta {
  format: 'seprune-shards';
  version: 1;
  shape: [number, number, number];
  classes: string[];
  count: number;
  labels: string;
  shards: ShardMeta[];
}

/** Codes into a table of the distinct values when ≤ 65,536 of them; undefined otherwise. */
export function encodeValues(x: Float32Array): { codes: Uint8Array | Uint16Array; table: Float32Array } | undefined {
  const bits = new Uint32Array(x.buffer, x.byteOffset, x.length);
  const index = new Map<number, number>();
  const codes = new Uint16Array(x.length);
  for (let i = 0; i < bits.length; i++) {
    const b = bits[i];
    let k = index.get(b);
    if (k === undefined) {
      k = index.size;
      if (k >= 65536) return undefined;
      index.set(b, k);
    }
    codes[i] = k;
  }
  const tableBits = new Uint32Array(index.size);
  for (const [b, k] of index) tableBits[k] = b;
  const table = new Float32Array(tableBits.buffer);
  return { codes: index.size <= 256 ? Uint8Array.from(codes) : codes, table };
}

export interface WrittenShards {
  meta: DataMeta;
  /** Dataset index → position in the shards (images that did not decode are absent). */
  position: Map<number, number>;
  /** Bytes of image data written. */
  bytes: number;
  skipped: number;
}

/** Writes `indices` of `ds` (in that order) into `dir` as shards; returns their positions. */
export async function writeShards(ds: Dataset, indices: number[], dir: string, signal?: AbortSignal): Promise<WrittenShards> {
  mkdirSync(dir, { recursive: true });
  const per = ds.sampleShape[0] * ds.sampleShape[1] * ds.sampleShape[2];
  const perShard = Math.max(1, Math.floor(SHARD_BYTES / 4 / per));
  const shards: ShardMeta[] = [];
  const labels: number[] = [];
  const position = new Map<number, number>();
  let buf = new Float32Array(Math.min(perShard, indices.length) * per);
  let inShard = 0;
  let bytes = 0;
  let skipped = 0;
  const flush = () => {
    if (inShard === 0) return;
    const i = shards.length;
    const values = buf.subarray(0, inShard * per);
    const enc = encodeValues(values);
    const file = `shard-${i}.bin`;
    if (enc) {
      writeFileSync(join(dir, file), new Uint8Array(enc.codes.buffer, enc.codes.byteOffset, enc.codes.byteLength));
      writeFileSync(join(dir, `shard-${i}.table`), new Uint8Array(enc.table.buffer));
      shards.push({ file, count: inShard, dtype: enc.codes instanceof Uint8Array ? 'uint8' : 'uint16', table: `shard-${i}.table` });
      bytes += enc.codes.byteLength;
    } else {
      writeFileSync(join(dir, file), new Uint8Array(values.buffer, values.byteOffset, values.byteLength));
      shards.push({ file, count: inShard, dtype: 'float32' });
      bytes += values.byteLength;
    }
    inShard = 0;
  };
  const add = (index: number, x: Float32Array, y: number) => {
    if (inShard === perShard) {
      flush();
      buf = new Float32Array(perShard * per);
    }
    buf.set(x, inShard * per);
    position.set(index, labels.length);
    labels.push(y);
    inShard++;
  };
  let cursor = 0;
  for await (const b of ds.batches(indices, 256)) {
    if (signal?.aborted) throw new UserError('Preparing the training data was cancelled.');
    const batchIdx = indices.slice(cursor, cursor + 256);
    cursor += 256;
    if (b.skipped.length === 0) {
      for (let k = 0; k < b.y.length; k++) add(batchIdx[k], b.x.subarray(k * per, (k + 1) * per), b.y[k]);
      continue;
    }
    // Some records did not decode: read this batch's records one by one to know which.
    skipped += b.skipped.length;
    for (const i of batchIdx) {
      for await (const one of ds.batches([i], 1)) if (one.y.length === 1) add(i, one.x, one.y[0]);
    }
  }
  flush();
  writeFileSync(join(dir, 'labels.bin'), new Uint8Array(Int32Array.from(labels).buffer));
  const meta: DataMeta = { format: 'seprune-shards', version: 1, shape: ds.sampleShape, classes: ds.classes, count: labels.length, labels: 'labels.bin', shards };
  writeFileSync(join(dir, 'data.json'), JSON.stringify(meta, null, 1));
  return { meta, position, bytes, skipped };
}
