/**
 * The one loop that streams a dataset through an inference engine: batches in a fixed order,
 * progress after each batch, undecodable samples collected (never fatal), throughput measured.
 */
import type { Dataset } from '../data/types.js';
import type { Inference } from './inference.js';
import type { Progress } from '../util/progress.js';

export interface BatchOutput {
  logits: Float32Array;
  gates: Map<string, Float32Array>;
  labels: Int32Array;
  n: number;
}

export interface RunSummary {
  n: number;
  skipped: { id: string; reason: string }[];
  seconds: number;
  imagesPerSecond: number;
}

export async function runDataset(
  ds: Dataset,
  indices: number[],
  inf: Inference,
  onBatch: (b: BatchOutput) => void,
  o: { batchSize?: number; progress?: Progress; label?: string } = {},
): Promise<RunSummary> {
  const batchSize = o.batchSize ?? 64;
  const skipped: { id: string; reason: string }[] = [];
  let n = 0;
  let inferSeconds = 0;
  for await (const b of ds.batches(indices, batchSize)) {
    skipped.push(...b.skipped);
    const count = b.y.length;
    if (count > 0) {
      const t0 = performance.now();
      const out = await inf.run(b.x, count);
      inferSeconds += (performance.now() - t0) / 1000;
      onBatch({ logits: out.logits, gates: out.gates, labels: b.y, n: count });
      n += count;
    }
    o.progress?.update(o.label ?? 'images', n + skipped.length, indices.length);
  }
  o.progress?.done();
  return { n, skipped, seconds: inferSeconds, imagesPerSecond: inferSeconds > 0 ? n / inferSeconds : 0 };
}
