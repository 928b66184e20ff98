/**
 * The training loop on a tiny SE-ResNet (width 0.25, 8×8 inputs, 4 classes) over synthetic data:
 * it overfits a fixed batch, leaks no tensors across epochs, cancels mid-epoch leaving the last
 * checkpoint loadable and the input file byte-identical, resumes to the very same weights as an
 * uninterrupted run, distils from a teacher, and re-estimates BN statistics as batch averages.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtempSync, readFileSync, rmSync, existsSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { buildZooModel } from '../model/zoo/index.js';
import { loadModel } from '../import/load.js';
import { saveProject } from '../model/project-file.js';
import { tf } from '../engine/tf.js';
import { forward } from '../engine/executor.js';
import { memoryDataset } from './memory-dataset.js';
import { QUAD_H, QUAD_W, quadrantImages, weightsOf } from './test-support.js';
import { train, TrainingCancelled } from './trainer.js';
import { CheckpointExistsError } from '../model/errors.js';
import { reestimateBn } from './bn.js';
import { CHECKPOINT_JSON } from './checkpoint.js';

const SPEC = 'se-resnet-demo?width=0.25&input=8x8x1&classes=4';
const [H, W] = [QUAD_H, QUAD_W];

/** Class k lights up quadrant k (plus noise), so a small net can learn it. */
function synthetic(n: number, seed: number) {
  const { x, y } = quadrantImages(n, seed);
  return memoryDataset(x, y, [H, W, 1], 4, 'synthetic');
}


const tmp = mkdtempSync(join(tmpdir(), 'seprune-train-'));
test.after(() => rmSync(tmp, { recursive: true, force: true }));

test('overfits a fixed batch: the loss falls by more than half in 12 steps', async () => {
  const g = buildZooModel(SPEC);
  const ds = synthetic(8, 1);
  const r = await train(g, ds, { epochs: 12, batchSize: 8, optimizer: 'adamw', lr: 0.01, weightDecay: 0, augment: false, schedule: 'constant' });
  const first = r.history[0].loss;
  const last = r.history[r.history.length - 1].loss;
  assert.ok(Number.isFinite(first) && first > 0.5, `initial loss ${first} is that of an untrained 4-class model`);
  assert.ok(last < first * 0.5, `loss ${first} → ${last}`);
  assert.equal(r.epochs, 12);
  assert.equal(r.backend, tf.getBackend());
  assert.ok(r.imagesPerSecond > 0);
  assert.notDeepEqual(weightsOf(r.graph), weightsOf(g), 'weights changed');
  assert.deepEqual(weightsOf(g), weightsOf(buildZooModel(SPEC)), 'the input graph is untouched');
});

test('no tensor leak: tf.memory().numTensors is the same after every epoch and after the run', async () => {
  const g = buildZooModel(SPEC);
  const ds = synthetic(12, 2);
  const teacher = buildZooModel(`${SPEC}&seed=3`);
  const before = tf.memory().numTensors;
  const counts: number[] = [];
  const r = await train(g, ds, { epochs: 3, batchSize: 6, teacher, alpha: 0.5, labelSmoothing: 0.1, onEpoch: () => counts.push(tf.memory().numTensors) });
  assert.equal(counts.length, 3);
  assert.ok(counts.every((c) => c === counts[0]), `tensors after each epoch: ${counts.join(', ')}`);
  assert.equal(tf.memory().numTensors, before, 'everything is released after the run');
  assert.ok(r.history.every((h) => Number.isFinite(h.loss)), 'distillation gives finite losses');
});

test('without augmentation the teacher runs once per image and the cached logits train the same weights', async () => {
  const g = buildZooModel(SPEC);
  const ds = synthetic(24, 5);
  const teacher = buildZooModel(`${SPEC}&seed=3`);
  const opts = { epochs: 3, batchSize: 8, teacher, alpha: 0.7, augment: false as const };
  const cached = await train(g, ds, opts);
  const fresh = await train(g, ds, { ...opts, cacheTeacher: false });
  assert.equal(cached.teacherImages, 24, 'one teacher pass per image');
  assert.equal(fresh.teacherImages, 72, 'one per image and epoch without the cache');
  const a = weightsOf(cached.graph);
  const b = weightsOf(fresh.graph);
  let d = 0;
  a.forEach((v, k) => v.forEach((x, i) => (d = Math.max(d, Math.abs(x - b[k][i])))));
  assert.ok(d <= 1e-5, `weights differ by ${d}`);
  // With augmentation every step needs a fresh teacher pass.
  const aug = await train(g, ds, { ...opts, augment: { flip: true, shift: 1 } });
  assert.equal(aug.teacherImages, 72);
});

