/**
 * One full training step (forward in training mode, loss, gradients of every weight, SGD with
 * momentum and weight decay) of each zoo family on WebGPU equals the same step on the cpu backend:
 * the loss and every updated weight and BN running statistic within 1e-4 relative. Then more
 * steps on WebGPU leave neither tensors nor GPU buffers behind. On SwiftShader this proves
 * correctness, not speed. A machine without WebGPU fails here, naming the missing package.
 */
import { before, test } from 'node:test';
import assert from 'node:assert/strict';
import { tf } from '../engine/tf.js';
import { createParams, writeBack } from '../engine/params.js';
import { useFastCpuKernels } from '../engine/kernels/register.js';
import { onCpu, relErr, useWebGpu } from '../engine/webgpu-test-support.js';
import { buildZooModel } from '../model/zoo/index.js';
import { nodeWeights, type Graph } from '../model/ir.js';
import { Rng } from '../model/random.js';
import { createOptimizer } from './optimizers.js';
import { shardGradients } from './shard-step.js';

const FAMILIES = ['se-resnet-demo', 'se-mobilenet-demo', 'se-mobilenetv3-demo', 'se-shufflenet-demo', 'se-shufflenetv2-demo'];
const TOL = 1e-4;
/**
 * The smallest magnitude errors are taken relative to. Some values are zero in exact arithmetic
 * and only float32 round-off elsewhere: the beta of a BN followed (through a linear conv) by
 * another BN, whose gradient the second BN's mean subtraction cancels, and the running mean
 * that BN then sees; both backends give ~1e-9 there, in different round-off. Weights are O(0.01–1).
 */
const FLOOR = 1e-3;

/**
 * Largest |got − ref| over max(largest |ref|, floor). A BN running mean's floor is the size of
 * its step, momentum 0.1 × the activations' spread (√ running variance): a batch mean after a BN
 * is ~0 and carries the round-off of summing O(1) values.
 */
function err(got: ArrayLike<number>, ref: ArrayLike<number>, floor = FLOOR): number {
  let scale = floor;
  for (let i = 0; i < ref.length; i++) scale = Math.max(scale, Math.abs(ref[i]));
  return relErr(got, ref) * (Math.max(...Array.from(ref, Math.abs), 0) || 1) / scale;
}
const N = 4;

before(async () => {
  useFastCpuKernels(true);
  await useWebGpu();
});

function batch(g: Graph, seed: number): { xs: Float32Array; ys: Int32Array } {
  const [h, w, c] = g.inputs[0].shape;
  const rng = new Rng(seed);
  return { xs: Float32Array.from({ length: N * h * w * c }, () => rng.normal()), ys: Int32Array.from({ length: N }, (_, i) => (i * 3 + seed) % 10) };
}

/** `steps` SGD steps from g's weights; the losses and every weight of the graph written back. */
async function run(g: Graph, steps: number, onStep?: (i: number) => void): Promise<{ losses: number[]; weights: Map<string, Float32Array> }> {
  const [h, w, c] = g.inputs[0].shape;
  const params = createParams(g);
  const opt = createOptimizer(g, params, { kind: 'sgd', weightDecay: 5e-4, momentum: 0.9 });
  const losses: number[] = [];
  try {
    for (let i = 0; i < steps; i++) {
      const { xs, ys } = batch(g, i);
      const x = tf.tensor4d(xs, [N, h, w, c]);
      const y = tf.tensor1d(ys, 'int32');
      const r = await shardGradients(g, params, x, y, 10, { labelSmoothing: 0.1, temperature: 4, alpha: 0.5 });
      opt.step(r.grads, 0.05);
      tf.dispose([x, y, ...r.grads.values()]);
      losses.push(r.loss);
      onStep?.(i);
    }
    await params.download();
    const out = writeBack(g, params);
    const weights = new Map<string, Float32Array>();
    for (const n of out.nodes) for (const [k, v] of nodeWeights(n)) weights.set(`${n.name}/${k}`, v);
    return { losses, weights };
  } finally {
    opt.dispose();
    params.dispose();
  }
}

for (const family of FAMILIES) {
  test(`zoo:${family}: a training step on WebGPU equals the cpu step, and leaks nothing`, async () => {
    // 16×16 instead of the demo's 28×28: the same layers, a third of the pixels (SwiftShader is slow).
    const g = buildZooModel(`${family}?input=16x16x1`);
    const ref = await onCpu(() => run(g, 1));
    const got = await run(g, 1);
    assert.ok(relErr(got.losses, ref.losses) <= TOL, `loss ${got.losses[0]} vs cpu ${ref.losses[0]}`);
    assert.equal(got.weights.size, ref.weights.size);
    const before = new Map<string, Float32Array>(g.nodes.flatMap((n) => nodeWeights(n).map(([k, v]): [string, Float32Array] => [`${n.name}/${k}`, v])));
    let worst = 0;
    let worstDelta = 0;
    for (const [key, r] of ref.weights) {
      const w = got.weights.get(key);
      assert.ok(w, `${key} on webgpu`);
      const runVar = key.endsWith('/mean') ? ref.weights.get(`${key.slice(0, -'/mean'.length)}/variance`) : undefined;
      const floor = runVar ? Math.max(FLOOR, 0.1 * Math.sqrt(Math.max(...runVar))) : FLOOR;
      const e = err(w, r, floor);
      worst = Math.max(worst, e);
      assert.ok(e <= TOL, `${key}: updated weight differs from cpu by ${e.toExponential(2)} relative`);
      const b = before.get(key)!;
      const dGot = w.map((v, i) => v - b[i]);
      const dRef = r.map((v, i) => v - b[i]);
      worstDelta = Math.max(worstDelta, err(dGot, dRef, floor));
    }
    console.log(`${family}: loss ${got.losses[0].toFixed(6)} (cpu ${ref.losses[0].toFixed(6)}), worst weight rel err ${worst.toExponential(2)}, worst update rel err ${worstDelta.toExponential(2)}`);

    // Leaks: tensors and GPU buffers in use after each step stay the same from step to step.
    const bm = (tf.backend() as unknown as { bufferManager?: { getNumUsedBuffers(): number } }).bufferManager;
    assert.ok(bm, 'tfjs-backend-webgpu exposes its buffer manager');
    const counts: [number, number][] = [];
    const start = tf.memory().numTensors;
    await run(g, 3, () => counts.push([tf.memory().numTensors, bm.getNumUsedBuffers()]));
    assert.equal(tf.memory().numTensors, start, 'every tensor of the run is disposed');
    for (const c of counts.slice(1)) assert.deepEqual(c, counts[1], `tensors and GPU buffers per step: ${JSON.stringify(counts)}`);
  });
}
