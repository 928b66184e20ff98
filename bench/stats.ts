/**
 * `npm run bench:stats`: throughput of the statistics pass (`collectStats`: data streaming,
 * onnxruntime with every SE gate exposed, accumulation) against a bare onnxruntime session on the
 * same model without gate outputs, fed the same preprocessed batches from memory, same batch size
 * and threads, in one run. Prints a Markdown table row per model.
 */
import os from 'node:os';
import { buildZooModel } from '../app/model/zoo/index.js';
import { openDataset, sampleIndices } from '../app/data/index.js';
import { collectStats } from '../pruning/stats/collect.js';
import { ortForGraph } from '../app/engine/ort.js';

const N = Number(process.env.BENCH_N ?? 5000);
const BATCH = 64;
const models = ['se-resnet-demo', 'se-mobilenetv3-demo', 'se-shufflenetv2-demo'];

const ds = await openDataset({ data: 'fashion-mnist', split: 'train', preprocess: { mean: [0.286], std: [0.353], channels: 1 } });
const idx = sampleIndices(await ds.labels(), N, 0);
const batches: { x: Float32Array; n: number }[] = [];
for await (const b of ds.batches(idx, BATCH)) batches.push({ x: b.x, n: b.y.length });

console.log(`machine: ${os.cpus()[0]?.model ?? 'cpu'} × ${os.availableParallelism()}, Node ${process.version}, ${new Date().toISOString().slice(0, 10)}`);
console.log(`data: ${ds.source}, ${idx.length} images, batch ${BATCH}, onnxruntime threads ${os.availableParallelism()}\n`);
console.log('| model | bare onnxruntime (img/s) | seprune stats (img/s) | ratio |');
console.log('|---|---|---|---|');
for (const name of models) {
  const g = buildZooModel(name);
  const bare = await ortForGraph(g);
  for (const b of batches.slice(0, 3)) await bare.run(b.x, b.n); // warm-up
  let t0 = performance.now();
  for (const b of batches) await bare.run(b.x, b.n);
  const bareRate = idx.length / ((performance.now() - t0) / 1000);
  await bare.release();
  await collectStats(g, ds, idx.slice(0, 3 * BATCH), { model: name, modelHash: '', seed: 0 }); // warm-up
  t0 = performance.now();
  await collectStats(g, ds, idx, { model: name, modelHash: '', seed: 0, batchSize: BATCH });
  const statsRate = idx.length / ((performance.now() - t0) / 1000);
  console.log(`| ${name} | ${bareRate.toFixed(0)} | ${statsRate.toFixed(0)} | ${(statsRate / bareRate).toFixed(2)} |`);
}
