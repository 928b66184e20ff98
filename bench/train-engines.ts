/**
 * `npm run bench:train`: training images/s of the same network, in one run and interleaved, on
 *   - a plain PyTorch loop on in-memory tensors (bench/plain_torch_loop.py: the reference),
 *   - `seprune finetune --engine torch` (trainTorch: job folder, memory-mapped uint8-coded shards
 *     looked up on the device, the runner's loop with its checks and progress events), without
 *     and with augmentation (flip + 2-pixel shift on the device),
 *   - `--engine tfjs` (the built-in trainer, same thread count),
 * on two real-size networks built by tools/torchnets.py and exported with torch.onnx.export
 * (SE-ResNet-18 at width 32, 32×32×1; torchvision mobilenet_v3_small) and the demo models.
 * Same torch threads for reference and engine. The engine's figure is its second epoch (the first
 * warms up); the reference's is timed steps after 3 warm-up steps; tfjs times BENCH_TFJS_STEPS.
 *
 * Env: BENCH_THREADS (default: every core), BENCH_BATCH (64), BENCH_IMAGES (per epoch, 1280),
 * BENCH_ROUNDS (2: reference and engine alternate, the median is reported), BENCH_MODELS
 * (comma list of se_resnet18, mobilenet_v3_small, zoo:<spec>), BENCH_TFJS_STEPS (3; 0 skips tfjs),
 * BENCH_TFJS_WORKERS (data-parallel worker threads of the tfjs engine, default BENCH_THREADS − 1),
 * BENCH_TORCH_ENGINE (1; 0 skips `--engine torch` and times only the plain loop and tfjs).
 * The tfjs-only step timings with kernel profiles are `npm run bench:train:tfjs` (bench/train.ts).
 */
import os from 'node:os';
import { spawnSync } from 'node:child_process';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import type { Graph } from '../app/model/ir.js';
import { buildZooModel } from '../app/model/zoo/index.js';
import { loadModel } from '../app/import/load.js';
import { encodeProject } from '../app/model/project-file.js';
import { Rng } from '../app/model/random.js';
import { memoryDataset, train } from '../app/train/index.js';
import { trainTorch, findTorchPython } from '../app/train/torch/index.js';
import { chooseBackend } from '../app/engine/backend.js';
import { costReport } from '../app/model/accounting.js';

const root = fileURLToPath(new URL('..', import.meta.url));
const THREADS = Number(process.env.BENCH_THREADS ?? os.availableParallelism());
const BATCH = Number(process.env.BENCH_BATCH ?? 64);
const IMAGES = Number(process.env.BENCH_IMAGES ?? 1280);
const ROUNDS = Number(process.env.BENCH_ROUNDS ?? 2);
const TFJS_STEPS = Number(process.env.BENCH_TFJS_STEPS ?? 3);
const TORCH_ENGINE = process.env.BENCH_TORCH_ENGINE !== '0';
const TFJS_WORKERS = Number(process.env.BENCH_TFJS_WORKERS ?? Math.max(0, THREADS - 1));
const MODELS = (process.env.BENCH_MODELS ?? 'se_resnet18,mobilenet_v3_small,zoo:se-resnet-demo,zoo:se-mobilenet-demo,zoo:se-shufflenetv2-demo').split(',');

const median = (a: number[]) => {
  const s = a.slice().sort((x, y) => x - y);
  return s.length % 2 ? s[s.length >> 1] : (s[s.length / 2 - 1] + s[s.length / 2]) / 2;
};

async function network(name: string, python: string, dir: string): Promise<Graph> {
  if (name.startsWith('zoo:')) return buildZooModel(name.slice(4));
  const onnx = join(dir, `${name}.onnx`);
  const r = spawnSync(python, ['-c', `import sys; sys.path.insert(0, 'tools'); import torchnets; torchnets.export_onnx(torchnets.build('${name}'), '${onnx}')`], { cwd: root, encoding: 'utf8' });
  if (r.status !== 0) throw new Error(`torchnets failed: ${r.stderr}`);
  return (await loadModel(onnx)).project.graph;
}

/** 0–255 images scaled and normalised as Fashion-MNIST is (so the shards carry uint8 codes). */
function images(g: Graph, n: number): Float32Array {
  const [h, w, c] = g.inputs[0].shape;
  const rng = new Rng(1);
  const x = new Float32Array(n * h * w * c);
  for (let i = 0; i < x.length; i++) x[i] = (rng.int(256) / 255 - 0.286) / 0.353;
  return x;
}

