/**
 * One gradient pass for first-order (Taylor) importance: the mean gradient of the cross-entropy
 * loss with respect to every trainable weight over a few calibration batches, with BN in
 * inference mode so the pass does not change the model. Runs on the tfjs executor.
 */
import type { Graph } from '../../app/model/ir.js';
import type { Dataset } from '../../app/data/types.js';
import { tf, gradientsAvailable, gradientsProblem } from '../../app/engine/tf.js';
import { forward } from '../../app/engine/executor.js';
import { createParams } from '../../app/engine/params.js';
import { UserError } from '../../app/model/errors.js';

export async function meanGradients(g: Graph, ds: Dataset, indices: number[], batchSize = 32): Promise<Map<string, Float32Array>> {
  return (await gradientPass(g, ds, indices, batchSize)).mean;
}

/**
 * The mean gradient of every weight over the batches, and for the weights `squared` selects the
 * mean over batches of the squared batch gradient (per-minibatch Taylor accumulation).
 */
export async function gradientPass(
  g: Graph,
  ds: Dataset,
  indices: number[],
  batchSize = 32,
  squared: (key: string) => boolean = () => false,
): Promise<{ mean: Map<string, Float32Array>; meanSquare: Map<string, Float32Array> }> {
  if (!gradientsAvailable()) throw new UserError(`The taylor criterion needs gradients, which are unavailable: ${gradientsProblem()}.`);
  const params = createParams(g);
  const sums = new Map<string, Float32Array>();
  const squares = new Map<string, Float32Array>();
  let batches = 0;
  const [h, w, c] = g.inputs[0].shape;
  const classes = classifierUnits(g);
  try {
    for await (const b of ds.batches(indices, batchSize)) {
      const n = b.y.length;
      if (n === 0) continue;
      const { grads } = tf.tidy(() => {
        const x = tf.tensor4d(b.x, [n, h, w, c]);
        const y = tf.oneHot(tf.tensor1d(b.y, 'int32'), classes);
        return tf.variableGrads(() => {
          const logits = forward(g, x, { training: false }, params).outputs[0] as tf.Tensor2D;
          return tf.losses.softmaxCrossEntropy(y, logits) as tf.Scalar;
        }, params.variables());
      });
      for (const [name, t] of Object.entries(grads)) {
        const key = params.keyOf(name) ?? name;
        const v = t.dataSync() as Float32Array;
        const acc = sums.get(key) ?? new Float32Array(v.length);
        for (let i = 0; i < v.length; i++) acc[i] += v[i];
        sums.set(key, acc);
        if (squared(key)) {
          const sq = squares.get(key) ?? new Float32Array(v.length);
          for (let i = 0; i < v.length; i++) sq[i] += v[i] * v[i];
          squares.set(key, sq);
        }
        t.dispose();
      }
      batches++;
    }
  } finally {
    params.dispose();
  }
  if (batches === 0) throw new UserError('No calibration image could be read for the gradient pass.');
  for (const v of [...sums.values(), ...squares.values()]) for (let i = 0; i < v.length; i++) v[i] /= batches;
  return { mean: sums, meanSquare: squares };
}

function classifierUnits(g: Graph): number {
  const last = g.nodes.find((n) => n.name === g.outputs[0]);
  if (last?.kind === 'dense') return last.attrs.units;
  throw new UserError('The taylor criterion needs a model whose output is a dense classifier.');
}
