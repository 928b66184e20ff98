// The torch engine trains as the tfjs trainer does: one step from the same weights and batch gives
// the same loss and weights (SGD and AdamW, with and without distillation); a run cancelled after
// an epoch and resumed equals one that never stopped; the job folder runs with a bare python3 and
// no Node on PATH; 2 DDP processes (gloo, CPU) equal 1 process on the same global batch.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { existsSync, mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { buildZooModel } from '../../model/zoo/index.js';
import type { Graph } from '../../model/ir.js';
import { foldBatchNorms } from '../../../export/fold-bn.js';
import { memoryDataset } from '../memory-dataset.js';
import { quadrantImages, weightsOf, QUAD_H, QUAD_W } from '../test-support.js';
import { train, TrainingCancelled, type TrainOptions } from '../trainer.js';
import { loadCheckpoint } from '../checkpoint.js';
import { TrainingDivergedError } from '../../model/errors.js';
import { cliMessage } from '../../cli/error-words.js';
import { trainTorch, writeJob, jobResult, RESULT_FILE, PROGRESS_FILE } from './index.js';
import { TORCHRUN_FLAGS } from './engine.js';
import { torchPython, noTorch, maxAbsDiff, maxAbs } from './test-support.js';

const dir = mkdtempSync(join(tmpdir(), 'seprune-torch-train-'));
test.after(() => rmSync(dir, { recursive: true, force: true }));

const model = (seed: number) => buildZooModel(`se-resnet-demo?input=${QUAD_H}x${QUAD_W}x1&classes=4&width=0.5&seed=${seed}`);
const data = (n: number) => {
  const { x, y } = quadrantImages(n, 5);
  return memoryDataset(x, y, [QUAD_H, QUAD_W, 1], 4);
};

/** Runs job folders in one Python process (no torchrun unless `nproc`); returns its events per folder. */
function runFolders(dirs: string[], o: { nproc?: number; env?: NodeJS.ProcessEnv } = {}) {
  const script = join(dirs[0], 'run.py');
  const args = o.nproc ? ['-m', 'torch.distributed.run', ...TORCHRUN_FLAGS, `--nproc_per_node=${o.nproc}`, script, ...dirs] : [script, ...dirs];
  const r = spawnSync(o.env ? pythonExe() : torchPython!, args, { encoding: 'utf8', env: o.env ?? process.env, timeout: 120_000 });
  assert.equal(r.status, 0, `${r.stdout}\n${r.stderr}`);
  return dirs.map((d) => {
    const events = readFileSync(join(d, PROGRESS_FILE), 'utf8').trim().split('\n').map((l) => JSON.parse(l) as { event: string; [k: string]: unknown });
    const done = events.find((e) => e.event === 'done')!;
    const started = events.find((e) => e.event === 'started')!;
    return jobResult(d, done, started, torchPython!);
  });
}

/** The absolute path of the torch Python (so it can run with an empty PATH). */
function pythonExe(): string {
  return spawnSync(torchPython!, ['-c', 'import sys; print(sys.executable)'], { encoding: 'utf8' }).stdout.trim();
}

function assertSameWeights(a: Graph, b: Graph, rel: number, what: string): void {
  const wa = weightsOf(a);
  const wb = weightsOf(b);
  assert.equal(wa.length, wb.length);
  wa.forEach((w, i) => {
    const d = maxAbsDiff(w, wb[i]);
    assert.ok(d <= rel * Math.max(1, maxAbs(w)), `${what}: weight array ${i} differs by ${d}`);
  });
}

test('torch engine: one step equals the tfjs trainer (SGD, AdamW, with and without distillation)', { skip: noTorch }, async () => {
  const g = model(1);
  const teacher = model(2);
  const ds = data(32);
  const cases: { name: string; o: TrainOptions }[] = [
    { name: 'sgd', o: { epochs: 1, batchSize: 32, optimizer: 'sgd', lr: 0.1, augment: false, labelSmoothing: 0.1 } },
    { name: 'sgd-nesterov-kd', o: { epochs: 1, batchSize: 32, optimizer: 'sgd', nesterov: true, lr: 0.1, augment: false, teacher, temperature: 2, alpha: 0.7 } },
    { name: 'adamw', o: { epochs: 1, batchSize: 32, optimizer: 'adamw', lr: 0.01, augment: false } },
    { name: 'adamw-kd', o: { epochs: 1, batchSize: 32, optimizer: 'adamw', lr: 0.01, augment: false, teacher } },
  ];
  const dirs: string[] = [];
  for (const c of cases) {
    const d = join(dir, c.name);
    await writeJob(g, ds, c.o, d, { device: 'cpu', threads: 1 });
    dirs.push(d);
  }
  const torchResults = runFolders(dirs);
  for (const [i, c] of cases.entries()) {
    const ref = await train(g, ds, c.o);
    const got = torchResults[i];
    const lr = ref.history[0].loss;
    assert.ok(Math.abs(got.history[0].loss - lr) <= 1e-4 * Math.abs(lr), `${c.name}: loss ${got.history[0].loss} vs ${lr}`);
    assertSameWeights(ref.graph, got.graph, 1e-4, c.name);
    // The step moved the weights well beyond that tolerance, so the comparison means something.
    const moved = Math.max(...weightsOf(g).map((w, k) => maxAbsDiff(w, weightsOf(ref.graph)[k])));
    assert.ok(moved > 1e-3, `${c.name}: the step changed the weights by only ${moved}`);
  }
});

