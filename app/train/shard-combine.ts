/**
 * Merging the shards of one data-parallel step (data-parallel.ts): gradients and batch-norm
 * moving statistics are averaged weighted by shard size, which makes the gradient that of the
 * batch's mean loss; losses and correct counts add up the same way.
 */
import { tf } from '../engine/tf.js';
import type { ParamStore } from '../engine/params.js';
import type { ShardGradients } from './shard-step.js';
import type { ShardResult } from './shard-protocol.js';

/** Every trainable weight and BN moving statistic of the store, keyed `${node}/${weight}`. */
export function snapshot(params: ParamStore): Record<string, Float32Array> {
  const out: Record<string, Float32Array> = {};
  for (const [k, v] of params.trainable) out[k] = v.dataSync() as Float32Array;
  for (const [k, v] of params.stats) out[k] = v.dataSync() as Float32Array;
  return out;
}

function weighted(own: tf.Tensor, ownShare: number, others: Float32Array[], shares: number[]): tf.Tensor {
  if (tf.getBackend() === 'cpu' && own.dtype === 'float32') {
    // One pass instead of two full-size ops per shard, rounded to float32 where those ops store.
    const f = Math.fround;
    const a = own.dataSync() as Float32Array;
    const out = new Float32Array(a.length);
    const s0 = f(ownShare);
    if (others.length === 1) {
      // The usual case (one worker): one pass.
      const o = others[0];
      const s1 = f(shares[0]);
      for (let i = 0; i < a.length; i++) out[i] = f(a[i] * s0) + f(o[i] * s1);
    } else {
      for (let i = 0; i < a.length; i++) out[i] = a[i] * s0;
      for (let k = 0; k < others.length; k++) {
        const o = others[k];
        const s = f(shares[k]);
        for (let i = 0; i < out.length; i++) out[i] = out[i] + f(o[i] * s);
      }
    }
    return tf.tensor(out, own.shape, 'float32');
  }
  return tf.tidy(() => others.reduce((acc, a, i) => tf.add(acc, tf.mul(tf.tensor(a, own.shape), shares[i])), tf.mul(own, ownShare)));
}

/**
 * The whole batch's step from this thread's shard (`own`, `n0` images) and the workers' (`sizes`
 * images each). Disposes `own`'s gradients and sets the store's BN statistics to the average.
 */
export function combineShards(own: ShardGradients, n0: number, others: ShardResult[], sizes: number[], params: ParamStore): ShardGradients {
  const n = n0 + sizes.reduce((a, b) => a + b, 0);
  const shares = sizes.map((s) => s / n);
  const grads = new Map<string, tf.Tensor>();
  for (const [key, g] of own.grads) {
    grads.set(key, weighted(g, n0 / n, others.map((r) => r.grads[key]), shares));
    g.dispose();
  }
  for (const [key, v] of params.stats) {
    const avg = weighted(v, n0 / n, others.map((r) => r.stats[key]), shares);
    v.assign(avg);
    avg.dispose();
  }
  let loss = own.loss * n0;
  let correct = own.correct;
  others.forEach((r, i) => {
    loss += r.loss * sizes[i];
    correct += r.correct;
  });
  return { grads, loss: loss / n, correct };
}
