/**
 * The fine-tuning loop on the IR executor: shuffled (seeded) mini-batches with augmentation,
 * cross-entropy with label smoothing or distillation from a teacher graph, SGD/AdamW under a
 * warm-up + cosine or one-cycle schedule, a checkpoint after every epoch, resume, and cancel
 * through an AbortSignal. The graph passed in is never modified; the trained one is returned.
 *
 * Determinism: each epoch's order and augmentation come from `seed` and the epoch number only,
 * and the checkpoint holds the exact float32 weights, BN statistics and optimiser slots, so a run
 * resumed from epoch k follows the same steps as one that never stopped.
 */
import type { Graph } from '../model/ir.js';
import type { Dataset } from '../data/types.js';
import { CheckpointExistsError, TrainingCancelled, TrainingDivergedError, UserError } from '../model/errors.js';
import { tf, gradientsAvailable, gradientsProblem } from '../engine/tf.js';
import { createParams, writeBack, type ParamStore } from '../engine/params.js';
import { createOptimizer } from './optimizers.js';
import { learningRate } from './schedule.js';
import { planTraining, epochOrder, epochRng, suggestLr } from './plan.js';
import { augmentBatch } from './augment.js';
import { shardGradients, teacherLogits, type ShardGradients, type ShardLoss } from './shard-step.js';
import { ShardPool, shardSizes } from './data-parallel.js';
import { combineShards, snapshot } from './shard-combine.js';
import { checkpointExists, loadCheckpoint, saveCheckpoint, type EpochSummary, type RunConfig } from './checkpoint.js';

export type { EpochSummary } from './checkpoint.js';
export { DEFAULT_LR, DEFAULT_WEIGHT_DECAY } from './plan.js';
export type { TrainOptions, TrainProgress, TrainResult } from './options.js';
import type { TrainOptions, TrainResult } from './options.js';

/**
 * Fewest images a data-parallel shard holds: batch norm normalises each shard by its own
 * statistics, so smaller shards would train differently (and the per-step exchange would cost
 * more than the shard's work). Batch 32 thus trains on at most 2 threads, whatever the machine.
 */
export const MIN_SHARD = 16;

export { TrainingCancelled } from '../model/errors.js';

/** A structural fingerprint: node names, kinds, wiring and attributes (not weights). */
function structure(g: Graph): string {
  return JSON.stringify(g.nodes.map((n) => [n.name, n.kind, n.inputs, n.attrs]));
}

