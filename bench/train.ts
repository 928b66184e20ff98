/**
 * `npm run bench:train`: images/s of a training step (the real loop of app/train: augmentation,
 * forward in training mode, backward, SGD update) on the demo SE-ResNet, SE-MobileNet and
 * SE-ShuffleNet at batch 32, per tfjs backend present. Random 28×28 inputs; the first step is a
 * warm-up and the median of the others is reported. Prints the machine and a Markdown table.
 *
 * Env: BENCH_BATCH (32), BENCH_STEPS (timed steps, 3), BENCH_MODELS (comma list of zoo specs),
 * (`torch:se_resnet18`, `torch:mobilenet_v3_small`: the real-size networks of tools/torchnets.py),
 * BENCH_TOP (kernels listed per profile, 10), BENCH_BACKENDS (comma list, default every backend name), BENCH_WORKERS (data-parallel worker
 * threads on the cpu backend, comma list, default `0,auto`: this thread alone, then one worker per
 * idle core as `seprune finetune` does), BENCH_PROFILE=1 adds the kernels that
 * dominate one forward+backward step (tf.profile, wall time) per model; BENCH_PROFILE=cpu
 * instead times each kernel call in CPU time of this process (the mean of 3 forward+backward
 * steps after 2 warm-ups), which a shared machine disturbs less. Besides wall time per step it
 * prints CPU time per step (this process, all threads) and the load average: on a shared
 * machine wall time includes waiting for a core.
 */
import os from 'node:os';
import { tf } from '../app/engine/tf.js';
import { BACKEND_NAMES, chooseBackend } from '../app/engine/backend.js';
import { forward } from '../app/engine/executor.js';
import { createParams } from '../app/engine/params.js';
import { buildZooModel } from '../app/model/zoo/index.js';
import { Rng } from '../app/model/random.js';
import { costReport } from '../app/model/accounting.js';
import { memoryDataset, train, crossEntropy, autoWorkers } from '../app/train/index.js';
import type { Graph } from '../app/model/ir.js';
import { loadModel } from '../app/import/load.js';
import { findTorchPython } from '../app/train/torch/index.js';
import { spawnSync } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';

const BATCH = Number(process.env.BENCH_BATCH ?? 32);
const STEPS = Number(process.env.BENCH_STEPS ?? 3);
const MODELS = (process.env.BENCH_MODELS ?? 'se-resnet-demo,se-mobilenet-demo,se-shufflenet-demo').split(',');
const BACKENDS = (process.env.BENCH_BACKENDS ?? BACKEND_NAMES.join(',')).split(',');
const PROFILE = process.env.BENCH_PROFILE === '1' || process.env.BENCH_PROFILE === 'cpu';
const CPU_PROFILE = process.env.BENCH_PROFILE === 'cpu';
const TOP = Number(process.env.BENCH_TOP ?? 10);
const WORKERS = [...new Set((process.env.BENCH_WORKERS ?? '0,auto').split(',').map((w) => (w === 'auto' ? autoWorkers() : Number(w))))];

const graphs = new Map<string, Graph>();

/**
 * The network named `spec`: a zoo spec, or `torch:<net>` for a real-size network built by
 * tools/torchnets.py and exported with torch.onnx.export (as bench/train-engines.ts does).
 */
