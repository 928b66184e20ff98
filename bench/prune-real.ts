/**
 * The real-export part of `npm run bench:prune`: BN-folded torch.onnx.export files of timm /
 * torchvision SE networks trained by tools/torchnets.py (BENCH_REAL_DIR, default the first of
 * /work/models/conv, /work/models/trained, /work/models/quick that holds one), pruned to 50% of
 * the MACs one shot with every criterion through the `seprune prune` command's own code, then —
 * when BENCH_FT_IMAGES is set — fine-tuned by `seprune finetune`'s own code with the unpruned
 * export as teacher (BENCH_FT_EPOCHS epochs of BENCH_FT_IMAGES train images, engine auto) and
 * evaluated on BENCH_FT_EVAL test images (default all 10,000).
 *
 * The data is Debian's full Fashion-MNIST (/usr/share/datasets/fashion-mnist) read with the
 * pipeline these models were trained on: ToTensor(), Normalize(0.286, 0.353), Pad(2).
 * Cells: one-shot top-1 with re-estimation (adaptive BN) / without, (MACs kept), then → top-1
 * after the fine-tune.
 */
import { existsSync, mkdtempSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { tmpdir } from 'node:os';
import { pruneCommand } from '../app/cli/commands/prune.js';
import { finetuneCommand } from '../app/cli/commands/finetune.js';
import type { CommandContext, CommandSpec } from '../app/cli/command.js';

const NETS = (process.env.BENCH_NETS ?? 'se_resnet18,mobilenet_v3_small,regnety_200mf,shufflenet_v2_se').split(',');
const SRC = '/usr/share/datasets/fashion-mnist';
const TRANSFORM = 'ToTensor(),Normalize(0.286,0.353),Pad(2)';

function modelDir(): string | undefined {
  if (process.env.BENCH_REAL_DIR) return process.env.BENCH_REAL_DIR;
  return ['/work/models/conv', '/work/models/trained', '/work/models/quick'].find((d) => NETS.some((n) => existsSync(join(d, `${n}.onnx`))));
}

async function run(spec: CommandSpec, positionals: string[], values: CommandContext['values']): Promise<Record<string, unknown>> {
  const ctx: CommandContext = { values: { ...values, json: true }, positionals, json: true, progress: { update() {}, done() {} }, log() {} };
  return (await spec.run(ctx)).json as Record<string, unknown>;
}

const pct = (x: unknown) => (typeof x === 'number' ? (x * 100).toFixed(1) : '–');

export async function benchRealExports(criteria: string[], limit: string): Promise<void> {
  const dir = modelDir();
  if (!dir || !existsSync(SRC)) {
    console.log(`\nreal exports: not run (${!dir ? 'no trained torchnets files; set BENCH_REAL_DIR' : `${SRC} is missing (apt-get install dataset-fashion-mnist)`})`);
    return;
  }
  const out = mkdtempSync(join(tmpdir(), 'bench-prune-real-'));
  const steps = process.env.BENCH_STEPS ?? '1';
  const target = process.env.BENCH_TARGET ?? '0.5';
  const roundTo = process.env.BENCH_ROUND_TO;
  const ftImages = process.env.BENCH_FT_IMAGES;
  const ftEpochs = process.env.BENCH_FT_EPOCHS ?? '1';
  const ftEval = process.env.BENCH_FT_EVAL;
  const data = { data: 'fashion-mnist', 'data-dir': SRC, transform: TRANSFORM };
  console.log(
    `\nreal BN-folded exports from ${dir}: calibration ${limit} train images, one-shot evaluation on ${limit} test images (Debian's full Fashion-MNIST, ${TRANSFORM}), ` +
      `--target-macs ${target} --residual freeze --fold-se auto --steps ${steps}${roundTo ? ` --round-to ${roundTo}` : ''}; cells: re-estimated / none (MACs kept)` +
      (ftImages ? ` → after ${ftEpochs} epoch(s) of ${ftImages} train images distilled from the unpruned export (top-1 on ${ftEval ?? 'all 10,000'} test images)` : '') +
      '\n',
  );
  console.log(`| model (PyTorch top-1) | ${criteria.join(' | ')} |`);
  console.log(`|---|${criteria.map(() => '---').join('|')}|`);
  for (const net of NETS) {
    const file = join(dir, `${net}.onnx`);
    if (!existsSync(file)) continue;
    const info = existsSync(join(dir, `${net}.json`)) ? (JSON.parse(readFileSync(join(dir, `${net}.json`), 'utf8')) as { top1: number }) : undefined;
    const cells: string[] = [];
    let before: number | null = null;
    for (const c of criteria) {
      try {
        const pruned = join(out, `${net}-${c}.seprune`);
        const t0 = Date.now();
        const j = await run(pruneCommand, [file], {
          ...data, limit, criterion: c, 'target-macs': target, steps, ...(roundTo ? { 'round-to': roundTo } : {}), out: pruned, force: true,
        });
        const pruneS = (Date.now() - t0) / 1000;
        before = j.top1Before as number;
        const macs = (j.macsAfter as number) / (j.macsBefore as number);
        const folded = (j.seBlocks as { decision: string }[]).filter((b) => b.decision !== 'keep').length;
        let cell = `${pct(j.top1After)} / ${pct(j.top1Pruned)} (${(macs * 100).toFixed(1)}%${folded ? `, ${folded} SE folded` : ''})${c === 'auto' ? ` ⇒ ${String(j.criterion)}` : ''}`;
        if (ftImages) {
          const t1 = Date.now();
          const f = await run(finetuneCommand, [pruned], {
            ...data, limit: ftImages, epochs: ftEpochs, teacher: file, engine: 'auto', ...(ftEval ? { 'eval-limit': ftEval } : {}), out: join(out, `${net}-${c}-ft.seprune`), force: true,
          });
          cell += ` → **${pct(f.top1)}**`;
          console.error(`${net} ${c}: prune ${pruneS.toFixed(0)} s, fine-tune ${((Date.now() - t1) / 1000).toFixed(0)} s, ${cell}`);
        } else {
          console.error(`${net} ${c}: prune ${pruneS.toFixed(0)} s, ${cell}`);
        }
        cells.push(cell);
      } catch (e) {
        cells.push(`error: ${(e as Error).message}`);
      }
    }
    console.log(`| ${net} (${info ? pct(info.top1) : '?'}; ours ${pct(before)}) | ${cells.join(' | ')} |`);
  }
}

if (import.meta.url === `file://${process.argv[1]}`) {
  const criteria = (process.env.BENCH_CRITERIA ?? 'se-mean,se-magnitude,se-taylor,l1,bn-gamma,taylor,random').split(',');
  await benchRealExports(criteria, process.env.BENCH_LIMIT ?? '1000');
}
