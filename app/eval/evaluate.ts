/**
 * Accuracy of a model on a dataset (top-1/top-5, per class, confusion, mean loss) through the
 * fast inference engine, plus CPU latency per image at batch 1 and 32 (median of repeated runs).
 */
import type { Graph } from '../model/ir.js';
import type { Dataset } from '../data/types.js';
import { createInference, type Inference, type InferenceOptions } from '../engine/inference.js';
import { runDataset, type RunSummary } from '../engine/run-dataset.js';
import type { Progress } from '../util/progress.js';
import { AccuracyAccumulator, type AccuracyResult } from './metrics.js';
import { UserError } from '../model/errors.js';
import { logitCount } from '../model/shapes.js';

export interface EvalResult extends AccuracyResult {
  engine: string;
  note?: string;
  run: RunSummary;
}

export async function evaluateOn(
  inf: Inference,
  ds: Dataset,
  indices: number[],
  o: { logits: number; batchSize?: number; progress?: Progress },
): Promise<AccuracyResult & { run: RunSummary }> {
  if (ds.classes.length > o.logits) {
    throw new UserError(`The dataset has ${ds.classes.length} classes but the model predicts only ${o.logits}.`);
  }
  const acc = new AccuracyAccumulator(o.logits);
  const run = await runDataset(ds, indices, inf, (b) => acc.add(b.logits, b.labels), { ...o, label: 'eval' });
  if (run.n === 0) throw new UserError(`No image of ${ds.name} could be read, so nothing was evaluated.`);
  const r = acc.result();
  // Per-class rows only for the dataset's classes (a 1000-way model on a 10-class folder).
  return { ...r, perClass: r.perClass.filter((c) => c.label < ds.classes.length), run };
}

export async function evaluate(
  g: Graph,
  ds: Dataset,
  indices: number[],
  o: InferenceOptions & { batchSize?: number; progress?: Progress } = {},
): Promise<EvalResult> {
  const inf = await createInference(g, { ...o, gates: false });
  try {
    const r = await evaluateOn(inf, ds, indices, { ...o, logits: logitCount(g) });
    return { ...r, engine: inf.engine, ...(inf.note ? { note: inf.note } : {}) };
  } finally {
    await inf.release();
  }
}

export interface Latency {
  batch: number;
  /** Median milliseconds per image over `runs` timed runs (after `warmup` untimed ones). */
  msPerImage: number;
  runs: number;
}

export async function measureLatency(inf: Inference, sampleShape: number[], batches = [1, 32], runs = 10, warmup = 2): Promise<Latency[]> {
  const per = sampleShape.reduce((a, b) => a * b, 1);
  const out: Latency[] = [];
  for (const batch of batches) {
    const x = new Float32Array(per * batch).map((_, i) => Math.sin(i));
    const times: number[] = [];
    for (let i = 0; i < warmup + runs; i++) {
      const t0 = performance.now();
      await inf.run(x, batch);
      if (i >= warmup) times.push(performance.now() - t0);
    }
    times.sort((a, b) => a - b);
    const mid = times.length >> 1;
    const median = times.length % 2 ? times[mid] : (times[mid - 1] + times[mid]) / 2;
    out.push({ batch, msPerImage: median / batch, runs });
  }
  return out;
}
