// The statistics pass on real data (the shipped Fashion-MNIST subset or Debian's copy).
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { buildZooModel } from '../../app/model/zoo/index.js';
import { seNodes } from '../../app/model/ir.js';
import { openDataset, sampleIndices } from '../../app/data/index.js';
import { collectStats } from './collect.js';

const preprocess = { mean: [0.286], std: [0.353], channels: 1 as const };

async function data(limit: number, seed: number) {
  const ds = await openDataset({ data: 'fashion-mnist', split: 'train', preprocess });
  return { ds, idx: sampleIndices(await ds.labels(), limit, seed) };
}

test('gate statistics of a demo model lie in [0, 1] and are reproducible for a seed', async () => {
  const g = buildZooModel('se-mobilenetv3-demo');
  const { ds, idx } = await data(200, 7);
  const a = await collectStats(g, ds, idx, { model: 'm', modelHash: 'h', seed: 7 });
  const b = await collectStats(g, ds, (await data(200, 7)).idx, { model: 'm', modelHash: 'h', seed: 7 });
  assert.equal(a.stats.n, 200);
  assert.equal(a.stats.blocks.length, seNodes(g).length);
  for (const blk of a.stats.blocks) {
    for (const arr of [blk.mean, blk.min, blk.max, ...blk.perClassMean]) for (const v of arr) assert.ok(v >= 0 && v <= 1, `${blk.name} ${v}`);
    for (let c = 0; c < blk.channels; c++) assert.ok(blk.min[c] <= blk.mean[c] && blk.mean[c] <= blk.max[c]);
    assert.equal(blk.histogram.counts.length, blk.channels);
    assert.equal(blk.histogram.counts[0].reduce((x, y) => x + y, 0), 200);
    assert.ok(blk.identityDistance > 0 && blk.identityDistance <= 1);
  }
  assert.deepEqual(a.stats, b.stats, 'same seed, same statistics');
  const c = await collectStats(g, ds, (await data(200, 8)).idx, { model: 'm', modelHash: 'h', seed: 8 });
  assert.notDeepEqual(c.stats.blocks[0].mean, a.stats.blocks[0].mean, 'another seed samples other images');
});

test('a block whose gate is forced to a constant reports that constant for every class, std 0', async () => {
  const g = buildZooModel('se-resnet-demo?seBias=on');
  const se = seNodes(g)[1];
  se.weights.fc2.fill(0);
  const bias = se.weights.fc2Bias!;
  for (let c = 0; c < bias.length; c++) bias[c] = (c % 7) * 0.5 - 1.5;
  const { ds, idx } = await data(150, 1);
  for (const engine of ['onnxruntime', 'tfjs'] as const) {
    const { stats } = await collectStats(g, ds, idx, { model: 'm', modelHash: 'h', seed: 1, engine });
    const blk = stats.blocks.find((b) => b.name === se.name)!;
    for (let c = 0; c < blk.channels; c++) {
      const expected = 1 / (1 + Math.exp(-bias[c]));
      assert.ok(Math.abs(blk.mean[c] - expected) < 1e-6, `${engine} mean ${blk.mean[c]} vs ${expected}`);
      assert.ok(blk.std[c] < 1e-6);
      for (const row of blk.perClassMean) assert.ok(Math.abs(row[c] - expected) < 1e-6);
    }
    assert.ok(blk.inputDependence < 1e-6 && blk.classDependence < 1e-6);
    assert.ok(stats.blocks.find((b) => b.name !== se.name)!.inputDependence > 1e-4, 'the other blocks still vary');
  }
});
