/**
 * Batch-norm re-estimation: after pruning or folding, a model's BN moving statistics no longer
 * describe its activations. This runs training-mode forwards over `indices` without any weight
 * update and sets each BN layer's moving mean/variance to the cumulative average of the batch
 * statistics (PyTorch's momentum = None): batch k is blended in with momentum 1/k, so the first
 * batch replaces the old statistics and the result is the plain mean over batches.
 */
import type { Graph, Node } from '../model/ir.js';
import type { Dataset } from '../data/types.js';
import { UserError } from '../model/errors.js';
import { tf } from '../engine/tf.js';
import { forward } from '../engine/executor.js';
import { createParams, writeBack } from '../engine/params.js';

export interface ReestimateOptions {
  /** Default 64. */
  batchSize?: number;
  signal?: AbortSignal;
}

/** A copy of `g` whose BN moving statistics are re-estimated on `indices` of `ds`; `g` is untouched. */
export async function reestimateBn(g: Graph, ds: Dataset, indices: number[], o: ReestimateOptions = {}): Promise<Graph> {
  const batchSize = o.batchSize ?? 64;
  const [h, w, c] = g.inputs[0].shape;
  const params = createParams(g);
  try {
    let k = 0;
    for await (const b of ds.batches(indices, batchSize)) {
      if (o.signal?.aborted) throw new UserError('Batch-norm re-estimation was cancelled.');
      const n = b.y.length;
      if (n < 2) continue;
      k++;
      // Same graph with every BN momentum set to 1/k (the nodes are shallow copies; weights are shared, never written).
      const step: Graph = {
        ...g,
        nodes: g.nodes.map((nd): Node => (nd.kind === 'batchnorm' ? { ...nd, attrs: { ...nd.attrs, momentum: 1 / k } } : nd)),
      };
      const x = tf.tensor4d(b.x, [n, h, w, c]);
      try {
        tf.dispose(forward(step, x, { training: true }, params).outputs);
      } finally {
        x.dispose();
      }
    }
    if (k === 0) throw new UserError(`No batch of at least 2 images could be read from ${ds.name} to re-estimate batch norm.`);
    await params.download();
    return writeBack(g, params);
  } finally {
    params.dispose();
  }
}
