// The torch module built from the IR computes what our executor computes (≤ 1e-4 on the logits):
// every zoo family, in inference and in training mode (batch statistics), and real PyTorch
// networks exported by torch.onnx.export (batch norm folded into the convs) at small width.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { spawnSync } from 'node:child_process';
import { buildZooModel } from '../../model/zoo/index.js';
import { loadModel } from '../../import/load.js';
import { Rng } from '../../model/random.js';
import { tf } from '../../engine/tf.js';
import { forward } from '../../engine/executor.js';
import type { Graph } from '../../model/ir.js';
import { torchPython, noTorch, torchForward, maxAbsDiff, maxAbs } from './test-support.js';

const dir = mkdtempSync(join(tmpdir(), 'seprune-torch-fwd-'));
test.after(() => rmSync(dir, { recursive: true, force: true }));

function executor(g: Graph, x: Float32Array, n: number, training: boolean): Float32Array {
  const [h, w, c] = g.inputs[0].shape;
  const xt = tf.tensor4d(x, [n, h, w, c]);
  const out = forward(g, xt, { training }).outputs;
  const y = Float32Array.from(out[0].dataSync());
  tf.dispose([xt, ...out]);
  return y;
}

function images(g: Graph, n: number, seed: number): Float32Array {
  const [h, w, c] = g.inputs[0].shape;
  return new Rng(seed).normalArray(n * h * w * c, 1);
}

const FAMILIES = ['se-resnet-demo', 'se-mobilenet-demo', 'se-mobilenetv3-demo', 'se-shufflenet-demo', 'se-shufflenetv2-demo'];

test('torch forward: every zoo family equals the executor (eval and training mode)', { skip: noTorch }, () => {
  const cases = FAMILIES.flatMap((name) => {
    const g = buildZooModel(`${name}?input=16x16x1&classes=10&seed=3`);
    const x = images(g, 4, 7);
    return [false, true].map((train) => ({ name, g, x, n: 4, train }));
  });
  const theirs = torchForward(cases, dir);
  cases.forEach((c, i) => {
    const ours = executor(c.g, c.x, c.n, c.train);
    const d = maxAbsDiff(ours, theirs[i]);
    assert.ok(d <= 1e-4 * Math.max(1, maxAbs(ours)), `${c.name} ${c.train ? 'train' : 'eval'}: max |Δ| ${d}`);
  });
});

test('torch forward: real torch.onnx.export networks (BN folded) equal the executor', { skip: noTorch }, async () => {
  // Small widths keep the export to seconds; the structure is the real one.
  const script = `
import sys, torch
sys.path.insert(0, 'tools')
import torchnets
for name, width in (('se_resnet18', 8), ('mobilenet_v3_small', None), ('shufflenet_v2_se', None)):
    net = torchnets.build(name, width=width) if width else torchnets.build(name)
    net.eval()
    torchnets.export_onnx(net, '${dir}/' + name + '.onnx')
`;
  const r = spawnSync(torchPython!, ['-c', script], { encoding: 'utf8', cwd: join(import.meta.dirname, '../../..') });
  assert.equal(r.status, 0, r.stderr);
  const cases = [];
  for (const name of ['se_resnet18', 'mobilenet_v3_small', 'shufflenet_v2_se']) {
    const g = (await loadModel(join(dir, `${name}.onnx`))).project.graph;
    assert.ok(!g.nodes.some((n) => n.kind === 'batchnorm'), `${name}: the exporter folded every BN`);
    cases.push({ name, g, x: images(g, 3, 11), n: 3 });
  }
  const theirs = torchForward(cases, dir);
  cases.forEach((c, i) => {
    const ours = executor(c.g, c.x, c.n, false);
    const d = maxAbsDiff(ours, theirs[i]);
    assert.ok(d <= 1e-4 * Math.max(1, maxAbs(ours)), `${c.name}: max |Δ| ${d}`);
  });
});
