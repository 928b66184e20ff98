/**
 * Lowering paths the zoo models do not reach, on a hand-built graph run in the TFLite interpreter
 * against the executor: explicit non-SAME conv pads (PAD), dilation, depthwise with a channel
 * multiplier, max pools with pads (PAD with zeros after relu6, PADV2 where the input may be negative), average pool excluding pads both as SAME and through
 * the count correction, a standalone batch norm, swish, hard-sigmoid, sigmoid, hard-swish,
 * relu6 and a dense layer with a fused relu; fp32 to 1e-4, int8 within its quantization step.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { Graph, Node } from '../../app/model/ir.js';
import { inferShapes } from '../../app/model/shapes.js';
import { runGraph } from '../../app/engine/executor.js';
import { writeTflite } from './write.js';
import { verifyTflite } from './verify.js';
import { readTflite } from './read.js';

let seed = 7;
const rand = (): number => {
  seed = (seed * 1103515245 + 12345) % 2 ** 31;
  return seed / 2 ** 31 - 0.5;
};
const arr = (n: number, s = 0.5): Float32Array => Float32Array.from({ length: n }, () => rand() * 2 * s);

function conv(name: string, input: string, inC: number, filters: number, k: number, stride: number, pads: [number, number, number, number], groups = 1, dil = 1): Node {
  return {
    kind: 'conv2d',
    name,
    inputs: [input],
    attrs: { filters, kernel: [k, k], strides: [stride, stride], pads, dilations: [dil, dil], groups },
    weights: { kernel: arr(k * k * (inC / groups) * filters), bias: arr(filters, 0.1) },
  };
}

const act = (name: string, input: string, fn: 'relu' | 'relu6' | 'sigmoid' | 'hard-sigmoid' | 'swish' | 'hard-swish'): Node => ({ kind: 'activation', name, inputs: [input], attrs: { fn } });

const pool = (name: string, input: string, type: 'max' | 'avg', k: number, s: number, pads: [number, number, number, number], countIncludePad: boolean): Node => ({
  kind: 'pool',
  name,
  inputs: [input],
  attrs: { type, global: false, kernel: [k, k], strides: [s, s], pads, countIncludePad },
});

function graph(): Graph {
  const nodes: Node[] = [
    conv('c1', 'x', 2, 4, 3, 2, [1, 1, 1, 1]), // 10 → 5, pads (1,1) where SAME wants (0,1): PAD + VALID
    act('sw', 'c1', 'swish'),
    { kind: 'batchnorm', name: 'bn', inputs: ['sw'], attrs: { epsilon: 1e-5, momentum: 0.1 }, weights: { gamma: arr(4, 1).map((v) => 1 + v), beta: arr(4), mean: arr(4), variance: arr(4).map((v) => 1 + Math.abs(v)) } },
    pool('mpn', 'bn', 'max', 2, 1, [1, 1, 0, 0], true), // input may be negative, pads (1,0) where SAME wants (0,1): PADV2 with the lowest float
    conv('dw', 'mpn', 4, 8, 3, 1, [2, 2, 2, 2], 4, 2), // depthwise, multiplier 2, dilation 2
    act('r6', 'dw', 'relu6'),
    pool('mp', 'r6', 'max', 2, 2, [1, 1, 1, 1], true), // 5 → 3, pads (1,0) where SAME wants (0,1), after relu6: PAD with zeros
    act('hs', 'mp', 'hard-sigmoid'),
    pool('ap', 'hs', 'avg', 3, 1, [1, 1, 1, 1], false), // = SAME
    pool('ap2', 'ap', 'avg', 2, 1, [1, 1, 0, 0], false), // not SAME: count correction
    act('hw', 'ap2', 'hard-swish'),
    act('sg', 'hw', 'sigmoid'),
    { kind: 'flatten', name: 'fl', inputs: ['sg'], attrs: {} },
    { kind: 'dense', name: 'd1', inputs: ['fl'], attrs: { units: 6 }, weights: { kernel: arr(72 * 6), bias: arr(6) } },
    act('d1r', 'd1', 'relu'),
    { kind: 'dense', name: 'd2', inputs: ['d1r'], attrs: { units: 5 }, weights: { kernel: arr(30), bias: arr(5) } },
  ];
  return { name: 'ops', inputs: [{ name: 'x', shape: [10, 10, 2] }], outputs: ['d2'], nodes, meta: {} };
}

test('every lowering path runs in the TFLite interpreter with the executor’s numbers', async () => {
  const g = graph();
  assert.deepEqual(inferShapes(g).get('ap2'), [3, 3, 8]);
  const n = 16;
  const x = arr(n * 200, 2);
  const ref = (await runGraph(g, x, n)).outputs[0];
  const dir = mkdtempSync(join(tmpdir(), 'tflite-ops-'));
  try {
    const fp32 = await writeTflite(g, { quant: 'fp32' });
    const ops = readTflite(fp32.bytes).ops;
    // PADV2 only for the max pool whose input may be negative, and the file says so.
    assert.equal(ops.filter((o) => o === 'PADV2').length, 1, ops.join(' '));
    assert.ok(fp32.notes.some((n) => n.startsWith('PADV2') && n.endsWith(': mpn')), fp32.notes.join('\n'));
    for (const op of ['PAD', 'PADV2', 'DEPTHWISE_CONV_2D', 'MAX_POOL_2D', 'AVERAGE_POOL_2D', 'LOGISTIC', 'HARD_SWISH', 'FULLY_CONNECTED']) assert.ok(ops.includes(op), `${op} in ${ops.join(' ')}`);
    writeFileSync(join(dir, 'fp32.tflite'), fp32.bytes);
    const out = (await verifyTflite(join(dir, 'fp32.tflite'), x, n)).outputs;
    let d = 0;
    for (let i = 0; i < ref.length; i++) d = Math.max(d, Math.abs(out[i] - ref[i]));
    assert.ok(d <= 1e-4, `fp32 max |Δ| ${d}`);

    const int8 = await writeTflite(g, { quant: 'int8', calib: [{ x, n }] });
    writeFileSync(join(dir, 'int8.tflite'), int8.bytes);
    const q = (await verifyTflite(join(dir, 'int8.tflite'), x, n)).outputs;
    let dq = 0;
    let span = 0;
    for (let i = 0; i < ref.length; i++) {
      dq = Math.max(dq, Math.abs(q[i] - ref[i]));
      span = Math.max(span, Math.abs(ref[i]));
    }
    assert.ok(dq <= 0.1 * span, `int8 max |Δ| ${dq} for logits up to ${span}`);
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
});