export async function train(g: Graph, ds: Dataset, o: TrainOptions): Promise<TrainResult> {
  if (!gradientsAvailable()) throw new Error(`training needs tfjs gradients: ${gradientsProblem()}`);
  const p = await planTraining(g, ds, o);
  const { optimizer, batchSize, lr, weightDecay, seed, augment, temperature, alpha, stepsPerEpoch, totalSteps, schedule, config } = p;
  const ls = p.labelSmoothing;
  const [h, w, c] = g.inputs[0].shape;
  const dir = o.checkpointDir;

  let start = g;
  let startEpoch = 0;
  let history: EpochSummary[] = [];
  let resumed: ReturnType<typeof loadCheckpoint> | undefined;
  if (dir && checkpointExists(dir)) {
    if (!o.resume) throw new CheckpointExistsError(dir);
    resumed = loadCheckpoint(dir);
    const mc = resumed.meta.config;
    if (structure(resumed.graph) !== structure(g)) throw new UserError(`The checkpoint in ${dir} is of a different model than the one given.`);
    for (const k of Object.keys(config) as (keyof RunConfig)[]) {
      if (mc[k] !== config[k]) throw new UserError(`The checkpoint in ${dir} was made with ${k} ${mc[k]}, this run has ${config[k]}; resume with the same settings.`);
    }
    start = resumed.graph;
    startEpoch = resumed.meta.epoch;
    history = resumed.meta.history.slice();
  }

  const params = createParams(start);
  let teacherParams: ParamStore | undefined;
  let pool: ShardPool | undefined;
  const opt = createOptimizer(g, params, { kind: optimizer, weightDecay, momentum: o.momentum, nesterov: o.nesterov });
  try {
    if (resumed) opt.loadState(resumed.state);
    if (o.teacher) teacherParams = createParams(o.teacher);
    // Without augmentation an image's teacher logits never change: compute them once, on the
    // image's first visit, and reuse them every later epoch (the teacher's forward pass is about a
    // third of a distillation step on the demo SE-ResNet).
    const teacherCache = o.teacher && o.cacheTeacher !== false && !p.augmenting ? new Map<string, Float32Array>() : undefined;
    let teacherImages = 0;
    const k = ds.classes.length;
    const hwc = h * w * c;
    const lossOptions: ShardLoss = { labelSmoothing: ls, temperature, alpha };
    const workers = o.workers ?? 0;
    let parallelProblem: string | undefined;
    if (workers > 0 && tf.getBackend() === 'cpu') {
      // A worker that cannot start (a bundle without the worker file, a thread limit) costs speed, not the run.
      try {
        pool = await ShardPool.start(workers, { graph: start, ...(o.teacher ? { teacher: o.teacher } : {}), shape: [h, w, c], classes: k, loss: lossOptions });
      } catch (e) {
        parallelProblem = e instanceof Error ? e.message : String(e);
      }
    }
    /** The cached teacher logits [n, K] of these images, or undefined when any is missing. */
    const cachedTeacher = (ids: string[]): Float32Array | undefined => {
      if (!teacherCache || !ids.every((id) => teacherCache.has(id))) return undefined;
      const out = new Float32Array(ids.length * k);
      ids.forEach((id, i) => out.set(teacherCache.get(id)!, i * k));
      return out;
    };
    const remember = (ids: string[], logits: Float32Array) => ids.forEach((id, i) => teacherCache?.set(id, logits.slice(i * k, (i + 1) * k)));

    /**
     * One step's mean loss, correct count and batch-mean gradients. With workers the batch is cut
     * into shards (one per thread, each ≥ MIN_SHARD images) computed at the same time.
     */
    const batchStep = async (xs: Float32Array, ys: Int32Array, ids: string[]): Promise<ShardGradients> => {
      const n = ys.length;
      const sizes = shardSizes(n, pool ? Math.max(1, Math.min(pool.size + 1, Math.floor(n / MIN_SHARD))) : 1);
      // The workers get the weights and BN statistics as they are before this thread's forward pass moves the statistics.
      const weights = sizes.length > 1 ? snapshot(params) : {};
      const pending: ReturnType<ShardPool['run']>[] = [];
      for (let i = 1, a = sizes[0]; i < sizes.length; a += sizes[i], i++) {
        const shardIds = ids.slice(a, a + sizes[i]);
        const cached = o.teacher ? cachedTeacher(shardIds) : undefined;
        const req = { weights, x: xs.slice(a * hwc, (a + sizes[i]) * hwc), y: ys.slice(a, a + sizes[i]), ...(cached ? { teacherLogits: cached } : {}) };
        const p = pool!.run(i - 1, req).then((r) => {
          if (r.teacherLogits) {
            teacherImages += shardIds.length;
            remember(shardIds, r.teacherLogits);
          }
          return r;
        });
        p.catch(() => undefined); // awaited below; if this thread's shard fails first the run ends anyway
        pending.push(p);
      }
      const n0 = sizes[0];
      const x = tf.tensor4d(n0 === n ? xs : xs.subarray(0, n0 * hwc), [n0, h, w, c]);
      const y = tf.tensor1d(n0 === n ? ys : ys.subarray(0, n0), 'int32');
      let teacher: tf.Tensor2D | undefined;
      try {
        if (o.teacher) {
          const cached = cachedTeacher(ids.slice(0, n0));
          if (cached) teacher = tf.tensor2d(cached, [n0, k]);
          else {
            teacher = teacherLogits(o.teacher, x, teacherParams, k);
            teacherImages += n0;
            if (teacherCache) remember(ids.slice(0, n0), await teacher.data<'float32'>());
          }
        }
        const own = await shardGradients(g, params, x, y, k, lossOptions, teacher);
        if (pending.length === 0) return own;
        return combineShards(own, n0, await Promise.all(pending), sizes.slice(1), params);
      } finally {
        tf.dispose([x, y, ...(teacher ? [teacher] : [])]);
      }
    };
    const runStart = performance.now();
    let runImages = 0;
    let runSteps = 0;
    let trainSeconds = 0;

    for (let epoch = startEpoch; epoch < o.epochs; epoch++) {
      const order = epochOrder(p, epoch);
      const augRng = epochRng(seed, epoch, 1);
      const t0 = performance.now();
      let lossSum = 0;
      let correctSum = 0;
      let images = 0;
      let step = 0;
      let stepLr = lr;
      for await (const batch of ds.batches(order, batchSize)) {
        // The cpu backend resolves data() as a microtask, so without this the loop would never let
        // timers, IPC or a SIGINT handler run (and could not be cancelled) until training ended.
        await new Promise<void>((r) => setImmediate(r));
        if (o.signal?.aborted) throw new TrainingCancelled(epoch + 1, history.length ? history[history.length - 1].epoch : undefined, dir);
        const globalStep = epoch * stepsPerEpoch + step;
        step++;
        const n = batch.y.length;
        // Skipped (undecodable) images can leave a batch too small for batch norm; its step only advances the schedule.
        if (n < 2) continue;
        stepLr = learningRate(globalStep, schedule);
        const xs = augment && p.augmenting ? augmentBatch(batch.x, [n, h, w, c], augment, augRng) : batch.x;
        const r = await batchStep(xs, batch.y, batch.ids);
        if (!Number.isFinite(r.loss)) {
          tf.dispose([...r.grads.values()]);
          throw new TrainingDivergedError(String(r.loss), epoch + 1, step, Number(stepLr.toPrecision(3)), suggestLr(lr));
        }
        opt.step(r.grads, stepLr);
        tf.dispose([...r.grads.values()]);
        lossSum += r.loss * n;
        correctSum += r.correct;
        images += n;
        runImages += n;
        runSteps++;
        const elapsed = (performance.now() - runStart) / 1000;
        const stepsLeft = totalSteps - (epoch * stepsPerEpoch + step);
        o.onProgress?.({
          epoch: epoch + 1,
          epochs: o.epochs,
          step,
          steps: stepsPerEpoch,
          loss: lossSum / images,
          accuracy: correctSum / images,
          lr: stepLr,
          imagesPerSecond: runImages / Math.max(elapsed, 1e-9),
          etaSeconds: (elapsed / runSteps) * stepsLeft,
        });
      }
      const seconds = (performance.now() - t0) / 1000;
      trainSeconds += seconds;
      const summary: EpochSummary = {
        epoch: epoch + 1,
        loss: images ? lossSum / images : NaN,
        accuracy: images ? correctSum / images : NaN,
        lr: stepLr,
        images,
        seconds,
        imagesPerSecond: images / Math.max(seconds, 1e-9),
      };
      history.push(summary);
      if (dir) {
        await Promise.all([params.download(), opt.download()]);
        saveCheckpoint(dir, writeBack(g, params), opt.exportState(), epoch + 1, config, history, o.checkpointProject);
      }
      o.onEpoch?.(summary);
    }
    await params.download();
    return {
      graph: writeBack(g, params),
      epochs: Math.max(startEpoch, o.epochs),
      imagesPerSecond: trainSeconds > 0 ? runImages / trainSeconds : 0,
      backend: tf.getBackend(),
      history,
      ...(resumed ? { resumedFrom: resumed.meta.epoch } : {}),
      teacherImages,
      threads: 1 + (pool?.size ?? 0),
      ...(parallelProblem ? { parallelProblem } : {}),
    };
  } finally {
    await pool?.close();
    opt.dispose();
    params.dispose();
    teacherParams?.dispose();
  }
}