function plainLoop(python: string, model: string, xs: string, n: number): number {
  const r = spawnSync(python, [join(root, 'bench', 'plain_torch_loop.py'), model, xs, String(n), String(THREADS), String(BATCH), String(Math.floor(n / BATCH))], { encoding: 'utf8' });
  if (r.status !== 0) throw new Error(`plain loop failed: ${r.stderr}`);
  return (JSON.parse(r.stdout.trim().split('\n').pop()!) as { imagesPerSecond: number }).imagesPerSecond;
}

async function main() {
  const python = findTorchPython().found?.python;
  if (!python) throw new Error('bench:train needs a Python with torch (SEPRUNE_PYTHON, python3, python or /usr/bin/python3)');
  const backend = await chooseBackend();
  const dir = mkdtempSync(join(os.tmpdir(), 'seprune-bench-train-'));
  const load = () => os.loadavg().map((l) => l.toFixed(1)).join(' ');
  console.log(`# bench:train — ${new Date().toISOString()}, ${os.cpus()[0]?.model} × ${os.availableParallelism()}, torch via ${python} (${findTorchPython().found?.reason}), tfjs ${backend.name}`);
  console.log(`batch ${BATCH}, ${IMAGES} images an epoch, ${THREADS} threads for every engine (tfjs: ${TFJS_WORKERS + 1}, ${TFJS_STEPS} steps), ${ROUNDS} interleaved rounds (median), load average at start ${load()}\n`);
  console.log('| network | params | plain PyTorch loop (img/s) | engine torch, no aug (img/s) | ratio | engine torch, flip+shift | ratio | engine tfjs (img/s) | ratio |');
  console.log('|---|---|---|---|---|---|---|---|---|');
  try {
    for (const name of MODELS) {
      const g = await network(name, python, dir);
      const [h, w, c] = g.inputs[0].shape;
      const x = images(g, IMAGES);
      const y = Int32Array.from({ length: IMAGES }, (_, i) => i % 10);
      const ds = memoryDataset(x, y, [h, w, c], 10, 'bench');
      const model = join(dir, 'model.seprune');
      writeFileSync(model, Buffer.concat(encodeProject({ graph: g, history: [] })));
      const xs = join(dir, 'x.f32');
      writeFileSync(xs, new Uint8Array(x.buffer));
      const ref: number[] = [];
      const plain: number[] = [];
      const aug: number[] = [];
      for (let r = 0; r < ROUNDS; r++) {
        ref.push(plainLoop(python, model, xs, IMAGES));
        const opts = { epochs: 2, batchSize: BATCH, lr: 0.01, weightDecay: 5e-4, python, device: 'cpu', threads: THREADS } as const;
        if (!TORCH_ENGINE) continue;
        plain.push((await trainTorch(g, ds, { ...opts, augment: false })).history[1].imagesPerSecond);
        aug.push((await trainTorch(g, ds, { ...opts, augment: { flip: true, shift: 2 } })).history[1].imagesPerSecond);
      }
      let tfjs = NaN;
      if (TFJS_STEPS > 0) {
        const n = BATCH * (TFJS_STEPS + 1);
        const sub = memoryDataset(x.subarray(0, n * h * w * c), y.subarray(0, n), [h, w, c], 10, 'bench');
        const times: number[] = [];
        let last = performance.now();
        await train(g, sub, { epochs: 1, batchSize: BATCH, lr: 0.01, augment: false, workers: TFJS_WORKERS, onProgress: () => {
          const now = performance.now();
          times.push(now - last);
          last = now;
        } });
        tfjs = BATCH / (median(times.slice(1)) / 1000);
      }
      const R = median(ref);
      const fmt = (v: number) => (Number.isFinite(v) ? v.toFixed(0) : '—');
      if (!TORCH_ENGINE) {
        plain.push(NaN);
        aug.push(NaN);
      }
      const ratio = (v: number) => (Number.isFinite(v) ? `${(v / R).toFixed(2)}×` : '—');
      console.log(`| ${name} ${h}×${w}×${c} | ${(costReport(g).params / 1e6).toFixed(2)}M | ${fmt(R)} (${ref.map(fmt).join(', ')}) | ${fmt(median(plain))} (${plain.map(fmt).join(', ')}) | ${ratio(median(plain))} | ${fmt(median(aug))} | ${ratio(median(aug))} | ${fmt(tfjs)} | ${ratio(tfjs)} |`);
    }
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
  console.log(`\nload average at end ${load()}`);
}

await main();
