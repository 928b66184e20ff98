/**
 * ONNX import: for every fixture (hand-built in the node patterns torch.onnx.export emits, see
 * tools/make-onnx-fixtures.py), the imported IR run by our executor matches onnxruntime running
 * the original file (|Δ| ≤ 1e-4), with the expected SE and channel-shuffle counts; plus error
 * sentences for unsupported ops and damaged files, a round trip through our own ONNX writer,
 * and the CLI path (`seprune inspect x.onnx --json`).
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { spawnSync } from 'node:child_process';
import { onnxToGraph } from './import.js';
import { runGraph } from '../../engine/executor.js';
import { createOrtSession } from '../../engine/ort.js';
import { graphToOnnx } from '../../engine/onnx/to-onnx.js';
import { decodeModel, encodeModel } from '../../engine/onnx/schema.js';
import { Rng } from '../../model/random.js';
import { ModelError } from '../../model/errors.js';
import { summarize } from '../../model/summary.js';
import { buildZooModel } from '../../model/zoo/index.js';
import { loadModel } from '../load.js';
import type { Graph } from '../../model/ir.js';

const FIX = fileURLToPath(new URL('../fixtures/', import.meta.url));
const ROOT = fileURLToPath(new URL('../../../', import.meta.url));
const TOL = 1e-4;

const count = (g: Graph, kind: string): number => g.nodes.filter((n) => n.kind === kind).length;

async function parity(g: Graph, bytes: Uint8Array): Promise<{ diff: number; scale: number }> {
  const n = 2;
  const x = new Rng(99).normalArray(n * g.inputs[0].shape.reduce((a, b) => a * b, 1), 1);
  const ours = await runGraph(g, x, n);
  const m = await createOrtSession(bytes, { threads: 1 });
  try {
    const ref = await m.run(x, n);
    assert.equal(ours.outputs[0].length, ref.outputs[0].length);
    let diff = 0;
    let scale = 0;
    ours.outputs[0].forEach((v, i) => {
      diff = Math.max(diff, Math.abs(v - ref.outputs[0][i]));
      scale = Math.max(scale, Math.abs(ref.outputs[0][i]));
    });
    return { diff, scale };
  } finally {
    await m.release();
  }
}

const FIXTURES: { file: string; se: number; shuffle: number; extra?: (g: Graph) => void }[] = [
  { file: 'se-resnet-ts13.onnx', se: 4, shuffle: 0 },
  {
    file: 'mobilenetv3-ts14.onnx', se: 4, shuffle: 0,
    extra: (g) => assert.ok(g.nodes.some((n) => n.kind === 'se' && n.attrs.gate === 'hard-sigmoid' && Math.abs(n.attrs.gateAlpha - 1 / 6) < 1e-6)),
  },
  {
    file: 'mobilenetv3-ts13.onnx', se: 4, shuffle: 0,
    extra: (g) => {
      // Add/Clip/Div hard-sigmoids and x·relu6(x+3)/6 hard-swishes all fused: no affine leftovers.
      assert.equal(count(g, 'batchnorm'), 0);
      assert.equal(g.nodes.filter((n) => n.kind === 'activation' && n.attrs.fn === 'hard-swish').length, 11);
      assert.ok(g.nodes.every((n) => n.kind !== 'se' || n.attrs.gate === 'hard-sigmoid'));
    },
  },
  { file: 'regnety-ts13.onnx', se: 3, shuffle: 0, extra: (g) => assert.ok(g.nodes.some((n) => n.kind === 'conv2d' && n.attrs.groups > 1 && n.attrs.groups < n.attrs.filters)) },
  { file: 'shufflenetv2-se-ts13.onnx', se: 4, shuffle: 4, extra: (g) => assert.equal(count(g, 'split'), 2) },
  {
    file: 'efficientnet-dynamo18.onnx', se: 3, shuffle: 0,
    extra: (g) => {
      assert.ok(g.nodes.every((n) => n.kind !== 'se' || n.attrs.innerAct === 'swish'));
      assert.equal(count(g, 'batchnorm'), 11);
    },
  },
];

for (const f of FIXTURES) {
  test(`ONNX import of ${f.file}: ${f.se} SE, ${f.shuffle} shuffles, executor = onnxruntime (|Δ| ≤ ${TOL})`, async () => {
    const bytes = readFileSync(FIX + f.file);
    const g = onnxToGraph(bytes, f.file);
    assert.equal(count(g, 'se'), f.se);
    assert.equal(count(g, 'channel-shuffle'), f.shuffle);
    f.extra?.(g);
    const s = summarize(g);
    assert.equal(s.seBlocks.length, f.se);
    assert.ok(s.params > 1000 && s.macs > s.params);
    const { diff, scale } = await parity(g, bytes);
    assert.ok(scale > 1e-2, `logits are not trivially small (max ${scale})`);
    assert.ok(diff <= TOL, `max |Δ| = ${diff}`);
  });
}

test('a zoo model written by our own ONNX writer imports back with the same SE blocks and outputs', async () => {
  const src = buildZooModel('se-shufflenet-demo');
  const bytes = graphToOnnx(src, { opset: 17 });
  const g = onnxToGraph(bytes, 'roundtrip.onnx');
  assert.equal(count(g, 'se'), count(src, 'se'));
  assert.equal(count(g, 'channel-shuffle'), count(src, 'channel-shuffle'));
  assert.equal(summarize(g).params, summarize(src).params);
  const { diff } = await parity(g, bytes);
  assert.ok(diff <= TOL, `max |Δ| = ${diff}`);
});

test('an unsupported op gives one sentence naming the op, the node and the supported list', () => {
  const m = decodeModel(readFileSync(FIX + 'regnety-ts13.onnx'));
  const node = m.graph?.node?.find((n) => n.op_type === 'Relu');
  assert.ok(node);
  node.op_type = 'Elu';
  assert.throws(() => onnxToGraph(encodeModel(m), 'bad.onnx'), (e: unknown) => {
    assert.ok(e instanceof ModelError);
    assert.match(e.message, /the op Elu \(node "\/stem\/conv\/bn\/act\/Relu"\).*supported ops: .*Conv.*HardSwish/);
    assert.equal(e.message.split('\n').length, 1);
    return true;
  });
});

test('corrupted and truncated files give one sentence', () => {
  const bytes = readFileSync(FIX + 'se-resnet-ts13.onnx');
  for (const b of [bytes.subarray(0, 1000), Uint8Array.from([0xff, 0xff, 0xff, 0xff, 0x0f, 1, 2]), new Uint8Array(0)]) {
    assert.throws(() => onnxToGraph(b, 'x.onnx'), (e: unknown) => e instanceof ModelError && /^The model file x\.onnx is not a valid ONNX/.test(e.message) && !e.message.includes('\n'));
  }
});

test('loadModel reads .onnx through the reader list, and `seprune inspect x.onnx --json` works', async () => {
  const m = await loadModel(FIX + 'shufflenetv2-se-ts13.onnx');
  assert.equal(count(m.project.graph, 'se'), 4);
  const r = spawnSync(process.execPath, ['bin/seprune.mjs', 'inspect', 'app/import/fixtures/mobilenetv3-ts14.onnx', '--json'], { cwd: ROOT, encoding: 'utf8' });
  assert.equal(r.status, 0, r.stderr);
  const j = JSON.parse(r.stdout) as { seBlocks: unknown[]; inputs: { shape: number[] }[] };
  assert.equal(j.seBlocks.length, 4);
  assert.deepEqual(j.inputs[0].shape, [32, 32, 3]);
});