test('torch engine: cancel after an epoch + resume equals an uninterrupted run; the job folder runs with a bare python3', { skip: noTorch }, async () => {
  const g = model(3);
  const ds = data(128);
  const o: TrainOptions = { epochs: 3, batchSize: 16, lr: 0.2, augment: { flip: true, shift: 1 }, seed: 4 };
  // Uninterrupted: as a job folder run by the Python alone, with no Node (nor anything else) on PATH.
  const whole = join(dir, 'whole');
  await writeJob(g, ds, { ...o, checkpointDir: join(whole, 'checkpoints') }, whole, { device: 'cpu', threads: 1 });
  const [a] = runFolders([whole], { env: { PATH: '/nonexistent' } });
  assert.ok(existsSync(join(whole, RESULT_FILE)));
  assert.equal(a.history.length, 3);
  assert.ok(a.history[2].loss < a.history[0].loss * 0.8, `the run learns: ${a.history.map((h) => h.loss.toFixed(3)).join(' → ')}`);
  // Its checkpoint is the trainer's own format: the TypeScript side reads it.
  const ck = loadCheckpoint(join(whole, 'checkpoints'));
  assert.equal(ck.meta.epoch, 3);
  assert.equal(ck.state.slots.size, weightsOf(g).length - 2 * g.nodes.filter((n) => n.kind === 'batchnorm').length);

  const ckpt = join(dir, 'cut');
  const ac = new AbortController();
  await assert.rejects(
    trainTorch(g, ds, { ...o, checkpointDir: ckpt, signal: ac.signal, device: 'cpu', threads: 1, onEpoch: (s) => s.epoch === 1 && ac.abort() }),
    (e: unknown) => e instanceof TrainingCancelled && e.lastCheckpoint !== undefined && e.lastCheckpoint >= 1 && e.lastCheckpoint < 3,
  );
  const b = await trainTorch(g, ds, { ...o, checkpointDir: ckpt, resume: true, device: 'cpu', threads: 1 });
  assert.ok(b.resumedFrom !== undefined && b.resumedFrom >= 1);
  assert.equal(b.history.length, 3);
  assertSameWeights(a.graph, b.graph, 1e-6, 'resumed vs uninterrupted');
});

test('torch engine: 2 DDP processes (gloo) equal 1 process on the same global batch', { skip: noTorch }, async () => {
  // Without batch norm (as torch.onnx.export writes models) each rank's shard gradient averages to
  // the global batch's exactly; with BN each rank would normalise by its own shard (as DDP does).
  const g = foldBatchNorms(model(6)).graph;
  const ds = data(64);
  const o: TrainOptions = { epochs: 1, batchSize: 32, optimizer: 'sgd', lr: 0.05, augment: false };
  const one = join(dir, 'ddp1');
  const two = join(dir, 'ddp2');
  await writeJob(g, ds, o, one, { device: 'cpu', threads: 1 });
  await writeJob(g, ds, o, two, { device: 'cpu', threads: 1 });
  const [r1] = runFolders([one]);
  const [r2] = runFolders([two], { nproc: 2 });
  assert.equal(r2.worldSize, 2);
  assert.ok(Math.abs(r1.history[0].loss - r2.history[0].loss) <= 1e-5 * Math.abs(r1.history[0].loss));
  assertSameWeights(r1.graph, r2.graph, 1e-5, 'DDP vs one process');
  const moved = Math.max(...weightsOf(g).map((w, k) => maxAbsDiff(w, weightsOf(r1.graph)[k])));
  assert.ok(moved > 1e-3, `the steps changed the weights by only ${moved}`);
});

test('torch engine: a diverging run stops with one sentence naming a lower learning rate', { skip: noTorch }, async () => {
  const ds = data(64);
  await assert.rejects(
    trainTorch(model(7), ds, { epochs: 2, batchSize: 16, lr: 1e5, momentum: 0.9, augment: false, device: 'cpu', threads: 1 }),
    (e: unknown) => e instanceof TrainingDivergedError && e.suggestedLr === '20000' && /^Training diverged \(the loss became (nan|inf)\) at epoch \d step \d+ with learning rate [\d.e+]+; try a lower one, e\.g\. --lr 20000\.$/.test(cliMessage(e)),
  );
});
