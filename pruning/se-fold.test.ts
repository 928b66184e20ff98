/** SE fold/drop: a constant gate folds exactly (BN, BN through ReLU, consumer conv); a gate ≈ 1 drops. */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { buildZooModel } from '../app/model/zoo/index.js';
import { type Graph, type SeNode, cloneGraph, seNodes } from '../app/model/ir.js';
import { costReport } from '../app/model/accounting.js';
import { Rng } from '../app/model/random.js';
import { runGraph } from '../app/engine/executor.js';
import type { ExcitationStats } from './stats/types.js';
import { foldSe } from './se-fold.js';
import { maxAbsDiff, randomInput, randomiseBn } from './test-helpers.js';

function gateOf(se: SeNode, z: number): number {
  if (se.attrs.gate === 'sigmoid') return 1 / (1 + Math.exp(-z));
  return Math.min(1, Math.max(0, se.attrs.gateAlpha * z + se.attrs.gateBeta));
}

/** Makes `se` constant (fc2 = 0, fc2Bias = b) and returns stats: that block constant, others input-dependent. */
function constantBlock(g: Graph, se: SeNode, bias: (c: number) => number): ExcitationStats {
  se.weights.fc2.fill(0);
  se.weights.fc2Bias = Float32Array.from({ length: se.attrs.channels }, (_, c) => bias(c));
  return {
    model: g.name, modelHash: '', n: 8, classes: 10, emptyClasses: [], seed: 0, dataset: 'hand-made', engine: 'none',
    blocks: seNodes(g).map((s) => {
      const C = s.attrs.channels;
      const mine = s === se;
      const mean = Array.from({ length: C }, (_, c) => (mine ? gateOf(s, s.weights.fc2Bias![c]) : 0.5));
      return {
        name: s.name, channels: C, mean, std: mean.map(() => (mine ? 0 : 0.2)), min: mean, max: mean,
        perClassMean: [mean], histogram: { bins: 1, counts: mean.map(() => [8]) },
        identityDistance: mean.reduce((a, v) => a + Math.abs(1 - v), 0) / C,
        inputDependence: mine ? 0 : 0.2, classDependence: 0,
      };
    }),
  };
}

const opts = { mode: 'auto' as const, constantThreshold: 0.01, identityThreshold: 0.01 };

for (const [spec, block, where] of [
  ['se-resnet-demo', 'stage2.block0.se', /batch norm "stage2.block0.bn2"/],
  ['se-mobilenet-demo', 'stage2.unit1.se', /through ReLU/],
  ['se-shufflenetv2-demo', 'stage3.unit1.se', /through ReLU/],
  ['se-mobilenetv3-demo', 'stage2.block3.se', /input weights of "stage2.block3.project"/],
] as [string, string, RegExp][]) {
  test(`a constant gate in ${spec} folds exactly (${block})`, async () => {
    const g = buildZooModel(spec);
    randomiseBn(g, 5);
    const se = seNodes(g).find((s) => s.name === block)!;
    const rng = new Rng(9);
    const stats = constantBlock(g, se, () => rng.normal() * 2);
    const before = cloneGraph(g);
    const { graph, decisions } = foldSe(g, stats, opts);
    const d = decisions.find((x) => x.block === block)!;
    assert.equal(d.decision, 'fold', d.reason);
    assert.match(d.reason, where);
    assert.ok(decisions.filter((x) => x.block !== block).every((x) => x.decision === 'keep'));
    assert.equal(costReport(g).params - costReport(graph).params, d.paramsSaved);
    assert.ok(d.paramsSaved > 0 && d.macsSaved > 0);
    assert.ok(!graph.nodes.some((n) => n.name === block));
    assert.deepEqual(g.nodes.map((n) => n.name), before.nodes.map((n) => n.name), 'input untouched');
    const x = randomInput(g, 2, 1);
    const a = (await runGraph(g, x, 2)).outputs[0];
    const b = (await runGraph(graph, x, 2)).outputs[0];
    const diff = maxAbsDiff(a, b);
    assert.ok(diff <= 1e-5, `max |Δ| ${diff}`);
  });
}

test('a gate saturated at 1 is dropped, and mode none or a name list are honoured', async () => {
  const g = buildZooModel('se-mobilenetv3-demo');
  const se = seNodes(g)[1];
  const stats = constantBlock(g, se, () => 20);
  const { graph, decisions } = foldSe(g, stats, opts);
  assert.equal(decisions.find((x) => x.block === se.name)!.decision, 'drop');
  const x = randomInput(g, 2, 1);
  assert.ok(maxAbsDiff((await runGraph(g, x, 2)).outputs[0], (await runGraph(graph, x, 2)).outputs[0]) <= 1e-5);

  const none = foldSe(g, stats, { ...opts, mode: 'none' });
  assert.ok(none.decisions.every((d) => d.decision === 'keep'));
  assert.equal(none.graph.nodes.length, g.nodes.length);

  const other = seNodes(g)[2].name;
  const listed = foldSe(g, stats, { ...opts, mode: [other] });
  assert.equal(listed.decisions.find((d) => d.block === other)!.decision, 'fold');
  assert.equal(listed.decisions.find((d) => d.block === se.name)!.decision, 'keep');
  assert.throws(() => foldSe(g, stats, { ...opts, mode: ['nope'] }), /no SE block named "nope"/);
});
