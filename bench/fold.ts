/**
 * `npm run bench:fold`: how much accuracy each SE block costs when its gate is replaced by its
 * mean (folded into the preceding BN), against the block's input dependence and identity
 * distance: the measurements the `--fold-constant` / `--fold-identity` defaults come from.
 * Models: BENCH_MODELS (comma list), default the trained demo models shipped in the repository.
 */
import os from 'node:os';
import { loadModel } from '../app/import/load.js';
import { seNodes } from '../app/model/ir.js';
import { openDataset, sampleIndices } from '../app/data/index.js';
import { collectStats } from '../pruning/stats/collect.js';
import { foldSe } from '../pruning/se-fold.js';
import { evaluate } from '../app/eval/evaluate.js';
import { trainedModelPath } from '../app/model/zoo/trained.js';

const defaults = ['se-resnet-demo', 'se-mobilenet-demo', 'se-shufflenetv2-demo']
  .map((n) => `${n}-fmnist`)
  .filter((n) => trainedModelPath(n))
  .map((n) => `zoo:${n}`);
const models = process.env.BENCH_MODELS ? process.env.BENCH_MODELS.split(',') : defaults;
const limit = Number(process.env.BENCH_LIMIT ?? 1000);

console.log(`machine: ${os.cpus()[0]?.model ?? 'cpu'} × ${os.availableParallelism()}, Node ${process.version}, ${new Date().toISOString().slice(0, 10)}`);
console.log(`statistics on ${limit} Fashion-MNIST train images, top-1 on ${limit} test images\n`);
console.log('| model | SE block | channels | input dependence | identity distance | Δ top-1 folded alone (pt) |');
console.log('|---|---|---|---|---|---|');
for (const arg of models) {
  const m = await loadModel(arg);
  const g = m.project.graph;
  const preprocess = m.project.preprocessing ?? { mean: [0], std: [1], channels: 1 as const };
  const train = await openDataset({ data: 'fashion-mnist', split: 'train', preprocess });
  const test = await openDataset({ data: 'fashion-mnist', split: 'test', preprocess });
  const testIdx = sampleIndices(await test.labels(), limit, 0);
  const { stats } = await collectStats(g, train, sampleIndices(await train.labels(), limit, 0), { model: arg, modelHash: m.hash, seed: 0 });
  const base = (await evaluate(g, test, testIdx)).top1;
  for (const se of seNodes(g)) {
    const b = stats.blocks.find((x) => x.name === se.name)!;
    const folded = foldSe(g, stats, { mode: [se.name], constantThreshold: Infinity, identityThreshold: 0 });
    const top1 = (await evaluate(folded.graph, test, testIdx)).top1;
    console.log(`| ${arg} (top-1 ${(base * 100).toFixed(1)}) | ${se.name} | ${b.channels} | ${b.inputDependence.toFixed(4)} | ${b.identityDistance.toFixed(3)} | ${((top1 - base) * 100).toFixed(2)} |`);
  }
}
