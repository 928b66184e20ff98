/**
 * `seprune compare <model> <model> ... --data <dataset>`: top-1/top-5, per-class top-1, params,
 * MACs, file size and CPU latency of every model side by side, with the differences against the
 * first; `--html report.html` also writes the self-contained offline report with its plots.
 */
import type { CommandSpec } from '../command.js';
import { str } from '../command.js';
import type { LoadedModel } from '../../model/project.js';
import { UserError } from '../../model/errors.js';
import { checkWritable, writeFileAtomic } from '../../util/atomic-write.js';
import { DATA_OPTIONS, parseDataOptions, openCommandDataset } from '../data-options.js';
import { ENGINE_OPTION, engineChoice } from '../engine-option.js';
import { sampleIndices } from '../../data/index.js';
import { modelFileBytes, type CompareInput } from '../../eval/compare.js';
import { openModelFile, sourceOf } from '../../workflows/open-model-file.js';
import { exportedInference } from '../../../export/open-exported.js';
import { compareOn } from '../../workflows/compare.js';
import { formatBytes, renderCompareHtml } from '../../eval/report-html.js';
import { signed, signedMs, signedPoints } from '../../eval/deltas.js';
import { fmtCount, pct, table } from '../format.js';


export const compareCommand: CommandSpec = {
  name: 'compare',
  summary: 'Compare models side by side on one dataset: top-1/top-5, per-class top-1, params, MACs, file size, CPU latency, and the differences against the first.',
  options: {
    ...DATA_OPTIONS,
    ...ENGINE_OPTION,
    html: { type: 'string', value: 'PATH', description: 'Also write a self-contained HTML report with plots (opens offline).' },
    force: { type: 'boolean', description: 'Replace an existing --html file.' },
    'no-latency': { type: 'boolean', description: 'Skip the latency measurement.' },
  },
  positionals: [{ name: 'models', required: true, variadic: true, description: 'Two or more model files or zoo:<name> (the first is the baseline).' }],
  examples: [
    'seprune compare zoo:se-resnet-demo pruned.seprune finetuned.seprune --data fashion-mnist --limit 1000 --html report.html',
    'seprune compare original.onnx pruned.seprune --data fashion-mnist --json',
  ],
  async run(ctx) {
    const args = ctx.positionals;
    if (args.length < 2) throw new UserError('Give at least two models to compare (the first is the baseline).');
    const html = str(ctx, 'html');
    const force = ctx.values.force === true;
    if (html) checkWritable(html, { force, protect: args.filter((a) => !a.startsWith('zoo:')) });
    const inputs: CompareInput[] = [];
    let first: LoadedModel | undefined;
    for (const a of args) {
      const opened = await openModelFile(a);
      if ('loaded' in opened) {
        first ??= opened.loaded;
        inputs.push({ label: opened.loaded.source, graph: opened.loaded.project.graph, fileBytes: modelFileBytes(opened.loaded) });
      } else {
        const src = await sourceOf(a, opened.exported);
        first ??= { ...src, project: { ...src.project, ...(opened.exported.preprocessing ? { preprocessing: opened.exported.preprocessing } : {}), ...(opened.exported.labels ? { labels: opened.exported.labels } : {}) } };
        const exported = opened.exported;
        inputs.push({ label: a, graph: src.project.graph, fileBytes: exported.bytes, open: () => exportedInference(exported) });
        ctx.log(`${a}: the ${exported.format} file runs as it is, in its own runtime; parameters and MACs are those of ${exported.source}, which it was exported from`);
      }
    }
    const d = parseDataOptions(ctx, first!, { required: true, defaultSplit: 'test' })!;
    const ds = await openCommandDataset(ctx, d);
    const indices = sampleIndices(await ds.labels(), d.limit, d.seed);
    ctx.log(`data: ${ds.name} from ${ds.source} (${ds.split}), ${indices.length} of ${ds.size} images`);
    const r = await compareOn(
      inputs,
      ds,
      indices,
      { engine: engineChoice(ctx), latency: ctx.values['no-latency'] !== true, progress: ctx.progress },
    );
    if (html) writeFileAtomic(html, new TextEncoder().encode(renderCompareHtml(r, { generated: new Date().toISOString() })), { force, protect: args });
    const rows = r.rows.map((row, i) => {
      const dd = r.diffs[i];
      const diff = (s: string): string => (i > 0 ? ` (${s})` : '');
      return [
        `${i + 1}. ${row.model}`,
        pct(row.top1) + diff(signedPoints(dd.top1)),
        pct(row.top5) + diff(signedPoints(dd.top5)),
        fmtCount(row.params) + diff(signed(dd.params, fmtCount(dd.params))),
        fmtCount(row.macs) + diff(signed(dd.macs, fmtCount(dd.macs))),
        formatBytes(row.fileBytes) + diff(signed(dd.fileBytes, formatBytes(dd.fileBytes))),
        row.latencyMs === null ? '—' : `${row.latencyMs.toFixed(3)} ms` + (dd.latencyMs === null ? '' : diff(signedMs(dd.latencyMs))),
      ];
    });
    const perClass = r.classNames.map((name, c) => [name, ...r.rows.map((row) => pct(row.perClass[c]?.top1 ?? 0))]);
    const text = [
      `${r.data.n} images of ${r.data.name} (${r.data.split}); differences against model 1`,
      table(rows, ['model', 'top-1', 'top-5', 'params', 'MACs', 'file size', 'latency b1']),
      '',
      table(perClass, ['class', ...r.rows.map((_, i) => `${i + 1}.`)]),
      ...(html ? ['', `report written to ${html}`] : []),
    ].join('\n');
    return { json: { ...r, ...(html ? { html } : {}) }, text };
  },
};
