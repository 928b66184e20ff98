/**
 * One shard's share of a training step: the loss and its gradients for every trainable weight on
 * some of a batch's images. The trainer runs it on its own thread for the first shard and the
 * data-parallel workers (shard-worker.ts) run it for the others, so both compute exactly the
 * same thing. Training-mode batch norm uses the shard's own batch statistics and moves the
 * store's running averages, as PyTorch's DistributedDataParallel does without SyncBatchNorm.
 */
import { UserError } from '../model/errors.js';
import type { Graph } from '../model/ir.js';
import { tf } from '../engine/tf.js';
import { forward } from '../engine/executor.js';
import type { ParamStore } from '../engine/params.js';
import { trainingLoss, type LossOptions } from './loss.js';

export type ShardLoss = Omit<LossOptions, 'teacher'>;

export interface ShardGradients {
  /** Gradient of the shard's mean loss, keyed `${node}/${weight}`; the caller disposes them. */
  grads: Map<string, tf.Tensor>;
  /** The shard's mean loss. */
  loss: number;
  /** Images whose top-1 matched the label. */
  correct: number;
}

export function checkLogits(t: tf.Tensor, classes: number, what: string): void {
  if (t.rank !== 2 || t.shape[1] !== classes) {
    throw new UserError(`${what} outputs ${t.shape.slice(1).join('×')} values per image but the dataset has ${classes} classes.`);
  }
}

/** The teacher's logits [N, K] for `x` (inference mode). */
export function teacherLogits(teacher: Graph, x: tf.Tensor4D, params: ParamStore | undefined, classes: number): tf.Tensor2D {
  const t = forward(teacher, x, { training: false }, params).outputs;
  tf.dispose(t.slice(1));
  checkLogits(t[0], classes, 'The teacher');
  return t[0] as tf.Tensor2D;
}

/** Loss and gradients of `g` (weights from `params`) on images `x` with labels `y`. */
export async function shardGradients(g: Graph, params: ParamStore, x: tf.Tensor4D, y: tf.Tensor1D, classes: number, loss: ShardLoss, teacher?: tf.Tensor2D): Promise<ShardGradients> {
  let correct: tf.Tensor | undefined;
  try {
    const { value, grads } = tf.variableGrads(() => {
      const logits = forward(g, x, { training: true }, params).outputs[0] as tf.Tensor2D;
      checkLogits(logits, classes, 'The model');
      correct = tf.keep(tf.sum(tf.cast(tf.equal(tf.argMax(logits, 1), y), 'float32')));
      return trainingLoss(logits, y, { ...loss, teacher });
    }, params.variables());
    const lossValue = (await value.data())[0];
    value.dispose();
    const byKey = new Map<string, tf.Tensor>();
    for (const [name, gr] of Object.entries(grads)) byKey.set(params.keyOf(name) ?? name, gr);
    return { grads: byKey, loss: lossValue, correct: correct ? (await correct.data())[0] : 0 };
  } finally {
    correct?.dispose();
  }
}
