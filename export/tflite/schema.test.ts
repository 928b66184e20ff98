/**
 * The hand-written TFLite schema: a model encoded with it reads back field by field with the
 * independent reader, runs in the real interpreter, and a truncated file is one clear error from
 * both the reader and the verifier.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { ByteBuffer } from 'flatbuffers';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { UserError } from '../../app/model/errors.js';
import { encodeTflite, FILE_IDENTIFIER, Op, TensorType, type TfliteModel } from './schema.js';
import { readTflite } from './read.js';
import { verifyTflite } from './verify.js';

const f32 = (a: number[]): Uint8Array => new Uint8Array(Float32Array.from(a).buffer);

/** y = relu6(x · k + c) on [1, 2, 2, 3]: MUL by a per-channel constant, ADD with fused RELU6. */
function tinyModel(): TfliteModel {
  return {
    description: 'tiny',
    metadata: { producer: 'test', labels: '["a","b"]' },
    tensors: [
      { name: 'x', shape: [1, 2, 2, 3], type: TensorType.FLOAT32 },
      { name: 'k', shape: [3], type: TensorType.FLOAT32, data: f32([2, -1, 0.5]) },
      { name: 'xk', shape: [1, 2, 2, 3], type: TensorType.FLOAT32 },
      { name: 'c', shape: [3], type: TensorType.FLOAT32, data: f32([1, 2, 3]) },
      { name: 'y', shape: [1, 2, 2, 3], type: TensorType.FLOAT32 },
    ],
    operators: [
      { op: Op.MUL, version: 1, inputs: [0, 1], outputs: [2], options: { type: 'Mul', act: 0 } },
      { op: Op.ADD, version: 1, inputs: [2, 3], outputs: [4], options: { type: 'Add', act: 3 } },
    ],
    inputs: [0],
    outputs: [4],
  };
}

/** The same model with quantization parameters that do not fit its tensor (2 scales for 3 channels). */
function badQuantModel(): TfliteModel {
  const m = tinyModel();
  m.tensors[4] = { ...m.tensors[4], quant: { scale: [0.5, 0.25], zeroPoint: [0, 3], dim: 3 } };
  return m;
}

test('an encoded model reads back with the same tensors, operators and metadata', () => {
  const m = badQuantModel();
  const bytes = encodeTflite(m);
  assert.equal(new TextDecoder().decode(bytes.subarray(4, 8)), FILE_IDENTIFIER);
  const r = readTflite(bytes);
  assert.equal(r.version, 3);
  assert.deepEqual(r.ops, ['MUL', 'ADD']);
  assert.deepEqual(r.inputs, [0]);
  assert.deepEqual(r.outputs, [4]);
  assert.deepEqual(r.tensors.map((t) => t.name), m.tensors.map((t) => t.name));
  assert.deepEqual(r.tensors.map((t) => t.shape), m.tensors.map((t) => t.shape));
  assert.deepEqual(r.tensors.map((t) => t.bufferBytes), [0, 12, 0, 12, 0]);
  assert.deepEqual(r.tensors[4].scale, [0.5, 0.25]);
  assert.deepEqual(r.tensors[4].zeroPoint, [0, 3]);
  assert.deepEqual(r.metadata, m.metadata);
});

