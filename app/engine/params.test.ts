/**
 * ParamStore: one variable per IR weight with the IR's layout, writeBack into a copy, disposal,
 * and gradients: a finite-difference check on a tiny graph touching every differentiable path
 * (grouped + dilated conv, training BN, hard-swish, SE with hard-sigmoid gate, padded pools,
 * dense), and a non-null gradient for every trainable variable of se-resnet-demo.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { type Graph, type Node, nodeWeights } from '../model/ir.js';
import { inferShapes } from '../model/shapes.js';
import { Rng } from '../model/random.js';
import { buildZooModel } from '../model/zoo/index.js';
import { tf } from './tf.js';
import { forward } from './executor.js';
import { createParams, writeBack } from './params.js';

const rng = new Rng(11);

test('createParams makes one variable per weight (BN moving stats non-trainable) and writeBack copies into a new graph', () => {
  const g = buildZooModel('se-mobilenetv3-demo');
  const before = tf.memory().numTensors;
  const p = createParams(g);
  let weights = 0;
  let bnStats = 0;
  for (const n of g.nodes) {
    for (const [k, arr] of nodeWeights(n)) {
      weights++;
      const v = p.get(n.name, k);
      assert.ok(v, `${n.name}/${k} has a variable`);
      assert.equal(v.size, arr.length);
      const isStat = n.kind === 'batchnorm' && (k === 'mean' || k === 'variance');
      if (isStat) bnStats++;
      assert.equal(v.trainable, !isStat, `${n.name}/${k} trainable flag`);
      assert.equal(p.keyOf(v.name), `${n.name}/${k}`);
    }
  }
  assert.equal(p.trainable.size + p.stats.size, weights);
  assert.equal(p.stats.size, bnStats);
  assert.equal(p.variables().length, weights - bnStats);

  // A second store for the same graph must not clash on tfjs' global variable names.
  const q = createParams(g);
  q.dispose();

  const conv = g.nodes.find((n) => n.kind === 'conv2d');
  assert.ok(conv && conv.kind === 'conv2d');
  const v = p.get(conv.name, 'kernel');
  assert.ok(v);
  assert.deepEqual(v.shape.slice(0, 2), conv.attrs.kernel);
  assert.equal(v.shape[3], conv.attrs.filters);
  const original = conv.weights.kernel.slice();
  tf.tidy(() => v.assign(tf.mul(v, 2)));
  const out = writeBack(g, p);
  const outConv = out.nodes.find((n) => n.name === conv.name) as typeof conv;
  assert.notEqual(out, g);
  assert.deepEqual(Array.from(conv.weights.kernel), Array.from(original), 'the input graph is untouched');
  assert.notEqual(outConv.weights.kernel, conv.weights.kernel);
  assert.deepEqual(Array.from(outConv.weights.kernel), Array.from(original, (x) => Math.fround(x * 2)));
  // Everything else is carried over unchanged.
  for (const [i, n] of out.nodes.entries()) {
    if (n.name === conv.name) continue;
    for (const [k, arr] of nodeWeights(n)) assert.deepEqual(Array.from(arr), Array.from(nodeWeights(g.nodes[i]).find(([kk]) => kk === k)?.[1] ?? []));
  }
  p.dispose();
  assert.equal(tf.memory().numTensors, before, 'dispose frees every variable');
});

function tinyGraph(): Graph {
  const C = 4;
  const nodes: Node[] = [
    {
      kind: 'conv2d', name: 'conv', inputs: ['x'],
      attrs: { filters: C, kernel: [3, 3], strides: [1, 2], pads: [1, 2, 2, 1], dilations: [2, 1], groups: 2 },
      weights: { kernel: rng.normalArray(3 * 3 * 1 * C, 0.6), bias: rng.normalArray(C, 0.2) },
    },
    {
      kind: 'batchnorm', name: 'bn', inputs: ['conv'], attrs: { epsilon: 1e-3, momentum: 0.1 },
      weights: { gamma: rng.uniformArray(C, 0.5, 1.5), beta: rng.normalArray(C, 0.3), mean: new Float32Array(C), variance: new Float32Array(C).fill(1) },
    },
    { kind: 'activation', name: 'act', inputs: ['bn'], attrs: { fn: 'hard-swish' } },
    {
      kind: 'conv2d', name: 'dw', inputs: ['act'],
      attrs: { filters: C, kernel: [3, 3], strides: [1, 1], pads: [1, 1, 1, 1], dilations: [1, 1], groups: C },
      weights: { kernel: rng.normalArray(9 * C, 0.5) },
    },
    {
      kind: 'se', name: 'se', inputs: ['dw'],
      attrs: { channels: C, hidden: 2, gate: 'hard-sigmoid', gateAlpha: 0.2, gateBeta: 0.5, innerAct: 'relu' },
      weights: { fc1: rng.normalArray(C * 2, 0.7), fc1Bias: rng.uniformArray(2, 0.1, 0.5), fc2: rng.normalArray(2 * C, 0.7), fc2Bias: rng.normalArray(C, 0.2) },
    },
    { kind: 'pool', name: 'avg', inputs: ['se'], attrs: { type: 'avg', global: false, kernel: [2, 2], strides: [1, 1], pads: [1, 1, 0, 0], countIncludePad: false } },
    { kind: 'pool', name: 'max', inputs: ['avg'], attrs: { type: 'max', global: false, kernel: [2, 2], strides: [2, 2], pads: [1, 0, 0, 1], countIncludePad: false } },
    { kind: 'flatten', name: 'flat', inputs: ['max'], attrs: {} },
  ];
  const g: Graph = { name: 'tiny', inputs: [{ name: 'x', shape: [6, 6, 2] }], outputs: ['flat'], nodes, meta: {} };
  const flatLen = inferShapes(g).get('flat')?.[0] ?? 0;
  g.outputs = ['fc'];
  nodes.push({ kind: 'dense', name: 'fc', inputs: ['flat'], attrs: { units: 3 }, weights: { kernel: rng.normalArray(flatLen * 3, 0.5), bias: rng.normalArray(3, 0.2) } });
  inferShapes(g);
  return g;
}

test('gradients agree with central finite differences on a tiny graph (training mode)', () => {
  const g = tinyGraph();
  const p = createParams(g);
  const x = tf.tensor4d(rng.normalArray(2 * 6 * 6 * 2, 1), [2, 6, 6, 2]);
  const probe = tf.tensor2d(rng.normalArray(2 * 3, 1), [2, 3]);
  const loss = (): tf.Scalar => {
    const { outputs } = forward(g, x, { training: true }, p);
    return tf.sum(tf.mul(outputs[0], probe));
  };
  const { value, grads } = tf.variableGrads(loss);
  value.dispose();
  const lossAt = (): number => tf.tidy(() => loss().dataSync()[0]);
  const h = 1e-2;
  let checked = 0;
  for (const [key, v] of p.trainable) {
    const grad = grads[v.name];
    assert.ok(grad, `${key} has a gradient`);
    const an = grad.dataSync();
    const base = Float32Array.from(v.dataSync());
    // Three entries per variable: first, middle, last.
    for (const i of new Set([0, Math.floor(base.length / 2), base.length - 1])) {
      const at = (d: number): number => {
        const w = base.slice();
        w[i] += d;
        tf.tidy(() => v.assign(tf.tensor(w, v.shape)));
        return lossAt();
      };
      const fd = (at(h) - at(-h)) / (2 * h);
      tf.tidy(() => v.assign(tf.tensor(base, v.shape)));
      const tol = 2e-2 * Math.abs(an[i]) + 2e-3;
      assert.ok(Math.abs(fd - an[i]) <= tol, `${key}[${i}]: analytic ${an[i]} vs finite difference ${fd}`);
      checked++;
    }
  }
  assert.ok(checked >= 3 * 10);
  tf.dispose([x, probe, ...Object.values(grads)]);
  p.dispose();
});

test('every trainable variable of se-resnet-demo gets a finite, non-null gradient', () => {
  const g = buildZooModel('se-resnet-demo');
  const p = createParams(g);
  const [h, w, c] = g.inputs[0].shape;
  const x = tf.tensor4d(rng.normalArray(2 * h * w * c, 1), [2, h, w, c]);
  const before = tf.memory().numTensors;
  const { value, grads } = tf.variableGrads(() => {
    const { outputs } = forward(g, x, { training: true }, p);
    return tf.mean(tf.square(outputs[0]));
  });
  assert.ok(Number.isFinite(value.dataSync()[0]));
  assert.equal(Object.keys(grads).length, p.trainable.size);
  let nonZero = 0;
  for (const [key, v] of p.trainable) {
    const gr = grads[v.name];
    assert.ok(gr, `${key} has a gradient`);
    assert.deepEqual(gr.shape, v.shape, `${key} gradient shape`);
    const d = gr.dataSync();
    assert.ok(d.every(Number.isFinite), `${key} gradient is finite`);
    if (d.some((z) => z !== 0)) nonZero++;
  }
  // Nearly every weight should actually influence the loss.
  assert.ok(nonZero >= p.trainable.size * 0.9, `${nonZero} of ${p.trainable.size} gradients are non-zero`);
  tf.dispose([value, ...Object.values(grads)]);
  assert.equal(tf.memory().numTensors, before, 'training step leaks no tensors');
  x.dispose();
  p.dispose();
});
