/**
 * Every demo zoo family written as .tflite in fp32, fp16 and int8 and run in the real TFLite
 * interpreter (tfjs-tflite wasm) on Fashion-MNIST test images: the fp32 file matches the IR
 * executor to max |Δ| ≤ 1e-4 (on the first REF images; the executor is the slow part), and its
 * logits on all EVAL images are then the float reference for fp16 (float16 rounding, same argmax)
 * and int8 (calibrated on train images: argmax agreement, a fraction of the fp32 size).
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { buildZooModel } from '../../app/model/zoo/index.js';
import { runGraph } from '../../app/engine/executor.js';
import { openDataset, sampleIndices, type Dataset } from '../../app/data/index.js';
import { reestimateBn } from '../../app/train/bn.js';
import { writeTflite } from './write.js';
import { gateOps } from './index.js';
import { openTflite, verifyTflite } from './verify.js';
import { armnnAvailable, openArmnn } from './armnn.js';
import { readTflite } from './read.js';
import { TensorType } from './schema.js';
import { assertInt8Size } from '../test-support.js';

const EVAL = 200;
const REF = 24;
const CALIB = 48;
const preprocess = { mean: [0], std: [1], channels: 1 as const };

async function load(split: 'train' | 'test', n: number, seed: number): Promise<Float32Array> {
  const ds: Dataset = await openDataset({ data: 'fashion-mnist', split, preprocess });
  const parts: Float32Array[] = [];
  for await (const b of ds.batches(sampleIndices(await ds.labels(), n, seed), 100)) parts.push(b.x);
  const x = new Float32Array(parts.reduce((a, p) => a + p.length, 0));
  let o = 0;
  for (const p of parts) {
    x.set(p, o);
    o += p.length;
  }
  return x;
}

const data = (async () => ({ evalX: await load('test', EVAL, 0), calibX: await load('train', CALIB, 1) }))();

/** Writes `bytes` as `dir/file` and returns its outputs on the EVAL images `x` in the TFLite interpreter. */
async function runWritten(dir: string, file: string, bytes: Uint8Array, x: Float32Array): Promise<Float32Array> {
  const path = join(dir, file);
  writeFileSync(path, bytes);
  const r = await openTflite(path);
  try {
    return await r.run(x, EVAL);
  } finally {
    await r.release();
  }
}

function compare(a: Float32Array, b: Float32Array, n: number): { maxAbs: number; agreement: number; scale: number } {
  const K = a.length / n;
  let maxAbs = 0;
  let scale = 0;
  let agree = 0;
  for (let i = 0; i < n; i++) {
    let ia = 0;
    let ib = 0;
    for (let k = 0; k < K; k++) {
      const j = i * K + k;
      maxAbs = Math.max(maxAbs, Math.abs(a[j] - b[j]));
      scale = Math.max(scale, Math.abs(b[j]));
      if (a[j] > a[i * K + ia]) ia = k;
      if (b[j] > b[i * K + ib]) ib = k;
    }
    if (ia === ib) agree++;
  }
  return { maxAbs, agreement: agree / n, scale };
}

const FAMILIES = ['se-resnet-demo', 'se-mobilenet-demo', 'se-mobilenetv3-demo', 'se-shufflenet-demo', 'se-shufflenetv2-demo'];