async function network(spec: string): Promise<Graph> {
  const have = graphs.get(spec);
  if (have) return have;
  let g: Graph;
  if (spec.startsWith('torch:')) {
    const python = findTorchPython().found?.python;
    if (!python) throw new Error(`${spec} needs a Python with torch`);
    const dir = mkdtempSync(join(os.tmpdir(), 'seprune-bench-net-'));
    try {
      const onnx = join(dir, 'net.onnx');
      const root = fileURLToPath(new URL('..', import.meta.url));
      const r = spawnSync(python, ['-c', `import sys; sys.path.insert(0, 'tools'); import torchnets; torchnets.export_onnx(torchnets.build('${spec.slice(6)}'), '${onnx}')`], { cwd: root, encoding: 'utf8' });
      if (r.status !== 0) throw new Error(`torchnets failed: ${r.stderr}`);
      g = (await loadModel(onnx)).project.graph;
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  } else g = buildZooModel(spec);
  graphs.set(spec, g);
  return g;
}

function median(a: number[]): number {
  const s = a.slice().sort((x, y) => x - y);
  const m = s.length >> 1;
  return s.length % 2 ? s[m] : (s[m - 1] + s[m]) / 2;
}

/** Seconds of CPU (user + system, every thread of this process) since `from`. */
function cpuSeconds(from?: NodeJS.CpuUsage): number {
  const u = process.cpuUsage(from);
  return (u.user + u.system) / 1e6;
}

/** Wall and CPU seconds of each timed step (the warm-up step dropped). */
async function stepTimes(spec: string, workers: number): Promise<{ wall: number[]; cpu: number[]; threads: number }> {
  const g = await network(spec);
  const [h, w, c] = g.inputs[0].shape;
  const n = BATCH * (STEPS + 1);
  const rng = new Rng(1);
  const ds = memoryDataset(rng.normalArray(n * h * w * c, 1), Int32Array.from({ length: n }, (_, i) => i % 10), [h, w, c], 10, 'random');
  const wall: number[] = [];
  const cpu: number[] = [];
  let last = performance.now();
  let lastCpu = process.cpuUsage();
  const r = await train(g, ds, {
    epochs: 1,
    batchSize: BATCH,
    workers,
    onProgress: () => {
      const now = performance.now();
      wall.push((now - last) / 1000);
      cpu.push(cpuSeconds(lastCpu));
      last = now;
      lastCpu = process.cpuUsage();
    },
  });
  return { wall: wall.slice(1), cpu: cpu.slice(1), threads: r.threads };
}

/** CPU milliseconds per kernel name, filled while `timeKernels` has wrapped the backend's kernels. */
const cpuByKernel = new Map<string, number>();

/** Wraps every kernel of `backend` to add its CPU time to cpuByKernel (once per process). */
function timeKernels(backend: string): void {
  for (const k of tf.getKernelsForBackend(backend)) {
    const run = k.kernelFunc;
    tf.unregisterKernel(k.kernelName, backend);
    tf.registerKernel({
      ...k,
      kernelFunc: (args) => {
        const from = process.cpuUsage();
        const out = run(args);
        cpuByKernel.set(k.kernelName, (cpuByKernel.get(k.kernelName) ?? 0) + cpuSeconds(from) * 1000);
        return out;
      },
    });
  }
}

/** CPU time of a forward + backward step: kernels summed by name (largest first) and the step's total. */
async function profileStepCpu(spec: string): Promise<{ total: number; kernels: number; top: [string, number][] }> {
  const g = await network(spec);
  const [h, w, c] = g.inputs[0].shape;
  const p = createParams(g);
  const x = tf.randomNormal([BATCH, h, w, c]) as tf.Tensor4D;
  const y = tf.tensor1d(Array.from({ length: BATCH }, (_, i) => i % 10), 'int32');
  const step = () => {
    const { value, grads } = tf.variableGrads(() => crossEntropy(forward(g, x, { training: true }, p).outputs[0] as tf.Tensor2D, y), p.variables());
    tf.dispose([value, ...Object.values(grads)]);
  };
  step();
  step();
  cpuByKernel.clear();
  const R = 3;
  const from = process.cpuUsage();
  for (let r = 0; r < R; r++) step();
  const total = (cpuSeconds(from) * 1000) / R;
  tf.dispose([x, y]);
  p.dispose();
  const rows = [...cpuByKernel.entries()].map(([k, ms]): [string, number] => [k, ms / R]).sort((a, b) => b[1] - a[1]);
  return { total, kernels: rows.reduce((a, r) => a + r[1], 0), top: rows.slice(0, TOP) };
}

/** Kernel time of one forward + backward step, summed by kernel name, largest first. */
async function profileStep(spec: string): Promise<{ total: number; top: [string, number][] }> {
  const g = await network(spec);
  const [h, w, c] = g.inputs[0].shape;
  const p = createParams(g);
  const x = tf.randomNormal([BATCH, h, w, c]) as tf.Tensor4D;
  const y = tf.tensor1d(Array.from({ length: BATCH }, (_, i) => i % 10), 'int32');
  const info = await tf.profile(() => {
    const { value, grads } = tf.variableGrads(() => crossEntropy(forward(g, x, { training: true }, p).outputs[0] as tf.Tensor2D, y), p.variables());
    tf.dispose(Object.values(grads));
    return value;
  });
  tf.dispose([x, y, info.result as tf.Tensor]);
  p.dispose();
  const by = new Map<string, number>();
  for (const k of info.kernels) {
    const ms = typeof k.kernelTimeMs === 'number' ? k.kernelTimeMs : 0;
    by.set(k.name, (by.get(k.name) ?? 0) + ms);
  }
  const total = [...by.values()].reduce((a, b) => a + b, 0);
  return { total, top: [...by.entries()].sort((a, b) => b[1] - a[1]).slice(0, 8) };
}

console.log(`machine: ${os.cpus()[0]?.model ?? 'cpu'} × ${os.availableParallelism()}, ${Math.round(os.totalmem() / 2 ** 30)} GiB, Node ${process.version}, tfjs ${tf.version_core}, ${new Date().toISOString().slice(0, 10)}`);
console.log(`training step (augment + forward + backward + SGD update), batch ${BATCH}, random inputs, median of ${STEPS} steps after one warm-up\n`);
// CPU time is reported beside wall time because the machines this runs on are often shared:
// wall time then includes waiting for a core; CPU time does not (but counts every thread).
console.log(`load average before: ${os.loadavg().map((l) => l.toFixed(2)).join(' ')}`);
console.log('| backend | threads | model | params | MACs/image | ms/step | images/s | CPU ms/step | images per CPU-s |');
console.log('|---|---|---|---|---|---|---|---|---|');
const profiles: string[] = [];
for (const name of BACKENDS) {
  const chosen = await chooseBackend(name);
  if (chosen.name !== name) {
    console.log(`| ${name} | | (not present: ${chosen.tried.find((t) => t.name === name)?.reason ?? 'unavailable'}) | | | | | | |`);
    continue;
  }
  // CPU profiling wraps the kernels for the whole run, so every step pays its small overhead.
  if (CPU_PROFILE) timeKernels(name);
  for (const spec of MODELS) {
    const cost = costReport(await network(spec));
    // Worker threads only split the work of the cpu backend (the trainer ignores them elsewhere).
    for (const workers of name === 'cpu' ? WORKERS : [0]) {
      const times = await stepTimes(spec, workers);
      const t = median(times.wall);
      const c = median(times.cpu);
      console.log(
        `| ${name} | ${times.threads} | ${spec} | ${cost.params.toLocaleString('en')} | ${(cost.macs / 1e6).toFixed(2)}M | ${(t * 1000).toFixed(0)} | ${(BATCH / t).toFixed(1)} | ${(c * 1000).toFixed(0)} | ${(BATCH / c).toFixed(1)} |`,
      );
    }
    if (CPU_PROFILE) {
      const pr = await profileStepCpu(spec);
      profiles.push(
        `${name} ${spec}: ${pr.total.toFixed(0)} ms CPU per forward+backward, ${pr.kernels.toFixed(0)} ms of it in kernels\n` +
          pr.top.map(([k, ms]) => `  ${k.padEnd(36)} ${ms.toFixed(1).padStart(7)} ms  ${((100 * ms) / pr.total).toFixed(1).padStart(5)}%`).join('\n'),
      );
    } else if (PROFILE) {
      const pr = await profileStep(spec);
      profiles.push(
        `${name} ${spec}: ${pr.total.toFixed(0)} ms of kernels per forward+backward\n` +
          pr.top.map(([k, ms]) => `  ${k.padEnd(28)} ${ms.toFixed(0).padStart(7)} ms  ${((100 * ms) / pr.total).toFixed(1).padStart(5)}%`).join('\n'),
      );
    }
  }
}
console.log(`load average after: ${os.loadavg().map((l) => l.toFixed(2)).join(' ')}`);
if (profiles.length) console.log(`\nkernels (${CPU_PROFILE ? 'CPU time' : 'tf.profile'}):\n${profiles.join('\n')}`);
