/**
 * Done-when check of issue #16: PyTorch-trained SE networks (tools/torchnets.py; ToTensor,
 * Normalize(0.2860, 0.3530), Pad(2); BN folded by torch.onnx.export) evaluated by `seprune eval` on
 * Debian's Fashion-MNIST test set (10,000 images) with the pipeline pasted from the training code,
 * next to the old flags (--pad 2 --mean --std: pad before normalising) and PyTorch's own top-1
 * from <net>.json. `node --import tsx bench/pytorch-eval.ts [/work/models/quick ...]`.
 */
import { spawnSync } from 'node:child_process';
import { existsSync, readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';

const bin = fileURLToPath(new URL('../bin/seprune.mjs', import.meta.url));
const dirs = process.argv.slice(2).length ? process.argv.slice(2) : ['/work/models/quick', '/work/models/trained'];
const rows: string[] = ['| net | epochs | PyTorch top-1 | `--transform` top-1 | Δ (points) | old flags top-1 | seconds |', '|---|---|---|---|---|---|---|'];
for (const dir of dirs.filter(existsSync)) {
  for (const f of readdirSync(dir).filter((n) => n.endsWith('.json')).sort()) {
    const onnx = join(dir, f.replace(/\.json$/, '.onnx'));
    if (!existsSync(onnx)) continue;
    const ref = JSON.parse(readFileSync(join(dir, f), 'utf8')) as { net: string; top1: number; epochs: number; transform: string };
    const evalWith = (...flags: string[]) => {
      const t0 = Date.now();
      const r = spawnSync(process.execPath, [bin, 'eval', onnx, '--data', 'fashion-mnist', '--split', 'test', '--no-latency', '--json', ...flags], { encoding: 'utf8' });
      if (r.status !== 0) throw new Error(r.stderr);
      const j = JSON.parse(r.stdout) as { top1: number; n: number };
      if (j.n !== 10000) throw new Error(`${onnx}: ${j.n} images`);
      return { top1: j.top1, s: (Date.now() - t0) / 1000 };
    };
    const ours = evalWith('--transform', ref.transform);
    const old = evalWith('--pad', '2', '--mean', '0.2860', '--std', '0.3530');
    const pct = (v: number) => (100 * v).toFixed(2);
    rows.push(`| ${ref.net} (${dir.split('/').pop()}) | ${ref.epochs} | ${pct(ref.top1)} | ${pct(ours.top1)} | ${(100 * (ours.top1 - ref.top1)).toFixed(2)} | ${pct(old.top1)} | ${ours.s.toFixed(0)} |`);
    console.error(rows[rows.length - 1]);
  }
}
console.log(rows.join('\n'));
