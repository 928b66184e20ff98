/**
 * `npm run bench:prune`: one-shot accuracy (no fine-tuning) after pruning to 1/2 and 1/3 of the
 * MACs with every importance criterion, same data and seed, on each family's demo model. Runs the
 * `seprune prune` command's own code (then the real BN-folded exports, bench/prune-real.ts; BENCH_REAL=0
 * skips them, BENCH_DEMO=0 skips the demo models). Models: BENCH_MODELS (comma list of model arguments),
 * default the three demo families. Prints a Markdown table: each cell is top-1 after the cut with
 * batch-norm statistics re-estimated on the calibration images (the command's default), then with
 * the original statistics, then the MACs kept.
 */
import os from 'node:os';
import { mkdtempSync } from 'node:fs';
import { join } from 'node:path';
import { tmpdir } from 'node:os';
import { pruneCommand } from '../app/cli/commands/prune.js';
import { statsCommand } from '../app/cli/commands/stats.js';
import type { CommandContext, CommandSpec } from '../app/cli/command.js';
import { trainedModelPath } from '../app/model/zoo/trained.js';
import { benchRealExports } from './prune-real.js';

// The trained demo models when the repository ships them, else the untrained builders.
const defaults = ['se-resnet-demo', 'se-mobilenet-demo', 'se-shufflenetv2-demo'].map((n) =>
  trainedModelPath(`${n}-fmnist`) ? `zoo:${n}-fmnist` : `zoo:${n}`,
);
const models = process.env.BENCH_MODELS ? process.env.BENCH_MODELS.split(',') : defaults;
const criteria = ['se-mean', 'se-mean-norm', 'se-magnitude', 'se-taylor', 'l1', 'bn-gamma', 'taylor', 'random'];
const targets = [0.5, 1 / 3];
const limit = process.env.BENCH_LIMIT ?? '1000';
const dir = mkdtempSync(join(tmpdir(), 'bench-prune-'));

async function run(spec: CommandSpec, positionals: string[], values: CommandContext['values']): Promise<Record<string, unknown>> {
  const ctx: CommandContext = {
    values: { ...values, json: true },
    positionals,
    json: true,
    progress: { update() {}, done() {} },
    log() {},
  };
  return (await spec.run(ctx)).json as Record<string, unknown>;
}

console.log(`machine: ${os.cpus()[0]?.model ?? 'cpu'} × ${os.availableParallelism()}, Node ${process.version}, ${new Date().toISOString().slice(0, 10)}`);
console.log(`data: fashion-mnist, calibration ${limit} train images, evaluation ${limit} test images, seed 0, --residual couple, --fold-se none; cells: BN re-estimated / original BN statistics (MACs kept)\n`);
console.log(`| model | MACs kept | ${criteria.join(' | ')} |`);
console.log(`|---|---|${criteria.map(() => '---').join('|')}|`);
for (const model of process.env.BENCH_DEMO === '0' ? [] : models) {
  const statsFile = join(dir, `${model.replace(/[^a-z0-9]/gi, '_')}.json`);
  await run(statsCommand, [model], { data: 'fashion-mnist', limit, out: statsFile });
  let before: number | null = null;
  for (const t of targets) {
    const cells: string[] = [];
    for (const c of criteria) {
      const j = await run(pruneCommand, [model], {
        data: 'fashion-mnist', limit, stats: statsFile, criterion: c, 'target-macs': String(t),
        residual: 'couple', 'fold-se': 'none', out: join(dir, `p-${c}.seprune`), force: true,
      });
      before = j.top1Before as number;
      const macs = (j.macsAfter as number) / (j.macsBefore as number);
      cells.push(`${((j.top1After as number) * 100).toFixed(1)} / ${((j.top1BeforeBnRecalibration as number) * 100).toFixed(1)} (${(macs * 100).toFixed(0)}%)`);
    }
    console.log(`| ${model} (top-1 ${(before! * 100).toFixed(1)}) | ${(t * 100).toFixed(0)}% | ${cells.join(' | ')} |`);
  }
}

// The users' side: BN-folded torch.onnx.export files of real timm / torchvision networks.
if (process.env.BENCH_REAL !== '0') await benchRealExports(criteria.filter((c) => c !== 'se-mean-norm'), limit);
