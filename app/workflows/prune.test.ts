/**
 * The prune workflow on a real BN-folded torch.onnx.export file (a timm-style SE-ResNet-18 at
 * width 4 from tools/torchnets.py, trained one epoch on 2,000 bundled images): adaptive batch
 * norm runs and lifts one-shot top-1, a constant gate before a residual add folds into its
 * producing conv exactly, the final model meets the MACs target, --steps reaches it with the
 * one-shot allocation, the logits keep their statistics, and
 * auto keeps the candidate it measured best.
 */
import { test, before } from 'node:test';
import assert from 'node:assert/strict';
import { loadModel } from '../import/load.js';
import { type Graph, cloneGraph, seNodes } from '../model/ir.js';
import { costReport } from '../model/accounting.js';
import { openDataset, sampleIndices, type Dataset } from '../data/index.js';
import { runGraph } from '../engine/executor.js';
import { collectStats } from '../../pruning/stats/collect.js';
import { prepareStart } from '../../pruning/pipeline.js';
import { foldAdaptiveBn } from '../../pruning/adaptive-bn.js';
import { tensorMoments } from '../../pruning/stats/channel-measures.js';
import { runPrune, PRUNE_DEFAULTS, type RunPruneSettings, type PruneModel, type PruneData } from './prune.js';
import { buildRealExport, realExportsProblem } from '../../pruning/real-exports.js';

const problem = realExportsProblem();
let model: PruneModel;
let data: PruneData;
const pre = { mean: [0.286], std: [0.353], channels: 1 as const };

const base: RunPruneSettings = { ...PRUNE_DEFAULTS, fold: { ...PRUNE_DEFAULTS.fold }, criterion: 'l1', target: { targetMacs: 0.5 }, seed: 0, ignore: [] };

async function subset(ds: Dataset, n: number): Promise<{ ds: Dataset; idx: number[] }> {
  return { ds, idx: sampleIndices(await ds.labels(), n, 0) };
}

before(async () => {
  if (problem) return;
  const r = buildRealExport('se_resnet18', { width: 4, epochs: 1, limit: 2000 });
  const m = await loadModel(r.model);
  model = { graph: m.project.graph, source: r.model, hash: m.hash };
  const calib = await openDataset({ data: r.data, split: 'train', preprocess: pre });
  const ev = await openDataset({ data: r.data, split: 'test', preprocess: pre });
  data = { calib: await subset(calib, 300), eval: await subset(ev, 500), engine: 'auto' };
});

test('a BN-folded export: adaptive batch norm runs, lifts one-shot top-1, and the final model meets the MACs target', { skip: problem, timeout: 120_000 }, async () => {
  assert.equal(model.graph.nodes.filter((n) => n.kind === 'batchnorm').length, 0, 'torch.onnx.export folded every BatchNorm');
  const r = (await runPrune(model, base, data)).report;
  assert.ok(r.adaptiveBnLayers >= 15, `adaptive batch norms after ${r.adaptiveBnLayers} convs`);
  assert.equal(r.bnRecalibratedOn, 300);
  assert.ok(r.top1Before! > 0.4, `trained: ${r.top1Before}`);
  assert.ok(r.top1After! > r.top1Pruned! + 0.02, `re-estimated ${r.top1After} vs none ${r.top1Pruned}`);
  assert.ok(Math.abs(r.macsAfter / r.macsBefore - 0.5) <= 0.02, `MACs kept ${r.macsAfter / r.macsBefore}`);
  assert.equal(r.targetMet, true);

  // --steps 3, each round with a short distillation fine-tune, reaches the same target.
  const s = (await runPrune(model, { ...base, steps: 3, finetuneImages: 64 }, { ...data, eval: { ds: data.eval!.ds, idx: data.eval!.idx.slice(0, 100) } })).report;
  assert.ok(Math.abs(s.macsAfter / s.macsBefore - 0.5) <= 0.02, `3 steps: MACs kept ${s.macsAfter / s.macsBefore}`);
  // The rounds share out the one-shot allocation rather than re-planning (which compounds).
  assert.equal(s.macsAfter, r.macsAfter, 'three rounds end with the channel counts of the one-shot plan');
  assert.deepEqual(s.groups.map((x) => x.keep), r.groups.map((x) => x.keep));
});

