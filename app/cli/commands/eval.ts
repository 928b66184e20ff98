/** `seprune eval <model> --data <dataset>`: accuracy, per-class accuracy, confusion, loss and CPU latency. */
import type { CommandSpec } from '../command.js';
import { DATA_OPTIONS, parseDataOptions, openCommandDataset } from '../data-options.js';
import { ENGINE_OPTION, engineChoice } from '../engine-option.js';
import { sampleIndices } from '../../data/index.js';
import { evaluateExported, evaluateModel } from '../../workflows/evaluate.js';
import type { ExportedModel } from '../../../export/open-exported.js';
import { openModelFile } from '../../workflows/open-model-file.js';
import type { ModelFacts } from '../data-options.js';
import { pct, table } from '../format.js';

/** What the data flags read of an exported file: its input shape and the preprocessing and labels its metadata carries. */
function factsOf(m: ExportedModel): ModelFacts {
  return { project: { graph: { inputs: [{ shape: [...m.inputShape] }] }, ...(m.preprocessing ? { preprocessing: m.preprocessing } : {}), ...(m.labels ? { labels: m.labels } : {}) } };
}

export const evalCommand: CommandSpec = {
  name: 'eval',
  summary: 'Measure top-1/top-5 accuracy, per-class accuracy, the confusion matrix, mean loss and CPU latency (batch 1 and 32).',
  options: {
    ...DATA_OPTIONS,
    ...ENGINE_OPTION,
    'no-latency': { type: 'boolean', description: 'Skip the latency measurement.' },
  },
  positionals: [{ name: 'model', required: true, description: 'A model file or zoo:<name>; an exported file the IR cannot represent (int8 ONNX, .tflite, a TF.js graph model) runs in its own runtime.' }],
  examples: ['seprune eval zoo:se-resnet-demo --data fashion-mnist --limit 500 --json', 'seprune eval model-int8.tflite --data fashion-mnist --limit 1000'],
  async run(ctx) {
    const arg = ctx.positionals[0];
    const opened = await openModelFile(arg);
    const facts = 'exported' in opened ? factsOf(opened.exported) : opened.loaded;
    const d = parseDataOptions(ctx, facts, { required: true, defaultSplit: 'test' })!;
    const ds = await openCommandDataset(ctx, d);
    const indices = sampleIndices(await ds.labels(), d.limit, d.seed);
    ctx.log(`data: ${ds.name} from ${ds.source} (${ds.split}), ${indices.length} of ${ds.size} images`);
    const latencyWanted = !ctx.values['no-latency'];
    const { engine, note, result: r, latency } =
      'exported' in opened
        ? await evaluateExported(opened.exported, ds, indices, { latency: latencyWanted, progress: ctx.progress })
        : await evaluateModel(opened.loaded.project.graph, ds, indices, { engine: engineChoice(ctx), latency: latencyWanted, progress: ctx.progress });
    if ('exported' in opened) ctx.log(`${opened.exported.format} file run as it is, in ${engine} (read-only: the IR cannot represent it)`);
    const json = {
      model: 'exported' in opened ? arg : opened.loaded.source,
      ...('exported' in opened ? { file: { format: opened.exported.format, bytes: opened.exported.bytes, ...(opened.exported.source ? { exportedFrom: opened.exported.source } : {}) } } : {}),
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
