/**
 * Executor vs independent plain-JS references (written here, loop by loop, from the layouts in
 * ir.ts) on small random inputs: conv (pads, strides, dilations, groups, depthwise), pools,
 * activations, SE, channel shuffle, flatten/dense, BN in both modes; plus every demo zoo model
 * and tensor-leak checks.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import type { ActivationFn, Graph, Node } from '../model/ir.js';
import { Rng } from '../model/random.js';
import { ZOO_NAMES, buildZooModel } from '../model/zoo/index.js';
import { inferShapes } from '../model/shapes.js';
import { UserError } from '../model/errors.js';
import { tf } from './tf.js';
import { forward, runGraph } from './executor.js';
import { createParams, writeBack } from './params.js';

type Shape4 = [number, number, number, number];

const rng = new Rng(7);

function graphOf(nodes: Node[], inputShape: number[], outputs?: string[]): Graph {
  return { name: 't', inputs: [{ name: 'x', shape: inputShape }], outputs: outputs ?? [nodes[nodes.length - 1].name], nodes, meta: {} };
}

function maxAbsDiff(a: ArrayLike<number>, b: ArrayLike<number>): number {
  assert.equal(a.length, b.length, 'lengths differ');
  let m = 0;
  for (let i = 0; i < a.length; i++) {
    const d = Math.abs(a[i] - b[i]);
    if (!(d <= m)) m = Number.isNaN(d) ? Infinity : d;
  }
  return m;
}

function assertClose(a: ArrayLike<number>, b: ArrayLike<number>, tol = 1e-5, what = ''): void {
  const d = maxAbsDiff(a, b);
  assert.ok(d <= tol, `${what} max |Δ| = ${d} > ${tol}`);
}

const idx = (s: Shape4, n: number, h: number, w: number, c: number): number => ((n * s[1] + h) * s[2] + w) * s[3] + c;

// ---------- references ----------

interface RefConv {
  kh: number;
  kw: number;
  outC: number;
  groups: number;
  strides: [number, number];
  pads: [number, number, number, number];
  dil: [number, number];
}

function refConv(x: Float32Array, s: Shape4, k: Float32Array, a: RefConv, bias?: Float32Array): { y: Float32Array; shape: Shape4 } {
  const [N, H, W, C] = s;
  const cg = C / a.groups;
  const og = a.outC / a.groups;
  const Ho = Math.floor((H + a.pads[0] + a.pads[2] - a.dil[0] * (a.kh - 1) - 1) / a.strides[0]) + 1;
  const Wo = Math.floor((W + a.pads[1] + a.pads[3] - a.dil[1] * (a.kw - 1) - 1) / a.strides[1]) + 1;
  const os: Shape4 = [N, Ho, Wo, a.outC];
  const y = new Float32Array(N * Ho * Wo * a.outC);
  for (let n = 0; n < N; n++)
    for (let oh = 0; oh < Ho; oh++)
      for (let ow = 0; ow < Wo; ow++)
        for (let o = 0; o < a.outC; o++) {
          const g = Math.floor(o / og);
          let acc = bias ? bias[o] : 0;
          for (let r = 0; r < a.kh; r++)
            for (let q = 0; q < a.kw; q++) {
              const ih = oh * a.strides[0] - a.pads[0] + r * a.dil[0];
              const iw = ow * a.strides[1] - a.pads[1] + q * a.dil[1];
              if (ih < 0 || ih >= H || iw < 0 || iw >= W) continue;
              for (let i = 0; i < cg; i++) acc += x[idx(s, n, ih, iw, g * cg + i)] * k[((r * a.kw + q) * cg + i) * a.outC + o];
            }
          y[idx(os, n, oh, ow, o)] = acc;
        }
  return { y, shape: os };
}

function refPool(
  x: Float32Array,
  s: Shape4,
  type: 'max' | 'avg',
  k: [number, number],
  st: [number, number],
  pads: [number, number, number, number],
  includePad: boolean,
): Float32Array {
  const [N, H, W, C] = s;
  const Ho = Math.floor((H + pads[0] + pads[2] - k[0]) / st[0]) + 1;
  const Wo = Math.floor((W + pads[1] + pads[3] - k[1]) / st[1]) + 1;
  const os: Shape4 = [N, Ho, Wo, C];
  const y = new Float32Array(N * Ho * Wo * C);
  for (let n = 0; n < N; n++)
    for (let oh = 0; oh < Ho; oh++)
      for (let ow = 0; ow < Wo; ow++)
        for (let c = 0; c < C; c++) {
          let best = -Infinity;
          let sum = 0;
          let count = 0;
          for (let r = 0; r < k[0]; r++)
            for (let q = 0; q < k[1]; q++) {
              const ih = oh * st[0] - pads[0] + r;
              const iw = ow * st[1] - pads[1] + q;
              if (ih < 0 || ih >= H || iw < 0 || iw >= W) continue;
              const v = x[idx(s, n, ih, iw, c)];
              best = Math.max(best, v);
              sum += v;
              count++;
            }
          y[idx(os, n, oh, ow, c)] = type === 'max' ? best : sum / (includePad ? k[0] * k[1] : count);
        }
  return y;
}

function refAct(v: number, fn: ActivationFn, alpha = 1 / 6, beta = 0.5): number {
  const sig = (z: number): number => 1 / (1 + Math.exp(-z));
  const relu6 = (z: number): number => Math.min(6, Math.max(0, z));
  switch (fn) {
    case 'relu': return Math.max(0, v);
    case 'relu6': return relu6(v);
    case 'sigmoid': return sig(v);
    case 'hard-sigmoid': return Math.min(1, Math.max(0, alpha * v + beta));
    case 'swish': return v * sig(v);
    case 'hard-swish': return (v * relu6(v + 3)) / 6;
    case 'linear': return v;
  }
}

async function run1(g: Graph, x: Float32Array, n: number, capture?: string[]): Promise<{ outputs: Float32Array[]; captured: Map<string, Float32Array> }> {
  inferShapes(g); // the test graphs themselves must be valid IR
  return runGraph(g, x, n, capture);
}

// ---------- tests ----------

const convCases: { name: string; s: Shape4; a: RefConv; bias: boolean }[] = [
  { name: 'plain 3×3, asymmetric pads, stride 2×1, bias', s: [2, 7, 6, 3], a: { kh: 3, kw: 3, outC: 4, groups: 1, strides: [2, 1], pads: [1, 2, 0, 1], dil: [1, 1] }, bias: true },
  { name: 'dilation 2 with stride 2', s: [1, 9, 8, 2], a: { kh: 3, kw: 2, outC: 3, groups: 1, strides: [2, 2], pads: [2, 1, 2, 1], dil: [2, 2] }, bias: false },
  { name: 'depthwise 3×3 stride 2, pads 1', s: [2, 7, 7, 5], a: { kh: 3, kw: 3, outC: 5, groups: 5, strides: [2, 2], pads: [1, 1, 1, 1], dil: [1, 1] }, bias: true },
  { name: 'depthwise, channel multiplier 2, dilation 1×2', s: [1, 6, 8, 3], a: { kh: 3, kw: 3, outC: 6, groups: 3, strides: [1, 1], pads: [1, 2, 1, 2], dil: [1, 2] }, bias: false },
  { name: 'grouped G=2 (4→6), 1×1', s: [2, 4, 5, 4], a: { kh: 1, kw: 1, outC: 6, groups: 2, strides: [1, 1], pads: [0, 0, 0, 0], dil: [1, 1] }, bias: true },
  { name: 'grouped G=3 (6→9), 3×3 stride 2, pads 0/1', s: [1, 7, 7, 6], a: { kh: 3, kw: 3, outC: 9, groups: 3, strides: [2, 2], pads: [0, 1, 1, 0], dil: [1, 1] }, bias: false },
];

for (const c of convCases) {
  test(`conv2d matches the reference: ${c.name}`, async () => {
    const { s, a } = c;
    const x = rng.normalArray(s[0] * s[1] * s[2] * s[3], 1);
    const kernel = rng.normalArray(a.kh * a.kw * (s[3] / a.groups) * a.outC, 0.5);
    const bias = c.bias ? rng.normalArray(a.outC, 0.5) : undefined;
    const node: Node = {
      kind: 'conv2d',
      name: 'conv',
      inputs: ['x'],
      attrs: { filters: a.outC, kernel: [a.kh, a.kw], strides: a.strides, pads: a.pads, dilations: a.dil, groups: a.groups },
      weights: bias ? { kernel, bias } : { kernel },
    };
    const ref = refConv(x, s, kernel, a, bias);
    const { outputs } = await run1(graphOf([node], s.slice(1)), x, s[0]);
    assertClose(outputs[0], ref.y, 1e-5, c.name);
  });
}

test('pools match the reference (max with -inf pads, avg with countIncludePad both ways, global)', async () => {
  const s: Shape4 = [2, 7, 6, 3];
  const x = rng.normalArray(2 * 7 * 6 * 3, 1, -0.5);
  const cases: { type: 'max' | 'avg'; k: [number, number]; st: [number, number]; pads: [number, number, number, number]; inc: boolean }[] = [
    { type: 'max', k: [3, 3], st: [2, 2], pads: [1, 1, 1, 1], inc: false },
    { type: 'max', k: [2, 3], st: [1, 2], pads: [0, 1, 1, 2], inc: false },
    { type: 'avg', k: [3, 3], st: [2, 2], pads: [1, 1, 1, 1], inc: true },
    { type: 'avg', k: [3, 3], st: [2, 2], pads: [1, 1, 1, 1], inc: false },
    { type: 'avg', k: [2, 2], st: [1, 1], pads: [0, 1, 1, 0], inc: false },
    { type: 'avg', k: [3, 2], st: [2, 2], pads: [0, 0, 0, 0], inc: false },
  ];
  for (const c of cases) {
    const node: Node = { kind: 'pool', name: 'p', inputs: ['x'], attrs: { type: c.type, global: false, kernel: c.k, strides: c.st, pads: c.pads, countIncludePad: c.inc } };
    const { outputs } = await run1(graphOf([node], [7, 6, 3]), x, 2);
    assertClose(outputs[0], refPool(x, s, c.type, c.k, c.st, c.pads, c.inc), 1e-5, JSON.stringify(c));
  }
  // Include-pad and exclude-pad averages must really differ at the borders.
  const mk = (inc: boolean): Node => ({ kind: 'pool', name: 'p', inputs: ['x'], attrs: { type: 'avg', global: false, kernel: [3, 3], strides: [1, 1], pads: [1, 1, 1, 1], countIncludePad: inc } });
  const a = (await run1(graphOf([mk(true)], [7, 6, 3]), x, 2)).outputs[0];
  const b = (await run1(graphOf([mk(false)], [7, 6, 3]), x, 2)).outputs[0];
  assert.ok(maxAbsDiff(a, b) > 1e-3);
  for (const type of ['avg', 'max'] as const) {
    const node: Node = { kind: 'pool', name: 'g', inputs: ['x'], attrs: { type, global: true, kernel: [1, 1], strides: [1, 1], pads: [0, 0, 0, 0], countIncludePad: false } };
    const { outputs } = await run1(graphOf([node], [7, 6, 3]), x, 2);
    assertClose(outputs[0], refPool(x, s, type, [7, 6], [1, 1], [0, 0, 0, 0], true), 1e-5, `global ${type}`);
  }
});

test('activations match their formulas (hard-sigmoid alpha/beta from attrs and defaults)', async () => {
  const x = Float32Array.from(rng.normalArray(2 * 3 * 3 * 4, 4));
  x[0] = -3; x[1] = 3; x[2] = 0; x[3] = 6.5;
  const fns: { fn: ActivationFn; alpha?: number; beta?: number }[] = [
    { fn: 'relu' }, { fn: 'relu6' }, { fn: 'sigmoid' }, { fn: 'hard-sigmoid' }, { fn: 'hard-sigmoid', alpha: 0.2, beta: 0.5 },
    { fn: 'swish' }, { fn: 'hard-swish' }, { fn: 'linear' },
  ];
  for (const f of fns) {
    const node: Node = { kind: 'activation', name: 'a', inputs: ['x'], attrs: { fn: f.fn, alpha: f.alpha, beta: f.beta } };
    const { outputs } = await run1(graphOf([node], [3, 3, 4]), x, 2);
    assertClose(outputs[0], Array.from(x, (v) => refAct(v, f.fn, f.alpha, f.beta)), 1e-5, f.fn);
  }
});

for (const gate of ['sigmoid', 'hard-sigmoid'] as const) {
  for (const bias of [true, false]) {
    test(`SE matches the reference (${gate} gate, biases ${bias ? 'on' : 'off'}) and exposes its gate`, async () => {
      const s: Shape4 = [2, 4, 3, 6];
      const [N, H, W, C] = s;
      const hid = 3;
      const x = rng.normalArray(N * H * W * C, 1);
      const fc1 = rng.normalArray(C * hid, 0.8);
      const fc2 = rng.normalArray(hid * C, 0.8);
      const b1 = bias ? rng.normalArray(hid, 0.5) : undefined;
      const b2 = bias ? rng.normalArray(C, 0.5) : undefined;
      const ga = 0.2;
      const gb = 0.4;
      const node: Node = {
        kind: 'se',
        name: 'se',
        inputs: ['x'],
        attrs: { channels: C, hidden: hid, gate, gateAlpha: ga, gateBeta: gb, innerAct: 'swish' },
        weights: { fc1, fc2, ...(b1 ? { fc1Bias: b1 } : {}), ...(b2 ? { fc2Bias: b2 } : {}) },
      };
      const refY = new Float32Array(x.length);
      const refGate = new Float32Array(N * C);
      for (let n = 0; n < N; n++) {
        const gap = new Array<number>(C).fill(0);
        for (let h = 0; h < H; h++) for (let w = 0; w < W; w++) for (let c = 0; c < C; c++) gap[c] += x[idx(s, n, h, w, c)] / (H * W);
        const hv = Array.from({ length: hid }, (_, j) => {
          let z = b1 ? b1[j] : 0;
          for (let c = 0; c < C; c++) z += gap[c] * fc1[c * hid + j];
          return refAct(z, 'swish');
        });
        for (let c = 0; c < C; c++) {
          let z = b2 ? b2[c] : 0;
          for (let j = 0; j < hid; j++) z += hv[j] * fc2[j * C + c];
          refGate[n * C + c] = gate === 'sigmoid' ? refAct(z, 'sigmoid') : refAct(z, 'hard-sigmoid', ga, gb);
        }
        for (let h = 0; h < H; h++) for (let w = 0; w < W; w++) for (let c = 0; c < C; c++) refY[idx(s, n, h, w, c)] = x[idx(s, n, h, w, c)] * refGate[n * C + c];
      }
      const { outputs, captured } = await run1(graphOf([node], [H, W, C]), x, N, ['gate:se']);
      assertClose(outputs[0], refY, 1e-5, 'se output');
      assertClose(captured.get('gate:se') ?? [], refGate, 1e-5, 'se gate');
    });
  }
}

test('channel shuffle maps out[c\'·G + g] = in[g·(C/G) + c\']', async () => {
  const [H, W, C, G] = [2, 3, 12, 3];
  const x = new Float32Array(2 * H * W * C);
  for (let i = 0; i < x.length; i++) x[i] = (i % C) + 100 * Math.floor(i / C); // channel id + pixel id
  const node: Node = { kind: 'channel-shuffle', name: 's', inputs: ['x'], attrs: { groups: G } };
  const { outputs } = await run1(graphOf([node], [H, W, C]), x, 2);
  const want = new Float32Array(x.length);
  for (let p = 0; p < x.length / C; p++)
    for (let g = 0; g < G; g++) for (let c = 0; c < C / G; c++) want[p * C + c * G + g] = x[p * C + g * (C / G) + c];
  assert.deepEqual(Array.from(outputs[0]), Array.from(want));
});

test('flatten uses NHWC order and dense uses kernel [in, out]', async () => {
  const [N, H, W, C, U] = [2, 2, 3, 4, 5];
  const x = rng.normalArray(N * H * W * C, 1);
  const kernel = rng.normalArray(H * W * C * U, 0.3);
  const bias = rng.normalArray(U, 0.3);
  const nodes: Node[] = [
    { kind: 'flatten', name: 'f', inputs: ['x'], attrs: {} },
    { kind: 'dense', name: 'd', inputs: ['f'], attrs: { units: U }, weights: { kernel, bias } },
  ];
  const { outputs } = await run1(graphOf(nodes, [H, W, C], ['f', 'd']), x, N);
  const F = H * W * C;
  const flat = new Float32Array(N * F);
  for (let n = 0; n < N; n++) for (let h = 0; h < H; h++) for (let w = 0; w < W; w++) for (let c = 0; c < C; c++) flat[n * F + (h * W + w) * C + c] = x[idx([N, H, W, C], n, h, w, c)];
  assertClose(outputs[0], flat, 0, 'flatten');
  const y = new Float32Array(N * U);
  for (let n = 0; n < N; n++) for (let u = 0; u < U; u++) { let z = bias[u]; for (let i = 0; i < F; i++) z += flat[n * F + i] * kernel[i * U + u]; y[n * U + u] = z; }
  assertClose(outputs[1], y, 1e-5, 'dense');
});

test('add, concat and split route channels as the IR says', async () => {
  const [H, W] = [2, 2];
  const x = rng.normalArray(H * W * 5, 1);
  const nodes: Node[] = [
    { kind: 'split', name: 'sp', inputs: ['x'], attrs: { sizes: [2, 3] } },
    { kind: 'concat', name: 'cat', inputs: ['sp:1', 'sp:0'], attrs: {} },
    { kind: 'add', name: 'sum', inputs: ['cat', 'x', 'cat'], attrs: {} },
  ];
  const { outputs } = await run1(graphOf(nodes, [H, W, 5], ['sp:0', 'cat', 'sum']), x, 1);
  for (let p = 0; p < H * W; p++) {
    const px = Array.from(x.subarray(p * 5, p * 5 + 5));
    const cat = [...px.slice(2), ...px.slice(0, 2)];
    assertClose(outputs[0].subarray(p * 2, p * 2 + 2), px.slice(0, 2), 0, 'split');
    assertClose(outputs[1].subarray(p * 5, p * 5 + 5), cat, 0, 'concat');
    assertClose(outputs[2].subarray(p * 5, p * 5 + 5), cat.map((v, i) => 2 * v + px[i]), 1e-5, 'add');
  }
});

test('batchnorm: moving stats in inference; batch stats and PyTorch running update in training', async () => {
  const s: Shape4 = [3, 2, 2, 4];
  const C = 4;
  const x = rng.normalArray(3 * 2 * 2 * C, 2, 1);
  const w = { gamma: rng.uniformArray(C, 0.5, 1.5), beta: rng.normalArray(C, 0.3), mean: rng.normalArray(C, 0.3), variance: rng.uniformArray(C, 0.5, 2) };
  const eps = 1e-3;
  const momentum = 0.1;
  const node: Node = { kind: 'batchnorm', name: 'bn', inputs: ['x'], attrs: { epsilon: eps, momentum }, weights: w };
  const g = graphOf([node], [2, 2, C]);
  const snapshot = structuredClone(g);

  const inf = (await run1(g, x, 3)).outputs[0];
  assertClose(inf, Array.from(x, (v, i) => ((v - w.mean[i % C]) / Math.sqrt(w.variance[i % C] + eps)) * w.gamma[i % C] + w.beta[i % C]), 1e-5, 'inference');

  const cnt = s[0] * s[1] * s[2];
  const bm = new Array<number>(C).fill(0);
  const bv = new Array<number>(C).fill(0);
  for (let i = 0; i < x.length; i++) bm[i % C] += x[i] / cnt;
  for (let i = 0; i < x.length; i++) bv[i % C] += (x[i] - bm[i % C]) ** 2 / cnt;
  const params = createParams(g);
  const xt = tf.tensor4d(x, s);
  const { outputs } = forward(g, xt, { training: true }, params);
  assertClose(outputs[0].dataSync(), Array.from(x, (v, i) => ((v - bm[i % C]) / Math.sqrt(bv[i % C] + eps)) * w.gamma[i % C] + w.beta[i % C]), 1e-5, 'training output');
  const after = writeBack(g, params);
  const a = after.nodes[0] as Extract<Node, { kind: 'batchnorm' }>;
  assertClose(a.weights.mean, bm.map((m, c) => (1 - momentum) * w.mean[c] + momentum * m), 1e-6, 'running mean');
  assertClose(a.weights.variance, bv.map((v, c) => (1 - momentum) * w.variance[c] + momentum * v * (cnt / (cnt - 1))), 1e-6, 'running variance (unbiased)');
  assert.deepEqual(g, snapshot, 'the caller\'s graph is untouched');
  // Without a store, training mode still normalises with batch statistics.
  const noStore = forward(g, xt, { training: true });
  assertClose(noStore.outputs[0].dataSync(), outputs[0].dataSync(), 1e-6, 'training without a store');
  tf.dispose([xt, ...outputs, ...noStore.outputs]);
  params.dispose();
});

test('every demo zoo model runs at batch 2 with finite outputs of the right shape, and gates capture as [N, C]', async () => {
  const demos = ZOO_NAMES.filter((n) => n.endsWith('-demo'));
  assert.ok(demos.length >= 5);
  for (const name of demos) {
    const g = buildZooModel(name);
    const shapes = inferShapes(g);
    const [h, w, c] = g.inputs[0].shape;
    const x = rng.normalArray(2 * h * w * c, 1);
    const se = g.nodes.find((n) => n.kind === 'se');
    assert.ok(se && se.kind === 'se', `${name} has an SE block`);
    const { outputs, captured } = await runGraph(g, x, 2, [`gate:${se.name}`, se.name]);
    assert.equal(outputs.length, g.outputs.length);
    g.outputs.forEach((o, i) => {
      const per = (shapes.get(o) ?? []).reduce((a, b) => a * b, 1);
      assert.equal(outputs[i].length, 2 * per, `${name} output ${o} size`);
      assert.ok(outputs[i].every(Number.isFinite), `${name} output is finite`);
    });
    const gate = captured.get(`gate:${se.name}`);
    assert.equal(gate?.length, 2 * se.attrs.channels);
    assert.ok(gate?.every((v) => v >= 0 && v <= 1), `${name} gate in [0, 1]`);
    assert.equal(captured.get(se.name)?.length, 2 * (shapes.get(se.name) ?? []).reduce((a, b) => a * b, 1));
  }
});

test('no tensors leak across repeated runGraph and forward calls', async () => {
  const g = buildZooModel('se-shufflenetv2-demo');
  const [h, w, c] = g.inputs[0].shape;
  const x = rng.normalArray(2 * h * w * c, 1);
  await runGraph(g, x, 2, [`gate:${g.nodes.find((n) => n.kind === 'se')?.name}`]);
  const before = tf.memory().numTensors;
  for (let i = 0; i < 3; i++) await runGraph(g, x, 2, [`gate:${g.nodes.find((n) => n.kind === 'se')?.name}`]);
  assert.equal(tf.memory().numTensors, before);
  const params = createParams(g);
  const xt = tf.tensor4d(x, [2, h, w, c]);
  const base = tf.memory().numTensors;
  for (const training of [false, true]) {
    const r = forward(g, xt, { training }, params);
    tf.dispose([...r.outputs, ...r.captured.values()]);
  }
  assert.equal(tf.memory().numTensors, base);
  xt.dispose();
  params.dispose();
});

test('bad inputs and capture names are one-sentence user errors', async () => {
  const g = buildZooModel('se-resnet-demo');
  await assert.rejects(runGraph(g, new Float32Array(10), 2), UserError);
  await assert.rejects(runGraph(g, new Float32Array(2 * 28 * 28), 2, ['gate:nope']), UserError);
  await assert.rejects(runGraph(g, new Float32Array(2 * 28 * 28), 2, ['nope']), UserError);
});
