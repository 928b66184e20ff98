/** `seprune eval <model> --data <dataset>`: accuracy, per-class accuracy, confusion, loss and CPU latency. */
import type { CommandSpec } from '../command.js';
import { loadModel } from '../../import/load.js';
import { DATA_OPTIONS, parseDataOptions, openCommandDataset } from '../data-options.js';
import { ENGINE_OPTION, engineChoice } from '../engine-option.js';
import { sampleIndices } from '../../data/index.js';
import { evaluateModel } from '../../workflows/evaluate.js';
import { pct, table } from '../format.js';

export const evalCommand: CommandSpec = {
  name: 'eval',
  summary: 'Measure top-1/top-5 accuracy, per-class accuracy, the confusion matrix, mean loss and CPU latency (batch 1 and 32).',
  options: {
    ...DATA_OPTIONS,
    ...ENGINE_OPTION,
    'no-latency': { type: 'boolean', description: 'Skip the latency measurement.' },
  },
  positionals: [{ name: 'model', required: true, description: 'A model file or zoo:<name>.' }],
  examples: ['seprune eval zoo:se-resnet-demo --data fashion-mnist --limit 500 --json'],
  async run(ctx) {
    const m = await loadModel(ctx.positionals[0]);
    const d = parseDataOptions(ctx, m, { required: true, defaultSplit: 'test' })!;
    const ds = await openCommandDataset(ctx, d);
    const indices = sampleIndices(await ds.labels(), d.limit, d.seed);
    ctx.log(`data: ${ds.name} from ${ds.source} (${ds.split}), ${indices.length} of ${ds.size} images`);
    const { engine, note, result: r, latency } = await evaluateModel(m.project.graph, ds, indices, { engine: engineChoice(ctx), latency: !ctx.values['no-latency'], progress: ctx.progress });
    const json = {
      model: m.source,
      engine,
      ...(note ? { note } : {}),
      data: { name: ds.name, source: ds.source, split: ds.split },
      n: r.n,
      top1: r.top1,
      top5: r.top5,
      meanLoss: r.meanLoss,
      perClass: r.perClass.map((c) => ({ ...c, name: ds.classes[c.label] ?? String(c.label) })),
      confusion: r.confusion,
      skipped: r.run.skipped,
      imagesPerSecond: r.run.imagesPerSecond,
      latency,
    };
    const text = [
      `engine: ${engine}${note ? ` (${note})` : ''}; ${r.n} images${r.run.skipped.length ? `, ${r.run.skipped.length} skipped` : ''}`,
      ...r.run.skipped.slice(0, 10).map((s) => `  skipped ${s.id}: ${s.reason}`),
      `top-1 ${pct(r.top1)}  top-5 ${pct(r.top5)}  mean loss ${r.meanLoss.toFixed(4)}`,
      ...latency.map((l) => `latency batch ${l.batch}: ${l.msPerImage.toFixed(3)} ms/image (median of ${l.runs})`),
      '',
      table(json.perClass.map((c) => [c.name, c.n, pct(c.top1)]), ['class', 'images', 'top-1']),
    ].join('\n');
    return { json, text };
  },
};
