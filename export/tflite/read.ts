/**
 * A small reader for .tflite files (the same schema slots as schema.ts): enough to check a file's
 * structure before handing it to the interpreter and to learn what the interpreter does not tell
 * (the input and output tensors' quantization), plus the operator list and metadata for tests.
 * Every offset is bounds-checked, so a truncated or foreign file is one clear error.
 */
import { ByteBuffer } from 'flatbuffers';
import { ModelError } from '../../app/model/errors.js';
import { FILE_IDENTIFIER, OP_NAMES } from './schema.js';

export interface TensorInfo {
  name: string;
  shape: number[];
  type: number;
  scale: number[];
  zeroPoint: number[];
  bufferBytes: number;
}

export interface TfliteSummary {
  version: number;
  tensors: TensorInfo[];
  inputs: number[];
  outputs: number[];
  /** Builtin operator names in execution order. */
  ops: string[];
  /** Each operator's input and output tensor indices (same order as `ops`). */
  opTensors: { inputs: number[]; outputs: number[] }[];
  opVersions: Map<string, number>;
  metadata: Record<string, string>;
}

class Reader {
  constructor(
    private readonly bb: ByteBuffer,
    private readonly what: string,
  ) {}

  private check(pos: number, size: number): void {
    if (pos < 0 || pos + size > this.bb.capacity()) throw new ModelError(`${this.what} is truncated or not a TFLite file: a table points past its end.`);
  }

  /** Absolute position of field `id` of the table at `table`, or 0. */
  field(table: number, id: number): number {
    this.check(table, 4);
    const vt = table - this.bb.readInt32(table);
    this.check(vt, 4);
    const vtSize = this.bb.readInt16(vt);
    const slot = 4 + 2 * id;
    if (slot >= vtSize) return 0;
    this.check(vt + slot, 2);
    const off = this.bb.readInt16(vt + slot);
    return off ? table + off : 0;
  }

  int(table: number, id: number, def = 0, size: 1 | 4 = 4): number {
    const p = this.field(table, id);
    if (!p) return def;
    this.check(p, size);
    return size === 1 ? this.bb.readInt8(p) : this.bb.readInt32(p);
  }

  ref(table: number, id: number): number {
    const p = this.field(table, id);
    if (!p) return 0;
    this.check(p, 4);
    const t = p + this.bb.readUint32(p);
    this.check(t, 4);
    return t;
  }

  /** [start, length] of a vector field. */
  vec(table: number, id: number): [number, number] {
    const v = this.ref(table, id);
    if (!v) return [0, 0];
    const len = this.bb.readUint32(v);
    return [v + 4, len];
  }

  ints(table: number, id: number): number[] {
    const [s, n] = this.vec(table, id);
    this.check(s, n * 4);
    return Array.from({ length: n }, (_, i) => this.bb.readInt32(s + 4 * i));
  }

  floats(table: number, id: number): number[] {
    const [s, n] = this.vec(table, id);
    this.check(s, n * 4);
    return Array.from({ length: n }, (_, i) => this.bb.readFloat32(s + 4 * i));
  }

  longs(table: number, id: number): number[] {
    const [s, n] = this.vec(table, id);
    this.check(s, n * 8);
    return Array.from({ length: n }, (_, i) => Number(this.bb.readInt64(s + 8 * i)));
  }

  tables(table: number, id: number): number[] {
    const [s, n] = this.vec(table, id);
    this.check(s, n * 4);
    return Array.from({ length: n }, (_, i) => {
      const p = s + 4 * i;
      const t = p + this.bb.readUint32(p);
      this.check(t, 4);
      return t;
    });
  }

  bytes(table: number, id: number): Uint8Array {
    const [s, n] = this.vec(table, id);
    this.check(s, n);
    return this.bb.bytes().subarray(s, s + n);
  }

  string(table: number, id: number): string {
    return new TextDecoder().decode(this.bytes(table, id));
  }
}

export function readTflite(bytes: Uint8Array, what = 'The TFLite file'): TfliteSummary {
  if (bytes.length < 8) throw new ModelError(`${what} is truncated or not a TFLite file (${bytes.length} bytes).`);
  const bb = new ByteBuffer(bytes);
  if (bb.getBufferIdentifier() !== FILE_IDENTIFIER) throw new ModelError(`${what} is not a TFLite file (no "${FILE_IDENTIFIER}" identifier).`);
  const r = new Reader(bb, what);
  const model = bb.readUint32(0);
  const buffers = r.tables(model, 4);
  const sg = r.tables(model, 2)[0];
  if (sg === undefined) throw new ModelError(`${what} has no subgraph.`);
  const tensors = r.tables(sg, 0).map((t) => {
    const q = r.ref(t, 4);
    const buf = r.int(t, 2);
    return {
      name: r.string(t, 3),
      shape: r.ints(t, 0),
      type: r.int(t, 1, 0, 1),
      scale: q ? r.floats(q, 2) : [],
      zeroPoint: q ? r.longs(q, 3) : [],
      bufferBytes: buf && buffers[buf] ? r.vec(buffers[buf], 0)[1] : 0,
    };
  });
  const codes = r.tables(model, 1).map((c) => ({ op: Math.max(r.int(c, 3), r.int(c, 0, 0, 1)), version: r.int(c, 2, 1) }));
  const ops = r.tables(sg, 3).map((o) => OP_NAMES[codes[r.int(o, 0)]?.op ?? -1] ?? `op${codes[r.int(o, 0)]?.op}`);
  const opTensors = r.tables(sg, 3).map((o) => ({ inputs: r.ints(o, 1), outputs: r.ints(o, 2) }));
  const opVersions = new Map<string, number>();
  for (const c of codes) opVersions.set(OP_NAMES[c.op] ?? `op${c.op}`, c.version);
  const metadata: Record<string, string> = {};
  for (const m of r.tables(model, 6)) {
    const buf = buffers[r.int(m, 1)];
    metadata[r.string(m, 0)] = buf ? new TextDecoder().decode(r.bytes(buf, 0)) : '';
  }
  return { version: r.int(model, 0), tensors, inputs: r.ints(sg, 1), outputs: r.ints(sg, 2), ops, opTensors, opVersions, metadata };
}
