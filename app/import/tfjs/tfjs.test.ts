/**
 * TF.js layers import: the Keras-format fixture (tools/make-onnx-fixtures.py writes it with a
 * numpy reference output) imports with both SE spellings recognised, and the executor matches
 * the numpy reference within 1e-4 — which also checks uint8 and float16 weight dequantization
 * and the two-shard manifest. Plus: Keras 3's hard_sigmoid, the loadModel path, and errors.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { tfjsToGraph } from './reader.js';
import { runGraph } from '../../engine/executor.js';
import { loadModel } from '../load.js';
import { ModelError } from '../../model/errors.js';
import { summarize } from '../../model/summary.js';
import { seNodes } from '../../model/ir.js';

const DIR = fileURLToPath(new URL('../fixtures/keras-se/', import.meta.url));
const MODEL = `${DIR}model.json`;
const bytes = (): Uint8Array => new Uint8Array(readFileSync(MODEL));
const enc = (o: unknown): Uint8Array => new TextEncoder().encode(JSON.stringify(o));

test('Keras SE model.json: two SE blocks, executor output = numpy reference (|Δ| ≤ 1e-4)', async () => {
  const g = tfjsToGraph(bytes(), MODEL);
  const se = seNodes(g);
  assert.equal(se.length, 2);
  const [a, b] = se;
  assert.deepEqual([a.attrs.gate, a.attrs.gateAlpha, a.attrs.innerAct, a.attrs.channels, a.attrs.hidden], ['hard-sigmoid', 0.2, 'relu', 8, 4]);
  assert.deepEqual([b.attrs.gate, b.attrs.innerAct, b.attrs.channels, b.attrs.hidden], ['sigmoid', 'relu', 16, 4]);
  // The SE chain layers are absorbed: only the SE nodes, no dense on maps, no multiply leftovers.
  assert.equal(g.nodes.filter((n) => n.kind === 'dense').length, 1);
  assert.equal(summarize(g).seBlocks.length, 2);
  const ref = JSON.parse(readFileSync(`${DIR}expected.json`, 'utf8')) as { input: number[]; n: number; output: number[] };
  const out = await runGraph(g, Float32Array.from(ref.input), ref.n);
  assert.equal(out.outputs[0].length, ref.output.length);
  let d = 0;
  out.outputs[0].forEach((v, i) => (d = Math.max(d, Math.abs(v - ref.output[i]))));
  assert.ok(Math.max(...ref.output.map(Math.abs)) > 1e-2);
  assert.ok(d <= 1e-4, `max |Δ| = ${d}`);
});

test('Keras 3 hard_sigmoid is relu6(x + 3) / 6 (alpha 1/6)', () => {
  const j = JSON.parse(readFileSync(MODEL, 'utf8'));
  j.modelTopology.keras_version = '3.3.3';
  j.generatedBy = 'keras v3.3.3';
  const g = tfjsToGraph(enc(j), MODEL);
  const hs = seNodes(g).find((n) => n.attrs.gate === 'hard-sigmoid');
  assert.ok(hs && Math.abs(hs.attrs.gateAlpha - 1 / 6) < 1e-9);
});

test('loadModel opens model.json through the reader list', async () => {
  const m = await loadModel(MODEL);
  assert.equal(seNodes(m.project.graph).length, 2);
  assert.deepEqual(m.project.graph.inputs[0].shape, [16, 16, 3]);
});

test('TF.js errors are one sentence: bad JSON, missing shard, unsupported layer', () => {
  const isOne = (re: RegExp) => (e: unknown): boolean => e instanceof ModelError && re.test(e.message) && !e.message.includes('\n');
  assert.throws(() => tfjsToGraph(bytes().subarray(0, 500), MODEL), isOne(/not valid JSON/));
  const j = JSON.parse(readFileSync(MODEL, 'utf8'));
  j.weightsManifest[0].paths[1] = 'missing.bin';
  assert.throws(() => tfjsToGraph(enc(j), MODEL), isOne(/weight file missing\.bin .* cannot be read/));
  const k = JSON.parse(readFileSync(MODEL, 'utf8'));
  k.modelTopology.model_config.config.layers.find((l: { name: string }) => l.name === 'pool').class_name = 'LSTM';
  assert.throws(() => tfjsToGraph(enc(k), MODEL), isOne(/Keras layer LSTM \("pool"\).*supported layers: .*Conv2D/));
  const t = JSON.parse(readFileSync(MODEL, 'utf8'));
  t.weightsManifest[0].weights[0].shape = [3, 3, 3, 800];
  assert.throws(() => tfjsToGraph(enc(t), MODEL), isOne(/shorter than its manifest/));
});
