/**
 * The real-export part of `npm run bench:prune`: BN-folded torch.onnx.export files of timm /
 * torchvision SE networks trained by tools/torchnets.py (BENCH_REAL_DIR, default
 * /work/models/trained, else /work/models/quick), pruned to 50% of the MACs one shot with every
 * criterion through the `seprune prune` command's own code. Cells: top-1 with re-estimation
 * (adaptive batch norm) / without (MACs kept). These models were trained on
 * Normalize(0.2860, 0.3530) then Pad(2), i.e. padded AFTER normalising; until the data options
 * carry an ordered transform pipeline, this bench writes Debian's Fashion-MNIST as 32×32 IDX
 * files padded with gray 73 (≈ 0 after normalising) and passes --mean/--std only — a stopgap
 * that lives here, not in app/data.
 */
import { existsSync, mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import { gunzipSync } from 'node:zlib';
import { join } from 'node:path';
import { tmpdir } from 'node:os';
import { pruneCommand } from '../app/cli/commands/prune.js';
import type { CommandContext, CommandSpec } from '../app/cli/command.js';

const NETS = ['se_resnet18', 'mobilenet_v3_small', 'regnety_200mf', 'shufflenet_v2_se'];
const SRC = '/usr/share/datasets/fashion-mnist';

function modelDir(): string | undefined {
  if (process.env.BENCH_REAL_DIR) return process.env.BENCH_REAL_DIR;
  return ['/work/models/trained', '/work/models/quick'].find((d) => NETS.some((n) => existsSync(join(d, `${n}.onnx`))));
}

/** Debian's Fashion-MNIST as 32×32 IDX padded with 73 (the stopgap described above). */
function paddedCopy(): string {
  const dir = mkdtempSync(join(tmpdir(), 'bench-fm32-'));
  for (const p of ['train', 't10k']) {
    const img = gunzipSync(readFileSync(join(SRC, `${p}-images-idx3-ubyte.gz`)));
    const n = img.readUInt32BE(4);
    const out = Buffer.alloc(16 + n * 1024, 73);
    out.writeUInt32BE(2051, 0);
    out.writeUInt32BE(n, 4);
    out.writeUInt32BE(32, 8);
    out.writeUInt32BE(32, 12);
    for (let i = 0; i < n; i++) for (let y = 0; y < 28; y++) img.copy(out, 16 + i * 1024 + (y + 2) * 32 + 2, 16 + i * 784 + y * 28, 16 + i * 784 + y * 28 + 28);
    writeFileSync(join(dir, `${p}-images-idx3-ubyte`), out);
    writeFileSync(join(dir, `${p}-labels-idx1-ubyte`), gunzipSync(readFileSync(join(SRC, `${p}-labels-idx1-ubyte.gz`))));
  }
  return dir;
}

async function run(spec: CommandSpec, positionals: string[], values: CommandContext['values']): Promise<Record<string, unknown>> {
  const ctx: CommandContext = { values: { ...values, json: true }, positionals, json: true, progress: { update() {}, done() {} }, log() {} };
  return (await spec.run(ctx)).json as Record<string, unknown>;
}

export async function benchRealExports(criteria: string[], limit: string): Promise<void> {
  const dir = modelDir();
  if (!dir || !existsSync(SRC)) {
    console.log(`\nreal exports: skipped (${!dir ? 'no trained torchnets files; set BENCH_REAL_DIR' : `${SRC} is missing (apt-get install dataset-fashion-mnist)`})`);
    return;
  }
  const data = paddedCopy();
  const out = mkdtempSync(join(tmpdir(), 'bench-prune-real-'));
  const steps = process.env.BENCH_STEPS ?? '1';
  console.log(`\nreal BN-folded exports from ${dir}: calibration ${limit} train images, evaluation ${limit} test images (Debian's full Fashion-MNIST, padded with 73), --target-macs 0.5 --residual freeze --fold-se auto --steps ${steps}; cells: re-estimated / none (MACs kept)\n`);
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
        const j = await run(pruneCommand, [file], {
          data, limit, mean: '0.286', std: '0.353', criterion: c, 'target-macs': '0.5', steps,
          out: join(out, `${net}-${c}.seprune`), force: true,
        });
        before = j.top1Before as number;
        const macs = (j.macsAfter as number) / (j.macsBefore as number);
        const none = j.top1Pruned as number | null;
        cells.push(`${((j.top1After as number) * 100).toFixed(1)} / ${none === null ? '–' : (none * 100).toFixed(1)} (${(macs * 100).toFixed(1)}%)${c === 'auto' ? ` → ${String(j.criterion)}` : ''}`);
      } catch (e) {
        cells.push(`error: ${(e as Error).message}`);
      }
    }
    console.log(`| ${net} (${info ? (info.top1 * 100).toFixed(1) : '?'}; ours ${before === null ? '?' : (before * 100).toFixed(1)}) | ${cells.join(' | ')} |`);
  }
}

if (import.meta.url === `file://${process.argv[1]}`) {
  const criteria = (process.env.BENCH_CRITERIA ?? 'se-mean,se-magnitude,se-taylor,l1,bn-gamma,taylor,random').split(',');
  await benchRealExports(criteria, process.env.BENCH_LIMIT ?? '1000');
}
