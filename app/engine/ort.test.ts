/**
 * IR → ONNX → onnxruntime: every zoo model converts, passes the reference ONNX checker
 * (Debian's python3-onnx, full_check, opsets 13 and 17), loads in onnxruntime-node and yields
 * outputs and gates of the right shape; single-op graphs match hand-computed references, which
 * pins the layout conventions (OIHW kernels, NHWC flatten order, shuffle order, pads, SE).
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { existsSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { spawnSync } from 'node:child_process';
import { buildZooModel, ZOO_NAMES } from '../model/zoo/index.js';
import { seNodes, type Graph, type Node } from '../model/ir.js';
import { inferShapes } from '../model/shapes.js';
import { Rng } from '../model/random.js';
import { ModelError } from '../model/errors.js';
import { graphToOnnx, buildOnnxModel } from './onnx/to-onnx.js';
import { AttributeType, DataType, decodeModel, encodeModel } from './onnx/schema.js';
import { createOrtSession, ortForGraph } from './ort.js';

const PYTHON = '/usr/bin/python3';
const CHECKER = `
import sys, onnx
bad = 0
for f in sys.argv[1:]:
    try:
        onnx.checker.check_model(onnx.load(f), full_check=True)
    except Exception as e:
        bad += 1
        print(f + ': ' + str(e).strip().splitlines()[0] if str(e).strip() else f + ': ' + type(e).__name__)
sys.exit(1 if bad else 0)
`;

function pythonOnnxAvailable(): boolean {
  if (!existsSync(PYTHON)) return false;
  return spawnSync(PYTHON, ['-c', 'import onnx'], { stdio: 'ignore' }).status === 0;
}
const HAS_CHECKER = pythonOnnxAvailable();
const NO_CHECKER = HAS_CHECKER ? false : `${PYTHON} with the onnx module is not installed (Debian: python3-onnx)`;

/** Runs onnx.checker (full_check) on each model; returns the failures as text ('' when all pass). */
function checkWithOnnx(models: Uint8Array[]): string {
  const dir = mkdtempSync(join(tmpdir(), 'seprune-onnx-'));
  try {
    const files = models.map((bytes, i) => {
      const f = join(dir, `m${i}.onnx`);
      writeFileSync(f, bytes);
      return f;
    });
    const r = spawnSync(PYTHON, ['-c', CHECKER, ...files], { encoding: 'utf8' });
    return r.status === 0 ? '' : `${r.stdout}${r.stderr}`.trim() || `checker exited with ${r.status}`;
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
}

const specFor = (name: string): string => (name.endsWith('-demo') ? name : `${name}?input=64x64x3`);

function randomBatch(shape: number[], n: number, seed: number): Float32Array {
  return new Rng(seed).normalArray(n * shape.reduce((a, b) => a * b, 1), 1);
}

for (const name of ZOO_NAMES) {
  test(`zoo:${specFor(name)} converts to ONNX that the checker and onnxruntime accept`, async () => {
    const g = buildZooModel(specFor(name));
    const shapes = inferShapes(g);
    const ses = seNodes(g);
    assert.ok(ses.length > 0, 'zoo models have SE blocks');
    const b13 = graphToOnnx(g, { opset: 13, exposeGates: true });
    const b17 = graphToOnnx(g, { opset: 17, exposeGates: true, metadata: { source: `zoo:${name}` } });
    if (HAS_CHECKER) assert.equal(checkWithOnnx([b13, b17]), '');

    const n = 2;
    const results = [];
    for (const bytes of [b13, b17]) {
      const m = await createOrtSession(bytes, { threads: 2 });
      try {
        assert.deepEqual(m.inputShape, g.inputs[0].shape);
        assert.equal(m.outputNames.length, g.outputs.length);
        assert.equal(m.outputNames[0], 'logits');
        assert.deepEqual(m.gateNames, ses.map((s) => `gate:${s.name}`));
        const r = await m.run(randomBatch(m.inputShape, n, 7), n);
        g.outputs.forEach((o, i) => {
          const per = (shapes.get(o) ?? []).reduce((a, b) => a * b, 1);
          assert.equal(r.outputs[i].length, n * per, `output ${o}`);
          assert.ok(r.outputs[i].every(Number.isFinite), `output ${o} is finite`);
        });
        for (const se of ses) {
          const gate = r.gates.get(`gate:${se.name}`);
          assert.ok(gate, `gate of ${se.name}`);
          assert.equal(gate.length, n * se.attrs.channels);
          assert.ok(gate.every((v) => v >= 0 && v <= 1), `gate of ${se.name} in [0, 1]`);
        }
        results.push(r);
      } finally {
        await m.release();
      }
    }
    // Opset 17 may use HardSwish where 13 spells it out: same numbers either way.
    const [r13, r17] = results;
    let maxDiff = 0;
    r13.outputs.forEach((o, i) => o.forEach((v, j) => (maxDiff = Math.max(maxDiff, Math.abs(v - r17.outputs[i][j])))));
    assert.ok(maxDiff <= 1e-5, `opset 13 vs 17 differ by ${maxDiff}`);
  });
}

test('the checker hook rejects a model whose declared output shape is wrong', { skip: NO_CHECKER }, () => {
  const model = buildOnnxModel(buildZooModel('se-resnet-demo'));
  const dims = model.graph?.output?.[0].type?.tensor_type?.shape?.dim;
  assert.ok(dims);
  dims[1] = { dim_value: 11 }; // 10 classes in truth
  assert.notEqual(checkWithOnnx([encodeModel(model)]), '');
});

test('schema round-trips a model: decode(encode(m)) keeps names, dims, attributes and raw data', () => {
  const g = buildZooModel('se-mobilenetv3-demo');
  const bytes = graphToOnnx(g, { opset: 14, metadata: { k: 'v' } });
  const m = decodeModel(bytes);
  assert.equal(m.ir_version, 8);
  assert.deepEqual(m.opset_import, [{ domain: '', version: 14 }]);
  assert.deepEqual(m.metadata_props, [{ key: 'k', value: 'v' }]);
  assert.equal(m.graph?.input?.[0].name, 'input');
  assert.deepEqual(m.graph?.input?.[0].type?.tensor_type?.shape?.dim, [{ dim_param: 'N' }, { dim_value: 1 }, { dim_value: 28 }, { dim_value: 28 }]);
  const conv = g.nodes.find((n) => n.kind === 'conv2d');
  assert.ok(conv && conv.kind === 'conv2d');
  const node = m.graph?.node?.find((n) => n.name === conv.name);
  assert.equal(node?.op_type, 'Conv');
  assert.deepEqual(node?.attribute?.find((a) => a.name === 'pads')?.ints, [...conv.attrs.pads]);
  const bn = g.nodes.find((n) => n.kind === 'batchnorm');
  assert.ok(bn && bn.kind === 'batchnorm');
  const init = m.graph?.initializer?.find((t) => t.name === `${bn.name}.gamma`);
  assert.ok(init?.raw_data);
  const raw = init.raw_data;
  const back = new Float32Array(raw.buffer.slice(raw.byteOffset, raw.byteOffset + raw.byteLength));
  assert.deepEqual(back, bn.weights.gamma);
  assert.equal(encodeModel(m).length, bytes.length);
});

test('decodeModel reads a model written by the reference onnx library', { skip: NO_CHECKER }, () => {
  const dir = mkdtempSync(join(tmpdir(), 'seprune-onnx-'));
  try {
    const file = join(dir, 'ref.onnx');
    const script = `
import sys, onnx
from onnx import helper, TensorProto
w = helper.make_tensor('w', TensorProto.FLOAT, [2, 3], [0.5, -1, 2, 3, 4, 5])
s = helper.make_tensor('s', TensorProto.INT64, [2], [-1, 6])
x = helper.make_tensor_value_info('x', TensorProto.FLOAT, ['batch', 2])
y = helper.make_tensor_value_info('y', TensorProto.FLOAT, ['batch', 6])
n1 = helper.make_node('Gemm', ['x', 'w'], ['h'], name='fc', alpha=0.25, transB=0)
n2 = helper.make_node('Reshape', ['h', 's'], ['y'], name='r')
g = helper.make_graph([n1, n2], 'ref', [x], [y], [w, s])
m = helper.make_model(g, opset_imports=[helper.make_opsetid('', 13)], producer_name='ref')
m.ir_version = 8
onnx.save(m, sys.argv[1])
`;
    const r = spawnSync(PYTHON, ['-c', script, file], { encoding: 'utf8' });
    assert.equal(r.status, 0, r.stderr);
    const m = decodeModel(readFileSync(file));
    assert.equal(m.ir_version, 8);
    assert.equal(m.producer_name, 'ref');
    assert.deepEqual(m.opset_import, [{ domain: '', version: 13 }]);
    const gr = m.graph;
    assert.ok(gr);
    assert.deepEqual(gr.input?.[0].type?.tensor_type?.shape?.dim, [{ dim_param: 'batch' }, { dim_value: 2 }]);
    assert.equal(gr.input?.[0].type?.tensor_type?.elem_type, DataType.FLOAT);
    assert.deepEqual(gr.node?.map((n) => n.op_type), ['Gemm', 'Reshape']);
    const alpha = gr.node?.[0].attribute?.find((a) => a.name === 'alpha');
    assert.equal(alpha?.type, AttributeType.FLOAT);
    assert.equal(alpha?.f, 0.25);
    const [wT, sT] = gr.initializer ?? [];
    assert.deepEqual(wT.dims, [2, 3]);
    assert.deepEqual(wT.float_data ?? Array.from(new Float32Array(new Uint8Array(wT.raw_data ?? []).buffer)), [0.5, -1, 2, 3, 4, 5]);
    assert.equal(sT.data_type, DataType.INT64);
    assert.deepEqual(sT.int64_data, [-1, 6]);
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
});

test('onnxruntime refusing a file is a ModelError carrying its message', async () => {
  const model = buildOnnxModel(buildZooModel('se-resnet-demo'));
  const node = model.graph?.node?.[0];
  assert.ok(node);
  node.op_type = 'NoSuchOp';
  await assert.rejects(createOrtSession(encodeModel(model)), (e: unknown) => {
    assert.ok(e instanceof ModelError);
    assert.match(e.message, /^onnxruntime cannot load this model: .*NoSuchOp.*\.$/s);
    return true;
  });
  await assert.rejects(createOrtSession(new Uint8Array([1, 2, 3, 4])), ModelError);
});

test('graphToOnnx refuses an opset outside 13..17', () => {
  const g = buildZooModel('se-resnet-demo');
  assert.throws(() => graphToOnnx(g, { opset: 12 }), /opset must be an integer from 13 to 17/);
  assert.throws(() => graphToOnnx(g, { opset: 18 }), /opset/);
});

// ---- single-op graphs against references written out by hand -------------------------------

function graphOf(input: number[], nodes: Node[], outputs = [nodes[nodes.length - 1].name]): Graph {
  return { name: 't', inputs: [{ name: 'x', shape: input }], outputs, nodes, meta: {} };
}

async function runOne(g: Graph, x: Float32Array, n = 1, exposeGates = false) {
  const m = await ortForGraph(g, { exposeGates, threads: 1 });
  try {
    return await m.run(x, n);
  } finally {
    await m.release();
  }
}

const iota = (len: number): Float32Array => Float32Array.from({ length: len }, (_, i) => i);

function assertClose(actual: Float32Array, expected: Float32Array, tol = 1e-5): void {
  assert.equal(actual.length, expected.length);
  let worst = 0;
  for (let i = 0; i < actual.length; i++) worst = Math.max(worst, Math.abs(actual[i] - expected[i]));
  assert.ok(worst <= tol, `max |Δ| = ${worst}`);
}

test('flatten of a 2×2 map keeps the IR NHWC order', async () => {
  const g = graphOf([2, 2, 3], [{ kind: 'flatten', name: 'f', inputs: ['x'], attrs: {} }]);
  const x = iota(2 * 12);
  const r = await runOne(g, x, 2);
  assertClose(r.outputs[0], x, 0);
});

test('channel shuffle, split and concat move channels as the IR says', async () => {
  const g = graphOf([2, 1, 6], [
    { kind: 'channel-shuffle', name: 's', inputs: ['x'], attrs: { groups: 3 } },
    { kind: 'split', name: 'p', inputs: ['s'], attrs: { sizes: [2, 4] } },
    { kind: 'concat', name: 'c', inputs: ['p:1', 'p:0'], attrs: {} },
  ]);
  const x = iota(12);
  const r = await runOne(g, x);
  // shuffle: out[c' * G + g] = in[g * (C / G) + c'] with C = 6, G = 3.
  const expected = new Float32Array(12);
  for (let px = 0; px < 2; px++) {
    const sh = new Float32Array(6);
    for (let gi = 0; gi < 3; gi++) for (let c = 0; c < 2; c++) sh[c * 3 + gi] = x[px * 6 + gi * 2 + c];
    expected.set([...sh.slice(2), ...sh.slice(0, 2)], px * 6);
  }
  assertClose(r.outputs[0], expected, 0);
});

test('grouped, strided conv with asymmetric pads matches a direct HWIO convolution', async () => {
  const [H, W, C, F, G, kh, kw] = [5, 6, 4, 6, 2, 3, 2];
  const pads: [number, number, number, number] = [1, 0, 2, 1];
  const strides: [number, number] = [2, 1];
  const rng = new Rng(3);
  const kernel = rng.normalArray(kh * kw * (C / G) * F, 1);
  const bias = rng.normalArray(F, 1);
  const g = graphOf([H, W, C], [
    { kind: 'conv2d', name: 'c', inputs: ['x'], attrs: { filters: F, kernel: [kh, kw], strides, pads, dilations: [1, 1], groups: G }, weights: { kernel, bias } },
  ]);
  const [oh, ow] = inferShapes(g).get('c') ?? [];
  const x = rng.normalArray(H * W * C, 1);
  const cin = C / G;
  const fout = F / G;
  const expected = new Float32Array(oh * ow * F);
  for (let i = 0; i < oh; i++) {
    for (let j = 0; j < ow; j++) {
      for (let f = 0; f < F; f++) {
        const grp = Math.floor(f / fout);
        let s = bias[f];
        for (let a = 0; a < kh; a++) {
          for (let b = 0; b < kw; b++) {
            const y = i * strides[0] + a - pads[0];
            const z = j * strides[1] + b - pads[1];
            if (y < 0 || y >= H || z < 0 || z >= W) continue;
            for (let c = 0; c < cin; c++) s += x[(y * W + z) * C + grp * cin + c] * kernel[((a * kw + b) * cin + c) * F + f];
          }
        }
        expected[(i * ow + j) * F + f] = s;
      }
    }
  }
  const r = await runOne(g, x);
  assertClose(r.outputs[0], expected, 1e-4);
});

test('average pool honours count_include_pad; max pool pads with -inf', async () => {
  const pool = (name: string, type: 'max' | 'avg', countIncludePad: boolean): Node => ({
    kind: 'pool', name, inputs: ['x'],
    attrs: { type, global: false, kernel: [3, 3], strides: [2, 2], pads: [1, 1, 1, 1], countIncludePad },
  });
  const g = graphOf([4, 4, 1], [pool('a', 'avg', true), pool('b', 'avg', false), pool('m', 'max', false)], ['a', 'b', 'm']);
  const x = iota(16).map((v) => -1 - v);
  const r = await runOne(g, x);
  // Output (0, 0) covers input rows/cols 0..1 plus padding: values -1, -2, -5, -6.
  assert.ok(Math.abs(r.outputs[0][0] - -14 / 9) < 1e-6);
  assert.ok(Math.abs(r.outputs[1][0] - -14 / 4) < 1e-6);
  assert.equal(r.outputs[2][0], -1);
});

test('an SE block computes gate(fc2ᵀ·act(fc1ᵀ·GAP(x) + b1) + b2) ⊙ x and exposes the gate', async () => {
  const [H, W, C, Hd] = [3, 2, 4, 2];
  const rng = new Rng(5);
  const weights = { fc1: rng.normalArray(C * Hd, 1), fc1Bias: rng.normalArray(Hd, 1), fc2: rng.normalArray(Hd * C, 1), fc2Bias: rng.normalArray(C, 1) };
  const g = graphOf([H, W, C], [
    { kind: 'se', name: 'se', inputs: ['x'], attrs: { channels: C, hidden: Hd, gate: 'hard-sigmoid', gateAlpha: 0.2, gateBeta: 0.5, innerAct: 'swish' }, weights },
  ]);
  const x = rng.normalArray(H * W * C, 2);
  const gap = new Float64Array(C);
  for (let p = 0; p < H * W; p++) for (let c = 0; c < C; c++) gap[c] += x[p * C + c] / (H * W);
  const hid = Array.from({ length: Hd }, (_, h) => {
    let s = weights.fc1Bias[h];
    for (let c = 0; c < C; c++) s += gap[c] * weights.fc1[c * Hd + h];
    return s / (1 + Math.exp(-s));
  });
  const gate = Float32Array.from({ length: C }, (_, c) => {
    let s = weights.fc2Bias[c];
    for (let h = 0; h < Hd; h++) s += hid[h] * weights.fc2[h * C + c];
    return Math.min(1, Math.max(0, 0.2 * s + 0.5));
  });
  const r = await runOne(g, x, 1, true);
  assertClose(r.gates.get('gate:se') ?? new Float32Array(), gate);
  assertClose(r.outputs[0], x.map((v, i) => v * gate[i % C]));
});

test('activations match their formulas at opset 13 and 17', async () => {
  const fns = ['relu', 'relu6', 'sigmoid', 'hard-sigmoid', 'swish', 'hard-swish'] as const;
  const nodes: Node[] = fns.map((fn) => ({ kind: 'activation', name: fn, inputs: ['x'], attrs: { fn } }));
  const g = graphOf([1, 1, 16], nodes, [...fns]);
  const x = Float32Array.from({ length: 16 }, (_, i) => (i - 8) * 0.9);
  const hs = (v: number): number => Math.min(1, Math.max(0, v / 6 + 0.5));
  const sg = (v: number): number => 1 / (1 + Math.exp(-v));
  const ref: Record<(typeof fns)[number], (v: number) => number> = {
    relu: (v) => Math.max(0, v),
    relu6: (v) => Math.min(6, Math.max(0, v)),
    sigmoid: sg,
    'hard-sigmoid': hs,
    swish: (v) => v * sg(v),
    'hard-swish': (v) => v * hs(v),
  };
  for (const opset of [13, 17]) {
    const m = await createOrtSession(graphToOnnx(g, { opset }), { threads: 1 });
    const r = await m.run(x, 1);
    await m.release();
    fns.forEach((fn, i) => assertClose(r.outputs[i], x.map(ref[fn])));
  }
});