test('a constant gate before a residual add folds into its producing conv exactly', { skip: problem, timeout: 60_000 }, async () => {
  const g: Graph = cloneGraph(model.graph);
  const se = seNodes(g)[0];
  // fc2 = 0: the gate is sigmoid(b2) for every image, a constant per channel.
  se.weights.fc2.fill(0);
  const cons = g.nodes.filter((n) => n.inputs.includes(se.name));
  assert.ok(cons.some((n) => n.kind === 'add'), 'the gated tensor feeds the residual add');
  const stats = (await collectStats(g, data.calib!.ds, data.calib!.idx.slice(0, 64), { model: 'm', modelHash: 'h', seed: 0, engine: 'auto' })).stats;
  const start = prepareStart(g, stats, base.fold);
  const d = start.decisions.find((x) => x.block === se.name)!;
  assert.equal(d.decision, 'fold', d.reason);
  const folded = foldAdaptiveBn(start.graph, start.inserted);
  assert.ok(!folded.nodes.some((n) => n.name === se.name));
  assert.equal(folded.nodes.filter((n) => n.kind === 'batchnorm').length, 0, 'every adaptive batch norm folded back');
  assert.ok(costReport(folded).params < costReport(g).params);
  const n = 8;
  const x = new Float32Array(n * 32 * 32).map((_, i) => Math.sin(i * 0.37) * 1.5);
  const [a] = (await runGraph(g, x, n)).outputs;
  const [b] = (await runGraph(folded, x, n)).outputs;
  let max = 0;
  for (let i = 0; i < a.length; i++) max = Math.max(max, Math.abs(a[i] - b[i]));
  assert.ok(max <= 1e-5, `max |Δ logits| ${max}`);
});

test('auto tries the candidates on held-out calibration images and keeps the best', { skip: problem, timeout: 180_000 }, async () => {
  const r = (await runPrune(model, { ...base, criterion: 'auto' }, { ...data, eval: { ds: data.eval!.ds, idx: data.eval!.idx.slice(0, 100) } })).report;
  const measured = r.candidates.filter((c) => c.heldOutTop1 !== null);
  assert.ok(measured.length >= 5, JSON.stringify(r.candidates));
  const best = Math.max(...measured.map((c) => c.heldOutTop1!));
  assert.equal(r.candidates.find((c) => c.criterion === r.criterion)!.heldOutTop1, best);
  assert.equal(r.criterionRequested, 'auto');
});

test("the pruned model's logits have the original's per-class mean and variance on the calibration images", { skip: problem, timeout: 120_000 }, async () => {
  const out = model.graph.outputs[0];
  const r = await runPrune(model, base, { calib: data.calib, engine: 'auto' });
  assert.equal(r.graph.outputs[0], out, 'the output is still the classifier (no batch norm after it)');
  const [m0, m1] = await Promise.all([model.graph, r.graph].map(async (g) => (await tensorMoments(g, data.calib!.ds, data.calib!.idx, [out])).get(out)!));
  for (let o = 0; o < m0.mean.length; o++) {
    assert.ok(Math.abs(m1.mean[o] - m0.mean[o]) <= 1e-3 * (1 + Math.abs(m0.mean[o])), `logit ${o} mean ${m1.mean[o]} vs ${m0.mean[o]}`);
    assert.ok(Math.abs(m1.variance[o] / m0.variance[o] - 1) <= 1e-3, `logit ${o} variance ${m1.variance[o]} vs ${m0.variance[o]}`);
  }
});