for (const name of FAMILIES) {
  test(`${name}: fp32, fp16 and int8 .tflite in the TFLite interpreter match the executor`, async (t) => {
    const { evalX, calibX } = await data;
    const g = buildZooModel(name);
    const per = g.inputs[0].shape.reduce((a, b) => a * b, 1);
    const exec = (await runGraph(g, evalX.subarray(0, REF * per), REF)).outputs[0];
    const dir = mkdtempSync(join(tmpdir(), 'tflite-write-'));
    const run = (bytes: Uint8Array, file: string): Promise<Float32Array> => runWritten(dir, file, bytes, evalX);
    /** The same file in Arm NN (CpuRef, the first REF images): loads, and its numbers or its known fault. */
    const inArmnn = async (file: string): Promise<{ out: Float32Array; caveat?: string }> => {
      const r = await openArmnn(join(dir, file));
      try {
        return { out: await r.run(evalX.subarray(0, REF * per), REF), ...(r.caveat ? { caveat: r.caveat } : {}) };
      } finally {
        await r.release();
      }
    };
    const armnn = armnnAvailable().ok;
    if (!armnn) t.diagnostic(`Arm NN half not run: ${(armnnAvailable() as { why?: string }).why}`);
    try {
      const fp32 = await writeTflite(g, { quant: 'fp32' });
      const ref = await run(fp32.bytes, 'fp32.tflite');
      const c32 = compare(ref.subarray(0, exec.length), exec, REF);
      assert.ok(c32.maxAbs <= 1e-4, `fp32 max |Δ| ${c32.maxAbs}`);
      if (armnn) {
        const a32 = compare((await inArmnn('fp32.tflite')).out, exec, REF);
        assert.ok(a32.maxAbs <= 1e-4, `fp32 in Arm NN: max |Δ| ${a32.maxAbs}`);
      }

      const fp16 = await writeTflite(g, { quant: 'fp16' });
      assert.ok(fp16.bytes.length < 0.6 * fp32.bytes.length, `fp16 ${fp16.bytes.length} B vs fp32 ${fp32.bytes.length} B`);
      const c16 = compare(await run(fp16.bytes, 'fp16.tflite'), ref, EVAL);
      assert.ok(c16.maxAbs <= 2e-3 * Math.max(1, c16.scale), `fp16 max |Δ| ${c16.maxAbs} (logits up to ${c16.scale})`);
      assert.ok(c16.agreement >= 0.99, `fp16 argmax agreement ${c16.agreement}`);

      const int8 = await writeTflite(g, { quant: 'int8', io: 'float', calib: [{ x: calibX, n: CALIB }] });
      const info = readTflite(int8.bytes);
      // Every max pool in the zoo reads a non-negative tensor: PAD (zeros), never PADV2.
      for (const [q, b] of [['fp32', fp32.bytes], ['int8', int8.bytes]] as const) assert.ok(!readTflite(b).ops.includes('PADV2'), `${q} writes PADV2`);
      assert.equal(info.tensors[info.inputs[0]].type, TensorType.FLOAT32);
      const q8 = info.tensors.filter((t) => t.type === TensorType.INT8).length;
      assert.ok(q8 > info.tensors.length / 2, `${q8} of ${info.tensors.length} tensors are int8`);
      // Weights shrink 4×; per-channel scales (+ int64 zero points), int32 biases and the graph
      // structure are a fixed cost that models under 100k parameters feel (bench/RESULTS.md).
      t.diagnostic(assertInt8Size(g, int8.bytes.length, fp32.bytes.length, `${name} tflite`));
      const out8 = await run(int8.bytes, 'int8.tflite');
      const c8 = compare(out8, ref, EVAL);
      assert.ok(c8.agreement >= 0.95, `int8 argmax agreement with float ${c8.agreement}`);
      if (armnn) {
        const a8 = await inArmnn('int8.tflite');
        const same = compare(a8.out, out8.subarray(0, REF * (out8.length / EVAL)), REF);
        if (a8.caveat) t.diagnostic(`int8 in Arm NN: agreement with tfjs-tflite ${same.agreement}; ${a8.caveat}`);
        else assert.ok(same.agreement >= 0.95, `int8 in Arm NN: argmax agreement with tfjs-tflite ${same.agreement}`);
      }
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });
}

test('int8 with int8 I/O: the file takes and gives int8 tensors and still agrees with float', async () => {
  const { evalX, calibX } = await data;
  const g = buildZooModel('se-mobilenetv3-demo');
  const dir = mkdtempSync(join(tmpdir(), 'tflite-io-'));
  const fp32Path = join(dir, 'fp32.tflite');
  writeFileSync(fp32Path, (await writeTflite(g, { quant: 'fp32' })).bytes);
  const ref = (await verifyTflite(fp32Path, evalX, EVAL)).outputs;
  const { bytes } = await writeTflite(g, { quant: 'int8', io: 'int8', calib: [{ x: calibX, n: CALIB }] });
  const info = readTflite(bytes);
  const input = info.tensors[info.inputs[0]];
  const output = info.tensors[info.outputs[0]];
  assert.equal(input.type, TensorType.INT8);
  assert.equal(output.type, TensorType.INT8);
  assert.equal(input.scale.length, 1);
  assert.ok(!info.ops.includes('QUANTIZE') && !info.ops.includes('DEQUANTIZE'));
  try {
    const path = join(dir, 'int8io.tflite');
    writeFileSync(path, bytes);
    const r = await openTflite(path);
    try {
      const c = compare(await r.run(evalX, EVAL), ref, EVAL);
      assert.ok(c.agreement >= 0.95, `int8-I/O argmax agreement ${c.agreement}`);
    } finally {
      await r.release();
    }
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
});

test('int8 on a model with data-estimated batch norms (real margins): argmax agreement with float', async () => {
  // Random-weight zoo models predict one or two classes for every image, so their agreement above
  // says little; re-estimating the BN statistics on train images spreads the predictions.
  const { evalX, calibX } = await data;
  const train = await openDataset({ data: 'fashion-mnist', split: 'train', preprocess });
  const g = await reestimateBn(buildZooModel('se-shufflenetv2-demo'), train, sampleIndices(await train.labels(), 128, 2));
  const dir = mkdtempSync(join(tmpdir(), 'tflite-bn-'));
  try {
    const fp32Path = join(dir, 'fp32.tflite');
    writeFileSync(fp32Path, (await writeTflite(g, { quant: 'fp32' })).bytes);
    const ref = (await verifyTflite(fp32Path, evalX, EVAL)).outputs;
    const classes = new Set(Array.from({ length: EVAL }, (_, i) => {
      const row = Array.from(ref.subarray(i * 10, i * 10 + 10));
      return row.indexOf(Math.max(...row));
    }));
    assert.ok(classes.size >= 3, `the float model predicts ${classes.size} classes`);
    // Gate-aware: the SE gate paths float32 between a DEQUANTIZE of the pooled vector and a QUANTIZE of the gate.
    const int8Path = join(dir, 'int8.tflite');
    const bytes = (await writeTflite(g, { quant: 'int8', calib: [{ x: calibX, n: CALIB }], floatOps: (p) => gateOps(p).ops })).bytes;
    writeFileSync(int8Path, bytes);
    const info = readTflite(bytes);
    const seBlocks = g.nodes.filter((n) => n.kind === 'se').length;
    assert.equal(info.ops.filter((o) => o === 'QUANTIZE').length, 1 + seBlocks);
    assert.equal(info.ops.filter((o) => o === 'DEQUANTIZE').length, 1 + seBlocks);
    // Every FULLY_CONNECTED reads constant weights (Arm NN 22 refuses weights a DEQUANTIZE makes).
    info.ops.forEach((o, k) => {
      if (o === 'FULLY_CONNECTED') assert.ok(info.tensors[info.opTensors[k].inputs[1]].bufferBytes > 0, `FULLY_CONNECTED #${k} reads weights with no buffer`);
    });
    assert.equal(info.ops.filter((o) => o === 'LOGISTIC').length, seBlocks);
    const c = compare((await verifyTflite(int8Path, evalX, EVAL)).outputs, ref, EVAL);
    // Measured 91 % with float32 gate weights (92.5 % with weight-only int8 gate FCs, which Arm NN
    // 22 refuses; 91.5 % before gate-aware + bias correction): 3 of these 200 near-tied images. The
    // limit is the int8 convolutions: weight-only int8 alone gives 95–98 % on se-mobilenet-demo.
    assert.ok(c.agreement >= 0.9, `int8 argmax agreement with float ${c.agreement}`);
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
});

test('hard-swish decomposed (ADD +3 RELU6, MUL, MUL ×1/6): no HARD_SWISH op, fp32 equals the executor, int8 as close to float as the op form', async () => {
  const { evalX, calibX } = await data;
  const g = buildZooModel('se-mobilenetv3-demo');
  const hardSwishes = g.nodes.filter((n) => n.kind === 'activation' && n.attrs.fn === 'hard-swish').length;
  assert.ok(hardSwishes > 0, 'the demo MobileNetV3 has hard-swish activations');
  const per = g.inputs[0].shape.reduce((a, b) => a * b, 1);
  const exec = (await runGraph(g, evalX.subarray(0, REF * per), REF)).outputs[0];
  const dir = mkdtempSync(join(tmpdir(), 'tflite-hswish-'));
  const run = (bytes: Uint8Array, file: string): Promise<Float32Array> => runWritten(dir, file, bytes, evalX);
  try {
    const asOp = await writeTflite(g, { quant: 'fp32' });
    const fp32 = await writeTflite(g, { quant: 'fp32', hardSwish: 'decompose' });
    assert.equal(readTflite(asOp.bytes).ops.filter((o) => o === 'HARD_SWISH').length, hardSwishes);
    assert.ok(!readTflite(fp32.bytes).ops.includes('HARD_SWISH'));
    assert.ok(fp32.notes.some((n) => n.startsWith(`${hardSwishes} hard-swish written as ADD`)), fp32.notes.join('; '));
    const ref = await run(fp32.bytes, 'fp32.tflite');
    const c32 = compare(ref.subarray(0, exec.length), exec, REF);
    assert.ok(c32.maxAbs <= 1e-4, `decomposed fp32 max |Δ| ${c32.maxAbs}`);

    const calib = [{ x: calibX, n: CALIB }];
    const int8 = await writeTflite(g, { quant: 'int8', calib, hardSwish: 'decompose' });
    const ops = readTflite(int8.bytes).ops;
    assert.ok(!ops.includes('HARD_SWISH'), `int8 ops: ${[...new Set(ops)].join(', ')}`);
    const cDec = compare(await run(int8.bytes, 'int8-dec.tflite'), ref, EVAL);
    const cOp = compare(await run((await writeTflite(g, { quant: 'int8', calib })).bytes, 'int8-op.tflite'), ref, EVAL);
    assert.ok(cDec.agreement >= 0.95 && cDec.agreement >= cOp.agreement - 0.02, `int8 agreement with float: decomposed ${cDec.agreement}, HARD_SWISH ${cOp.agreement}`);
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
});
