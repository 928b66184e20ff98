// Evaluation through onnxruntime against an independent computation: the tfjs executor's logits
// on the same images, scored by hand.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { buildZooModel } from '../model/zoo/index.js';
import { openDataset, sampleIndices } from '../data/index.js';
import { runGraph } from '../engine/executor.js';
import { evaluate } from './evaluate.js';

test('eval agrees with the executor\'s logits scored independently on the same images', async () => {
  const g = buildZooModel('se-shufflenetv2-demo?seed=3');
  // Give the classifier a data-dependent bias so predictions are not one class.
  const ds = await openDataset({ data: 'fashion-mnist', split: 'test', preprocess: { mean: [0.286], std: [0.353], channels: 1 } });
  const idx = sampleIndices(await ds.labels(), 120, 5);
  const r = await evaluate(g, ds, idx, { batchSize: 32 });
  assert.equal(r.engine, 'onnxruntime-node');
  let n = 0, top1 = 0, top5 = 0, loss = 0;
  const confusion = Array.from({ length: 10 }, () => new Array(10).fill(0));
  for await (const b of ds.batches(idx, 50)) {
    const { outputs } = await runGraph(g, b.x, b.y.length);
    const logits = outputs[0];
    for (let i = 0; i < b.y.length; i++) {
      const row = Array.from(logits.subarray(i * 10, i * 10 + 10));
      const order = row.map((v, k) => [v, k] as const).sort((p, q) => q[0] - p[0] || p[1] - q[1]).map((p) => p[1]);
      const y = b.y[i];
      if (order[0] === y) top1++;
      if (order.slice(0, 5).includes(y)) top5++;
      const max = Math.max(...row);
      loss += Math.log(row.reduce((s, v) => s + Math.exp(v - max), 0)) + max - row[y];
      confusion[y][order[0]]++;
      n++;
    }
  }
  assert.equal(r.n, n);
  assert.equal(r.top1, top1 / n);
  assert.equal(r.top5, top5 / n);
  assert.deepEqual(r.confusion, confusion);
  assert.ok(Math.abs(r.meanLoss - loss / n) < 1e-4);
  assert.equal(r.perClass.reduce((s, c) => s + c.n, 0), n);
});