test('cancel mid-epoch keeps the last checkpoint and the input file; resume matches an uninterrupted run exactly', async () => {
  const input = join(tmp, 'input.seprune');
  saveProject(input, { graph: buildZooModel(SPEC), history: [] });
  const inputBytes = readFileSync(input);
  const g = (await loadModel(input)).project.graph;
  const ds = synthetic(24, 3);
  const base = { epochs: 3, batchSize: 8, lr: 0.05, seed: 7, warmup: 0.5 };

  const dir = join(tmp, 'ckpt');
  const ac = new AbortController();
  const seen: string[] = [];
  await assert.rejects(
    train(g, ds, {
      ...base,
      checkpointDir: dir,
      signal: ac.signal,
      onProgress: (ev) => {
        seen.push(`${ev.epoch}.${ev.step}`);
        if (ev.epoch === 2 && ev.step === 2) ac.abort();
      },
    }),
    (e: unknown) => e instanceof TrainingCancelled && /epoch 2/.test(e.message) && /epoch 1/.test(e.message),
  );
  assert.deepEqual(seen, ['1.1', '1.2', '1.3', '2.1', '2.2']);
  assert.deepEqual(readFileSync(input), inputBytes, 'the input model is byte-identical');
  const meta = JSON.parse(readFileSync(join(dir, CHECKPOINT_JSON), 'utf8')) as { epoch: number; model: string };
  assert.equal(meta.epoch, 1, 'the checkpoint is that of epoch 1');
  const ck = await loadModel(join(dir, meta.model));
  assert.equal(ck.project.graph.nodes.length, g.nodes.length, 'the checkpoint loads as a model');
  assert.ok(!existsSync(join(dir, 'epoch-2.seprune')), 'no partial epoch-2 checkpoint');

  await assert.rejects(train(g, ds, { ...base, checkpointDir: dir }), (e) => e instanceof CheckpointExistsError && e.dir === dir, 'an existing checkpoint is not overwritten without resume');
  await assert.rejects(train(g, ds, { ...base, seed: 8, checkpointDir: dir, resume: true }), /seed/, 'resume with other settings is refused');

  const resumed = await train(g, ds, { ...base, checkpointDir: dir, resume: true });
  assert.equal(resumed.resumedFrom, 1);
  assert.equal(resumed.epochs, 3);
  assert.deepEqual(resumed.history.map((h) => h.epoch), [1, 2, 3]);

  const straight = await train(g, ds, { ...base, checkpointDir: join(tmp, 'ckpt2') });
  const a = weightsOf(resumed.graph);
  const b = weightsOf(straight.graph);
  assert.equal(a.length, b.length);
  a.forEach((w, i) => assert.deepEqual(w, b[i], `weight array ${i} is bit-identical`));
  assert.deepEqual(resumed.history.map((h) => h.loss), straight.history.map((h) => h.loss));
  assert.notDeepEqual(a, weightsOf(g), 'training changed the weights');
  assert.deepEqual(readFileSync(input), inputBytes);
});

test('an abort from a timer (as a SIGINT handler would send) stops a long run between steps', async () => {
  const g = buildZooModel(SPEC);
  const ds = synthetic(16, 5);
  const ac = new AbortController();
  let steps = 0;
  const timer = setTimeout(() => ac.abort(), 200);
  const t0 = performance.now();
  await assert.rejects(
    train(g, ds, { epochs: 100, batchSize: 8, signal: ac.signal, onProgress: () => steps++ }),
    (e: unknown) => e instanceof TrainingCancelled && /epoch \d+\.$/.test(e.message),
  );
  clearTimeout(timer);
  assert.ok(steps >= 1 && steps < 200, `stopped after ${steps} steps`);
  assert.ok(performance.now() - t0 < 20_000, 'stopped promptly');
});

test('reestimateBn sets moving statistics to the average of batch statistics', async () => {
  const g = buildZooModel(SPEC);
  const ds = synthetic(15, 4);
  const bn = g.nodes.find((n) => n.kind === 'batchnorm');
  assert.ok(bn && bn.kind === 'batchnorm');
  const out = await reestimateBn(g, ds, Array.from({ length: 15 }, (_, i) => i), { batchSize: 5 });
  // Reference: the BN input per batch (the stem conv does not depend on BN), per-channel mean and unbiased variance, averaged.
  const C = bn.weights.mean.length;
  const mean = new Float64Array(C);
  const variance = new Float64Array(C);
  let batches = 0;
  for await (const b of ds.batches(Array.from({ length: 15 }, (_, i) => i), 5)) {
    const x = tf.tensor4d(b.x, [b.y.length, H, W, 1]);
    const r = forward(g, x, { capture: [bn.inputs[0]] });
    const t = r.captured.get(bn.inputs[0])!;
    const v = t.dataSync();
    const cnt = v.length / C;
    const m = new Float64Array(C);
    for (let i = 0; i < v.length; i++) m[i % C] += v[i] / cnt;
    const s = new Float64Array(C);
    for (let i = 0; i < v.length; i++) s[i % C] += (v[i] - m[i % C]) ** 2 / (cnt - 1);
    for (let c = 0; c < C; c++) {
      mean[c] += m[c];
      variance[c] += s[c];
    }
    batches++;
    tf.dispose([x, ...r.outputs, ...r.captured.values()]);
  }
  const got = out.nodes.find((n) => n.name === bn.name) as typeof bn;
  for (let c = 0; c < C; c++) {
    assert.ok(Math.abs(got.weights.mean[c] - mean[c] / batches) < 1e-4, `mean ${c}: ${got.weights.mean[c]} vs ${mean[c] / batches}`);
    assert.ok(Math.abs(got.weights.variance[c] - variance[c] / batches) < 1e-4 * Math.max(1, variance[c] / batches), `variance ${c}`);
  }
  assert.equal(got.attrs.momentum, bn.attrs.momentum, 'the momentum attribute is kept');
  assert.notDeepEqual(got.weights.mean, bn.weights.mean);
});
