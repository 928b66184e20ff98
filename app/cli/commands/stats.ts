/** `seprune stats <model> --data <dataset>`: excitation statistics of every SE gate. */
import type { CommandSpec } from '../command.js';
import { str } from '../command.js';
import { loadModel } from '../../import/load.js';
import { saveProject } from '../../model/project-file.js';
import { DATA_OPTIONS, parseDataOptions, openCommandDataset } from '../data-options.js';
import { ENGINE_OPTION, engineChoice } from '../engine-option.js';
import { sampleIndices } from '../../data/index.js';
import { collectStats } from '../../../pruning/stats/collect.js';
import { writeFileAtomic, checkWritable } from '../../util/atomic-write.js';
import { table } from '../format.js';
import { UserError } from '../../model/errors.js';

export const statsCommand: CommandSpec = {
  name: 'stats',
  summary:
    'Run a calibration set through the model and gather per-channel SE gate statistics (mean, std, min, max, per-class mean, histogram) and per-block identity distance and input dependence.',
  options: {
    ...DATA_OPTIONS,
    ...ENGINE_OPTION,
    out: { type: 'string', value: 'PATH', description: 'Write the statistics as JSON to PATH.' },
    'project-out': { type: 'string', value: 'PATH', description: 'Also write a .seprune project holding the model, its preprocessing and these statistics.' },
    bins: { type: 'string', value: 'N', description: 'Histogram bins over [0, 1].', default: '20' },
    force: { type: 'boolean', description: 'Replace existing output files.' },
  },
  positionals: [{ name: 'model', required: true, description: 'A model file or zoo:<name>.' }],
  examples: ['seprune stats zoo:se-resnet-demo --data fashion-mnist --limit 500 --out stats.json'],
  async run(ctx) {
    const m = await loadModel(ctx.positionals[0]);
    const d = parseDataOptions(ctx, m, { required: true, defaultSplit: 'train' })!;
    const force = ctx.values.force === true;
    const out = str(ctx, 'out');
    const projectOut = str(ctx, 'project-out');
    const protect = [ctx.positionals[0]];
    if (out) checkWritable(out, { force, protect });
    if (projectOut) checkWritable(projectOut, { force, protect });
    const bins = Number(str(ctx, 'bins') ?? '20');
    if (!Number.isInteger(bins) || bins < 2 || bins > 1000) throw new UserError('--bins must be an integer between 2 and 1000.');
    const ds = await openCommandDataset(ctx, d);
    const indices = sampleIndices(await ds.labels(), d.limit, d.seed);
    ctx.log(`data: ${ds.name} from ${ds.source} (${ds.split}), ${indices.length} of ${ds.size} images`);
    const { stats, run, note } = await collectStats(m.project.graph, ds, indices, {
      model: m.source,
      modelHash: m.hash,
      seed: d.seed,
      bins,
      engine: engineChoice(ctx),
      progress: ctx.progress,
    });
    if (out) writeFileAtomic(out, new TextEncoder().encode(JSON.stringify(stats)), { force, protect });
    if (projectOut) {
      saveProject(projectOut, { ...m.project, preprocessing: d.preprocess, labels: ds.classes, stats, history: [...m.project.history, { step: 'stats', at: new Date().toISOString(), details: { data: stats.dataset, n: stats.n } }] }, { force, protect });
    }
    const blocks = stats.blocks.map((b) => ({
      name: b.name,
      channels: b.channels,
      meanGate: b.mean.reduce((a, v) => a + v, 0) / b.channels,
      identityDistance: b.identityDistance,
      inputDependence: b.inputDependence,
      classDependence: b.classDependence,
    }));
    const json = {
      engine: stats.engine,
      ...(note ? { note } : {}),
      data: { name: ds.name, source: ds.source, split: ds.split },
      n: stats.n,
      skipped: run.skipped,
      imagesPerSecond: run.imagesPerSecond,
      blocks,
      ...(out ? { out } : { stats }),
      ...(projectOut ? { projectOut } : {}),
    };
    const text = [
      `engine: ${stats.engine}${note ? ` (${note})` : ''}; ${stats.n} images (${run.imagesPerSecond.toFixed(0)} images/s)${run.skipped.length ? `, ${run.skipped.length} skipped` : ''}`,
      ...run.skipped.slice(0, 10).map((s) => `  skipped ${s.id}: ${s.reason}`),
      '',
      table(
        blocks.map((b) => [b.name, b.channels, b.meanGate.toFixed(3), b.identityDistance.toFixed(3), b.inputDependence.toFixed(4), b.classDependence.toFixed(4)]),
        ['SE block', 'channels', 'mean gate', 'mean|1-s|', 'std(images)', 'std(classes)'],
      ),
      out ? `\nwrote ${out}` : '',
      projectOut ? `wrote ${projectOut}` : '',
    ].filter((l) => l !== '').join('\n');
    return { json, text };
  },
};
