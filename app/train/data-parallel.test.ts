/**
 * Data-parallel training (data-parallel.ts) on the tiny SE-ResNet of trainer.test.ts: a worker
 * thread computes exactly the gradients and batch-norm statistics this thread computes for the
 * same shard, the step combines the shards as the batch-mean gradient, and a run with a worker
 * learns, leaks no tensors, caches the teacher and resumes to the same weights as an
 * uninterrupted run with the same number of threads.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { buildZooModel } from '../model/zoo/index.js';
import { tf } from '../engine/tf.js';
import { createParams } from '../engine/params.js';
import { memoryDataset } from './memory-dataset.js';
import { QUAD_H, QUAD_W, quadrantImages, weightsOf } from './test-support.js';
import { ShardPool, shardSizes } from './data-parallel.js';
import { shardGradients } from './shard-step.js';
import { combineShards, snapshot } from './shard-combine.js';
import { train, TrainingCancelled } from './trainer.js';

const SPEC = 'se-resnet-demo?width=0.25&input=8x8x1&classes=4';
const [H, W] = [QUAD_H, QUAD_W];
const LOSS = { labelSmoothing: 0.1, temperature: 2, alpha: 0 };

function maxAbsDiff(a: ArrayLike<number>, b: ArrayLike<number>): number {
  assert.equal(a.length, b.length);
  let m = 0;
  for (let i = 0; i < a.length; i++) m = Math.max(m, Math.abs(a[i] - b[i]));
  return m;
}


const tmp = mkdtempSync(join(tmpdir(), 'seprune-dp-'));
test.after(() => rmSync(tmp, { recursive: true, force: true }));

test('shards are as even as possible and cover the batch; a batch of 31 stays on one thread', async () => {
  assert.deepEqual(shardSizes(32, 2), [16, 16]);
  assert.deepEqual(shardSizes(10, 3), [4, 3, 3]);
  assert.deepEqual(shardSizes(5, 4), [2, 1, 1, 1]);
  // Shards keep at least MIN_SHARD (16) images: with a worker, a batch of 31 trains exactly as on one thread.
  const g = buildZooModel(SPEC);
  const { x, y } = quadrantImages(31, 2);
  const ds = memoryDataset(x, y, [H, W, 1], 4, 'synthetic');
  const opts = { epochs: 1, batchSize: 31, optimizer: 'sgd' as const, lr: 0.05, augment: false as const };
  const a = weightsOf((await train(g, ds, { ...opts, workers: 1 })).graph);
  const b = weightsOf((await train(g, ds, opts)).graph);
  assert.ok(Math.max(...a.map((w, i) => maxAbsDiff(w, b[i]))) === 0);
});

test('a worker computes the same shard gradients and BN statistics as this thread, and the step is their size-weighted mean', async () => {
  const g = buildZooModel(SPEC);
  const { x, y } = quadrantImages(10, 3);
  const [n0, n1] = [6, 4];
  const hw = H * W;
  const pool = await ShardPool.start(1, { graph: g, shape: [H, W, 1], classes: 4, loss: LOSS });
  const mine = createParams(g);
  const reference = createParams(g);
  const tensors: tf.Tensor[] = [];
  try {
    const weights = snapshot(mine);
    const fromWorker = await pool.run(0, { weights, x: x.slice(n0 * hw), y: y.slice(n0) });
    // The same shard on this thread, from the same weights.
    const xB = tf.tensor4d(x.slice(n0 * hw), [n1, H, W, 1]);
    const yB = tf.tensor1d(y.slice(n0), 'int32');
    const xA = tf.tensor4d(x.slice(0, n0 * hw), [n0, H, W, 1]);
    const yA = tf.tensor1d(y.slice(0, n0), 'int32');
    tensors.push(xA, yA, xB, yB);
    const refB = await shardGradients(g, reference, xB, yB, 4, LOSS);
    assert.ok(refB.grads.size > 20, `${refB.grads.size} gradients`);
    for (const [k, gr] of refB.grads) {
      assert.ok(fromWorker.grads[k], `worker sent no gradient for ${k}`);
      assert.ok(maxAbsDiff(fromWorker.grads[k], gr.dataSync()) <= 1e-6, `gradient ${k}`);
    }
    assert.ok(Math.abs(fromWorker.loss - refB.loss) <= 1e-6, `loss ${fromWorker.loss} vs ${refB.loss}`);
    assert.equal(fromWorker.correct, refB.correct);
    for (const [k, v] of reference.stats) assert.ok(maxAbsDiff(fromWorker.stats[k], v.dataSync()) <= 1e-6, `statistic ${k}`);

    const ownA = await shardGradients(g, mine, xA, yA, 4, LOSS);
    const gA = new Map([...ownA.grads].map(([k, t]) => [k, t.dataSync().slice()]));
    const statsA = new Map([...mine.stats].map(([k, v]) => [k, v.dataSync().slice()]));
    const merged = combineShards(ownA, n0, [fromWorker], [n1], mine);
    for (const [k, t] of merged.grads) {
      const expected = gA.get(k)!.map((a, i) => (n0 * a + n1 * fromWorker.grads[k][i]) / (n0 + n1));
      assert.ok(maxAbsDiff(t.dataSync(), expected) <= 1e-6, `merged gradient ${k}`);
    }
    for (const [k, v] of mine.stats) {
      const expected = statsA.get(k)!.map((a, i) => (n0 * a + n1 * fromWorker.stats[k][i]) / (n0 + n1));
      assert.ok(maxAbsDiff(v.dataSync(), expected) <= 1e-6, `merged statistic ${k}`);
    }
    assert.ok(Math.abs(merged.loss - (n0 * ownA.loss + n1 * refB.loss) / 10) <= 1e-6);
    tf.dispose([...merged.grads.values(), ...refB.grads.values()]);
  } finally {
    tf.dispose(tensors);
    mine.dispose();
    reference.dispose();
    await pool.close();
  }
});

test('training with a worker thread learns, leaks no tensors, and distils with a teacher run once per image', async () => {
  const g = buildZooModel(SPEC);
  const teacher = buildZooModel(`${SPEC}&seed=7`);
  const { x, y } = quadrantImages(64, 5);
  const ds = memoryDataset(x, y, [H, W, 1], 4, 'synthetic');
  const before = tf.memory().numTensors;
  const counts: number[] = [];
  const r = await train(g, ds, {
    epochs: 6,
    batchSize: 32,
    optimizer: 'adamw',
    lr: 0.01,
    augment: false,
    teacher,
    alpha: 0.5,
    workers: 1,
    onEpoch: () => counts.push(tf.memory().numTensors),
  });
  assert.equal(r.threads, 2);
  assert.equal(r.teacherImages, 64, 'each image goes through the teacher once, on whichever thread has its shard');
  assert.ok(r.history[5].loss < r.history[0].loss * 0.7, `loss ${r.history[0].loss} → ${r.history[5].loss}`);
  assert.ok(counts.every((c) => c === counts[0]), `tensors after each epoch: ${counts.join(', ')}`);
  assert.equal(tf.memory().numTensors, before);
});

test('a data-parallel run cancelled mid-epoch resumes to the same weights as an uninterrupted one', async () => {
  const g = buildZooModel(SPEC);
  const { x, y } = quadrantImages(96, 9);
  const ds = memoryDataset(x, y, [H, W, 1], 4, 'synthetic');
  const opts = { epochs: 3, batchSize: 32, optimizer: 'sgd' as const, lr: 0.05, workers: 1, seed: 4 };
  const whole = await train(g, ds, opts);
  const dir = join(tmp, 'ckpt');
  const ac = new AbortController();
  let steps = 0;
  await assert.rejects(
    train(g, ds, {
      ...opts,
      checkpointDir: dir,
      signal: ac.signal,
      onProgress: () => {
        if (++steps === 5) ac.abort();
      },
    }),
    TrainingCancelled,
  );
  const resumed = await train(g, ds, { ...opts, checkpointDir: dir, resume: true });
  assert.equal(resumed.resumedFrom, 1);
  const a = weightsOf(whole.graph);
  const b = weightsOf(resumed.graph);
  const worst = Math.max(...a.map((w, i) => maxAbsDiff(w, b[i])));
  assert.ok(worst <= 1e-6, `resumed weights differ by ${worst}`);
  const single = weightsOf((await train(g, ds, { ...opts, workers: 0 })).graph);
  const fromSingle = Math.max(...a.map((w, i) => maxAbsDiff(w, single[i])));
  assert.ok(fromSingle > 1e-4, 'shards normalise with their own batch statistics, so one thread trains (slightly) differently');
});