test('the TFLite interpreter runs a hand-encoded model and matches the arithmetic', async () => {
  const dir = mkdtempSync(join(tmpdir(), 'tflite-schema-'));
  try {
    const path = join(dir, 'tiny.tflite');
    writeFileSync(path, encodeTflite(tinyModel()));
    const x = Float32Array.from({ length: 24 }, (_, i) => i * 0.7 - 4);
    const { outputs, latencyMs } = await verifyTflite(path, x, 2);
    const k = [2, -1, 0.5];
    const c = [1, 2, 3];
    assert.equal(outputs.length, 24);
    for (let i = 0; i < 24; i++) {
      const want = Math.min(6, Math.max(0, x[i] * k[i % 3] + c[i % 3]));
      assert.ok(Math.abs(outputs[i] - want) < 1e-6, `element ${i}: ${outputs[i]} vs ${want}`);
    }
    assert.ok(latencyMs >= 0);
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
});

test('a truncated .tflite is a clear error from the reader and from the verifier', async () => {
  const bytes = encodeTflite(tinyModel());
  const cut = bytes.subarray(0, Math.floor(bytes.length / 2));
  assert.throws(() => readTflite(cut), (e: unknown) => e instanceof UserError && /truncated|not a TFLite file/.test(e.message));
  assert.throws(() => readTflite(new Uint8Array(3)), /truncated/);
  const dir = mkdtempSync(join(tmpdir(), 'tflite-trunc-'));
  try {
    const path = join(dir, 'cut.tflite');
    writeFileSync(path, cut);
    await assert.rejects(verifyTflite(path, new Float32Array(12), 1), (e: unknown) => e instanceof UserError && e.message.includes(path) && !e.message.includes('\n'));
    // A well-formed file the interpreter refuses: its own message comes through.
    const bad = join(dir, 'bad.tflite');
    writeFileSync(bad, encodeTflite(badQuantModel()));
    await assert.rejects(verifyTflite(bad, new Float32Array(12), 1), (e: unknown) => {
      assert.ok(e instanceof UserError);
      assert.match(e.message, /^The TFLite interpreter refused .*bad\.tflite: .*initialize model/);
      return true;
    });
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
});

/** Where SubGraph 0's tensors vector points (absolute table positions), read straight off the bytes. */
function tensorTables(bytes: Uint8Array): number[] {
  const bb = new ByteBuffer(bytes);
  const field = (t: number, id: number): number => {
    const vt = t - bb.readInt32(t);
    const o = 4 + 2 * id < bb.readInt16(vt) ? bb.readInt16(vt + 4 + 2 * id) : 0;
    return o ? t + o + bb.readInt32(t + o) : 0;
  };
  const vec = (v: number): number[] => Array.from({ length: bb.readInt32(v) }, (_, i) => v + 4 + 4 * i + bb.readInt32(v + 4 + 4 * i));
  const model = bb.readInt32(0);
  const subgraph = vec(field(model, 2))[0];
  return vec(field(subgraph, 0));
}

test('identical tensors share one table and one buffer, and the interpreter runs the shared file', async () => {
  // y = relu6(x · k · k + k): k is three constant tensors with equal bytes, the two inner
  // activations are unnamed and alike, so 8 tensors need 4 tables (x, y, k, inner).
  const k = [2, -1, 0.5];
  const kt = { name: '', shape: [3], type: TensorType.FLOAT32, data: f32(k) };
  const inner = { name: '', shape: [1, 2, 2, 3], type: TensorType.FLOAT32 };
  const m: TfliteModel = {
    description: 'shared',
    metadata: {},
    tensors: [{ name: 'x', shape: [1, 2, 2, 3], type: TensorType.FLOAT32 }, kt, { ...inner }, { ...kt }, { ...inner }, { ...kt }, { name: 'y', shape: [1, 2, 2, 3], type: TensorType.FLOAT32 }, { ...kt, data: f32(k) }],
    operators: [
      { op: Op.MUL, version: 1, inputs: [0, 1], outputs: [2], options: { type: 'Mul', act: 0 } },
      { op: Op.MUL, version: 1, inputs: [2, 3], outputs: [4], options: { type: 'Mul', act: 0 } },
      { op: Op.ADD, version: 1, inputs: [4, 5], outputs: [6], options: { type: 'Add', act: 3 } },
    ],
    inputs: [0],
    outputs: [6],
  };
  const bytes = encodeTflite(m);
  const tables = tensorTables(bytes);
  assert.equal(tables.length, 8);
  assert.equal(new Set(tables).size, 4);
  assert.equal(tables[1], tables[3]);
  assert.equal(tables[1], tables[7]);
  assert.equal(tables[2], tables[4]);
  assert.deepEqual(readTflite(bytes).tensors.map((t) => t.bufferBytes), [0, 12, 0, 12, 0, 12, 0, 12]);
  const dir = mkdtempSync(join(tmpdir(), 'tflite-shared-'));
  try {
    const path = join(dir, 'shared.tflite');
    writeFileSync(path, bytes);
    const x = Float32Array.from({ length: 24 }, (_, i) => i * 0.7 - 4);
    const { outputs } = await verifyTflite(path, x, 2);
    for (let i = 0; i < 24; i++) {
      const c = k[i % 3];
      const want = Math.min(6, Math.max(0, x[i] * c * c + c));
      assert.ok(Math.abs(outputs[i] - want) < 1e-6, `element ${i}: ${outputs[i]} vs ${want}`);
    }
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
});
