/** Importance criteria against hand-made excitation statistics and hand-computed norms. */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { buildZooModel } from '../../app/model/zoo/index.js';
import { type Graph, seNodes, findNode } from '../../app/model/ir.js';
import type { ExcitationStats } from '../stats/types.js';
import { buildGroups } from '../groups.js';
import { criterion, criterionNames } from './index.js';

/** Stats whose mean gate of channel c in block b is f(b, c). */
function fakeStats(g: Graph, f: (block: string, c: number) => number): ExcitationStats {
  return {
    model: g.name, modelHash: '', n: 10, classes: 10, emptyClasses: [], seed: 0, dataset: 'hand-made', engine: 'none',
    blocks: seNodes(g).map((se) => {
      const C = se.attrs.channels;
      const mean = Array.from({ length: C }, (_, c) => f(se.name, c));
      return {
        name: se.name, channels: C, mean, std: mean.map(() => 0), min: mean, max: mean, perClassMean: [mean],
        histogram: { bins: 1, counts: mean.map(() => [10]) }, identityDistance: 0.5, inputDependence: 0, classDependence: 0,
      };
    }),
  };
}

test('se-mean uses the gate of the SE block gating the group', () => {
  const g = buildZooModel('se-mobilenetv3-demo');
  const { groups } = buildGroups(g, { residual: 'freeze' });
  const grp = groups.find((x) => x.gatedBy)!;
  const stats = fakeStats(g, (b, c) => (b === grp.gatedBy ? (c % 7) / 7 : 0.5));
  const s = criterion('se-mean').score(grp, { graph: g, stats, seed: 0 });
  for (let i = 0; i < grp.size; i++) assert.ok(Math.abs(s[i] - (grp.gates[0].index[i] % 7) / 7) < 1e-12);
});

test('a residual stream group averages the gates of every SE of its stage', () => {
  const g = buildZooModel('se-resnet18?input=32x32x3&classes=10&width=0.25');
  const { groups } = buildGroups(g, { residual: 'couple' });
  const grp = groups.find((x) => x.gates.length === 2)!;
  const stats = fakeStats(g, (b, c) => (b === grp.gates[0].se ? c / 100 : 0.3));
  const s = criterion('se-mean').score(grp, { graph: g, stats, seed: 0 });
  for (let i = 0; i < grp.size; i++) assert.ok(Math.abs(s[i] - (grp.gates[0].index[i] / 100 + 0.3) / 2) < 1e-12);
});

test('ungated channels inherit Σ|W|·gate from the gated consumer, and fall back to L1 without stats', () => {
  const g = buildZooModel('se-resnet-demo');
  const { groups } = buildGroups(g, { residual: 'freeze' });
  const grp = groups.find((x) => x.producers.includes('stage2.block0.conv1'))!;
  const conv2 = findNode(g, 'stage2.block0.conv2')!;
  assert.equal(conv2.kind, 'conv2d');
  if (conv2.kind !== 'conv2d') return;
  const gate = (c: number) => (c % 3 === 0 ? 1 : 0.1);
  const stats = fakeStats(g, (b, c) => (b === 'stage2.block0.se' ? gate(c) : 0.5));
  const notes: string[] = [];
  const s = criterion('se-mean').score(grp, { graph: g, stats, seed: 0, notes });
  const O = conv2.attrs.filters;
  const I = grp.size;
  for (const i of [0, 5, I - 1]) {
    let want = 0;
    for (let p = 0; p < 9; p++) for (let o = 0; o < O; o++) want += Math.abs(conv2.weights.kernel[(p * I + i) * O + o]) * gate(o);
    assert.ok(Math.abs(s[i] - want) < 1e-9 * want, `channel ${i}`);
  }
  assert.ok(notes.some((n) => /inherited/.test(n)));
  const notes2: string[] = [];
  const l1 = criterion('l1').score(grp, { graph: g, seed: 0 });
  const fb = criterion('se-mean').score(grp, { graph: g, seed: 0, notes: notes2 });
  assert.deepEqual(fb, l1);
  assert.ok(notes2.some((n) => /L1/.test(n)));
});

