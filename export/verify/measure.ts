/**
 * Runs verification data through opened runtimes and compares them with the float IR model on
 * the executor: top-1 of each, argmax agreement, max |Δ logits|, and batch-1 median latency.
 */
import type { Graph } from '../../app/model/ir.js';
import { runGraph } from '../../app/engine/executor.js';
import { ortForGraph } from '../../app/engine/ort.js';
import { AccuracyAccumulator } from '../../app/eval/metrics.js';
import { ModelError } from '../../app/model/errors.js';
import type { Runner, VerifyReport } from '../types.js';

export interface EvalBatch {
  /** NHWC float32 */
  x: Float32Array;
  /** Labels; absent for unlabelled probe images (top-1 is then null). */
  y?: Int32Array;
  n: number;
}

/** Timed batch-1 runs per latency figure (the median is reported). */
export const LATENCY_RUNS = 30;

function argmax(a: Float32Array, off: number, k: number): number {
  let best = 0;
  for (let j = 1; j < k; j++) if (a[off + j] > a[off + best]) best = j;
  return best;
}

/**
 * Float logits of the IR model for every batch (the reference): onnxruntime on the fp32 ONNX
 * form of the graph (fast; its parity with the executor, ≤ 1e-4, is tested in app/engine), or the
 * executor itself with `engine: 'executor'`.
 */
export async function floatLogits(g: Graph, data: EvalBatch[], engine: 'ort' | 'executor' = 'ort'): Promise<Float32Array[]> {
  const out: Float32Array[] = [];
  if (engine === 'executor') {
    for (const b of data) out.push(b.n ? (await runGraph(g, b.x, b.n)).outputs[0] : new Float32Array(0));
    return out;
  }
  const m = await ortForGraph(g);
  try {
    for (const b of data) out.push(b.n ? (await m.run(b.x, b.n)).outputs[0] : new Float32Array(0));
  } finally {
    await m.release();
  }
  return out;
}

export async function measureRunner(
  r: Runner,
  data: EvalBatch[],
  ref: Float32Array[],
  classes: number,
  bytes: number,
  latencyRuns = LATENCY_RUNS,
  /** Filled with the runtime's argmax per image (for agreement between runtimes). */
  preds: number[] = [],
): Promise<VerifyReport> {
  if (r.refused) return { runtime: r.runtime, n: 0, top1: null, top1Float: null, agreement: 0, maxAbsDiff: 0, bytes, latencyMs: 0, refused: r.refused };
  const acc = new AccuracyAccumulator(classes);
  const accF = new AccuracyAccumulator(classes);
  let agree = 0;
  let n = 0;
  let maxAbsDiff = 0;
  let labelled = false;
  for (let i = 0; i < data.length; i++) {
    const b = data[i];
    if (b.n === 0) continue;
    const out = await r.run(b.x, b.n);
    if (out.length !== ref[i].length) {
      throw new ModelError(`${r.runtime} returned ${out.length / b.n} logits per image; the model has ${classes}.`);
    }
    if (b.y) {
      labelled = true;
      acc.add(out, b.y);
      accF.add(ref[i], b.y);
    }
    for (let s = 0; s < b.n; s++) {
      const p = argmax(out, s * classes, classes);
      preds.push(p);
      if (p === argmax(ref[i], s * classes, classes)) agree++;
      n++;
    }
    for (let j = 0; j < out.length; j++) {
      const d = Math.abs(out[j] - ref[i][j]);
      maxAbsDiff = Math.max(maxAbsDiff, Number.isNaN(d) ? Infinity : d);
    }
  }
  const lat = await batch1Latency(r, data, latencyRuns);
  return {
    runtime: r.runtime,
    n,
    top1: labelled ? acc.result().top1 : null,
    top1Float: labelled ? accF.result().top1 : null,
    agreement: n ? agree / n : 0,
    maxAbsDiff,
    bytes,
    ...lat,
    ...(r.caveat ? { caveat: r.caveat } : {}),
  };
}

/**
 * Batch-1 latency of the first image: timed inside the runtime where it can (`Runner.latency`: no
 * process or file hop), else around `run` here; the median of `runs` runs after two warm-ups.
 */
export async function batch1Latency(r: Runner, data: EvalBatch[], runs: number): Promise<{ latencyMs: number; latencyRuns?: number; threads?: number }> {
  const first = data.find((b) => b.n > 0);
  if (!first || runs <= 0) return { latencyMs: 0 };
  const one = first.x.subarray(0, first.x.length / first.n);
  if (r.latency) {
    const l = await r.latency(one, runs);
    return { latencyMs: l.ms, latencyRuns: l.runs, threads: l.threads };
  }
  const times: number[] = [];
  for (let k = 0; k < runs + 2; k++) {
    const t0 = performance.now();
    await r.run(one, 1);
    if (k >= 2) times.push(performance.now() - t0);
  }
  times.sort((a, b) => a - b);
  return { latencyMs: times[Math.floor(times.length / 2)], latencyRuns: runs, ...(r.threads ? { threads: r.threads } : {}) };
}
