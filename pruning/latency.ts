/**
 * Batch-1 latency of the model before and after pruning, in onnxruntime (1 thread), measured
 * interleaved (before, after, before, after, …) so a loaded machine slows both alike; the
 * figure is the lower of the rounds' medians. A pruned model with odd channel counts can run
 * slower than the original (measured: 50% MACs at round-to 1 ran 1.9–2.1× slower), which is why
 * the prune report carries both.
 */
import type { Graph } from '../app/model/ir.js';
import { createInference, type Inference } from '../app/engine/inference.js';
import { measureLatency } from '../app/eval/evaluate.js';

export interface LatencyPair {
  engine: string;
  beforeMs: number;
  afterMs: number;
}

export async function latencyBeforeAfter(before: Graph, after: Graph, rounds = 3, runs = 15): Promise<LatencyPair> {
  const infs: Inference[] = [];
  try {
    infs.push(await createInference(before, { engine: 'onnxruntime', threads: 1 }));
    infs.push(await createInference(after, { engine: 'onnxruntime', threads: 1 }));
    const best = [Infinity, Infinity];
    for (let r = 0; r < rounds; r++) {
      for (const [i, inf] of infs.entries()) {
        const [l] = await measureLatency(inf, before.inputs[0].shape, [1], runs, 3);
        best[i] = Math.min(best[i], l.msPerImage);
      }
    }
    return { engine: infs[0].engine, beforeMs: best[0], afterMs: best[1] };
  } finally {
    for (const inf of infs) await inf.release();
  }
}
