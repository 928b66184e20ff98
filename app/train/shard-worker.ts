/**
 * A data-parallel training worker (see data-parallel.ts). It holds a replica of the student (and
 * of the teacher, when distilling) and answers each step's request with the gradients of its
 * shard, computed by the same code as the trainer's own shard (shard-step.ts). It keeps no state
 * between steps: every request carries the current weights and batch-norm statistics.
 */
import { parentPort, workerData } from 'node:worker_threads';
import { tf } from '../engine/tf.js';
import { createParams } from '../engine/params.js';
import { UserError } from '../model/errors.js';
import { shardGradients, teacherLogits } from './shard-step.js';
import type { ShardInit, ShardReply, ShardRequest, ShardResult } from './shard-protocol.js';

const init = workerData as ShardInit;
const [h, w, c] = init.shape;
const params = createParams(init.graph);
const teacherParams = init.teacher ? createParams(init.teacher) : undefined;

async function step(m: ShardRequest): Promise<ShardResult> {
  for (const [k, values] of Object.entries(m.weights)) {
    const v = params.trainable.get(k) ?? params.stats.get(k);
    if (!v) throw new Error(`data-parallel worker: no weight ${k}`);
    const t = tf.tensor(values, v.shape);
    v.assign(t);
    t.dispose();
  }
  const n = m.y.length;
  const x = tf.tensor4d(m.x, [n, h, w, c]);
  const y = tf.tensor1d(m.y, 'int32');
  let teacher: tf.Tensor2D | undefined;
  let computed: Float32Array | undefined;
  try {
    if (m.teacherLogits) teacher = tf.tensor2d(m.teacherLogits, [n, init.classes]);
    else if (init.teacher) {
      teacher = teacherLogits(init.teacher, x, teacherParams, init.classes);
      computed = (await teacher.data<'float32'>()).slice();
    }
    const r = await shardGradients(init.graph, params, x, y, init.classes, init.loss, teacher);
    const grads: Record<string, Float32Array> = {};
    for (const [k, g] of r.grads) grads[k] = (await g.data<'float32'>()).slice();
    tf.dispose([...r.grads.values()]);
    const stats: Record<string, Float32Array> = {};
    for (const [k, v] of params.stats) stats[k] = (await v.data<'float32'>()).slice();
    return { grads, stats, loss: r.loss, correct: r.correct, ...(computed ? { teacherLogits: computed } : {}) };
  } finally {
    tf.dispose([x, y, ...(teacher ? [teacher] : [])]);
  }
}

const port = parentPort!;
port.on('message', (m: ShardRequest) => {
  step(m).then(
    (r) => port.postMessage(r, [...Object.values(r.grads), ...Object.values(r.stats), ...(r.teacherLogits ? [r.teacherLogits] : [])].map((a) => a.buffer as ArrayBuffer)),
    (e: unknown) => port.postMessage({ error: e instanceof Error ? e.message : String(e), user: e instanceof UserError } satisfies ShardReply),
  );
});
port.postMessage({ ready: true });