test('l1, bn-gamma, se-mean×norm and random', () => {
  const g = buildZooModel('se-mobilenet-demo');
  const { groups } = buildGroups(g, { residual: 'freeze' });
  const grp = groups.find((x) => x.gatedBy)!;
  const pw = findNode(g, grp.producers[0])!;
  if (pw.kind !== 'conv2d') throw new Error('expected a conv');
  const O = pw.attrs.filters;
  const l1 = criterion('l1').score(grp, { graph: g, seed: 0 });
  let want = 0;
  for (let p = 2; p < pw.weights.kernel.length; p += O) want += Math.abs(pw.weights.kernel[p]);
  assert.ok(Math.abs(l1[2] - want) < 1e-9);

  const bn = g.nodes.find((n) => n.kind === 'batchnorm' && n.inputs[0] === pw.name)!;
  if (bn.kind !== 'batchnorm') throw new Error('expected a BN');
  bn.weights.gamma = Float32Array.from({ length: O }, (_, c) => (c % 2 ? -c : c) / 10);
  const gam = criterion('bn-gamma').score(grp, { graph: g, seed: 0 });
  for (let c = 0; c < O; c++) assert.ok(Math.abs(gam[c] - Math.abs(bn.weights.gamma[c])) < 1e-7);

  const stats = fakeStats(g, () => 0.5);
  const sn = criterion('se-mean×norm').score(grp, { graph: g, stats, seed: 0 });
  let l2 = 0;
  for (let p = 2; p < pw.weights.kernel.length; p += O) l2 += pw.weights.kernel[p] ** 2;
  assert.ok(Math.abs(sn[2] - 0.5 * Math.sqrt(l2)) < 1e-9);

  const r1 = criterion('random').score(grp, { graph: g, seed: 4 });
  assert.deepEqual(r1, criterion('random').score(grp, { graph: g, seed: 4 }));
  assert.notDeepEqual(r1, criterion('random').score(grp, { graph: g, seed: 5 }));
});

test('the registry names every criterion and rejects unknown ones', () => {
  assert.deepEqual(criterionNames(), ['se-mean', 'se-mean-norm', 'se-magnitude', 'se-taylor', 'l1', 'bn-gamma', 'taylor', 'random']);
  assert.throws(() => criterion('magic'), /Unknown importance criterion/);
  const g = buildZooModel('se-mobilenet-demo');
  const { groups } = buildGroups(g, { residual: 'freeze' });
  assert.throws(() => criterion('taylor').score(groups[0], { graph: g, seed: 0 }), /needs a gradient pass/);
});

test('taylor scores (Σ w·∂L/∂w)² over the channel\'s filters and BN γ/β', () => {
  const g = buildZooModel('se-mobilenet-demo');
  const { groups } = buildGroups(g, { residual: 'freeze' });
  const grp = groups.find((x) => x.producers.length === 1 && g.nodes.find((n) => n.name === x.producers[0])?.kind === 'conv2d')!;
  const conv = g.nodes.find((n) => n.name === grp.producers[0]) as Extract<(typeof g.nodes)[number], { kind: 'conv2d' }>;
  const bn = g.nodes.find((n) => n.kind === 'batchnorm' && n.inputs[0] === conv.name) as Extract<(typeof g.nodes)[number], { kind: 'batchnorm' }>;
  const O = conv.attrs.filters;
  const gk = new Float32Array(conv.weights.kernel.length).map((_, i) => ((i * 7) % 5) - 2);
  const gg = new Float32Array(O).map((_, i) => i % 3);
  const gradients = new Map([[`${conv.name}/kernel`, gk], [`${bn.name}/gamma`, gg], [`${bn.name}/beta`, new Float32Array(O)]]);
  bn.weights.gamma.forEach((_, i) => (bn.weights.gamma[i] = 0.5 + i / O));
  const s = criterion('taylor').score(grp, { graph: g, seed: 0, gradients });
  const t = grp.tensors.find((x) => x.tensor === conv.name)!;
  for (const i of [0, 1, grp.size - 1]) {
    const o = t.index[i];
    let sum = 0;
    for (let p = o; p < gk.length; p += O) sum += conv.weights.kernel[p] * gk[p];
    sum += bn.weights.gamma[o] * gg[o];
    assert.ok(Math.abs(s[i] - sum * sum) < 1e-6 * Math.max(1, sum * sum), `${s[i]} vs ${sum * sum}`);
  }
});
