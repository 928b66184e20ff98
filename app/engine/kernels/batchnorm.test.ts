/**
 * The fused training batch norm (batchnorm.ts) against the composite formula of ops.ts on
 * tfjs-backend-cpu's own kernels: outputs (y, batch mean, unbiased variance) and the gradients
 * of x, γ and β, including gradient reaching the statistics outputs, on odd shapes, batch 1, a
 * single element per channel, and rank 2.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { tf } from '../tf.js';
import { batchNormTrain } from '../ops.js';
import { BN_TRAIN, fusedBatchNormAvailable } from './batchnorm.js';
import { useFastCpuKernels } from './register.js';
import { useWasmKernels } from './wasm/module.js';
import { Rng } from '../../model/random.js';

// These tests are about the fast kernels: on even where SEPRUNE_CPU_KERNELS=tfjs kept tfjs' own.
useFastCpuKernels(true);

function close(what: string, got: Float32Array, ref: Float32Array, tol = 2e-5): void {
  assert.equal(got.length, ref.length, what);
  let maxRef = 0;
  let maxDiff = 0;
  for (let i = 0; i < ref.length; i++) {
    maxRef = Math.max(maxRef, Math.abs(ref[i]));
    maxDiff = Math.max(maxDiff, Math.abs(got[i] - ref[i]));
  }
  assert.ok(maxDiff <= tol * Math.max(1, maxRef), `${what}: max |Δ| ${maxDiff} vs max |ref| ${maxRef}`);
}

function run(shape: number[], rng: Rng, statsWeight: number, relu: boolean): Float32Array[] {
  const C = shape[shape.length - 1];
  const size = shape.reduce((a, b) => a * b, 1);
  // Inputs with a large common offset per channel, as after a conv with bias.
  const x = tf.add(tf.tensor(rng.normalArray(size, 2), shape), tf.tensor1d(rng.normalArray(C, 5)));
  const gamma = tf.tensor1d(rng.normalArray(C, 1));
  const beta = tf.tensor1d(rng.normalArray(C, 1));
  const r = tf.tensor(rng.normalArray(size, 1), shape);
  const r1 = tf.tensor1d(rng.normalArray(C, statsWeight));
  const r2 = tf.tensor1d(rng.normalArray(C, statsWeight));
  const outs: tf.Tensor[] = [];
  const grads = tf.grads((xx: tf.Tensor, g: tf.Tensor, b: tf.Tensor) => {
    const o = batchNormTrain(xx, g, b, 1e-3, relu);
    outs.push(tf.keep(o.y.clone()), tf.keep(o.mean.clone()), tf.keep(o.unbiasedVar.clone()));
    return tf.addN([tf.sum(tf.mul(o.y, r)), tf.sum(tf.mul(o.mean, r1)), tf.sum(tf.mul(o.unbiasedVar, r2))]) as tf.Scalar;
  })([x, gamma, beta]);
  const vals = [...outs, ...grads].map((t) => Float32Array.from(t.dataSync() as Float32Array));
  tf.dispose([x, gamma, beta, r, r1, r2, ...outs, ...grads]);
  return vals;
}

const names = ['y', 'mean', 'unbiased variance', 'dx', 'dgamma', 'dbeta'];

test('fused training batch norm is registered on cpu and used by ops.batchNormTrain', async () => {
  assert.ok(await tf.setBackend('cpu'));
  assert.ok(fusedBatchNormAvailable());
  const x = tf.randomNormal([2, 3, 3, 4]);
  const prof = await tf.profile(() => batchNormTrain(x, tf.ones([4]), tf.zeros([4]), 1e-5).y);
  assert.ok(prof.kernels.some((k) => k.name === BN_TRAIN), 'the fused kernel ran');
  tf.dispose([x, prof.result as tf.Tensor]);
});

for (const wasm of [true, false]) test(`fused batch norm (and BN + ReLU) equals the composite formula on tfjs kernels: outputs and gradients (${wasm ? 'wasm SIMD where C % 4 = 0' : 'JS'})`, () => {
  const was = useWasmKernels(wasm);
  const shapes = [[3, 5, 4, 7], [1, 6, 9, 16], [1, 1, 1, 3], [2, 1, 1, 5], [4, 33], [32, 7, 7, 64]];
  for (const [i, shape] of shapes.entries()) {
    for (const [statsWeight, relu] of [[0, false], [1, false], [0, true], [1, true]] as const) {
      const fused = run(shape, new Rng(100 + i), statsWeight, relu);
      useFastCpuKernels(false);
      let ref: Float32Array[];
      try {
        assert.ok(!fusedBatchNormAvailable());
        ref = run(shape, new Rng(100 + i), statsWeight, relu);
      } finally {
        useFastCpuKernels(true);
      }
      // Single-element channels have zero variance: dx then divides by √ε, amplifying float32
      // rounding of the composite formula.
      const tol = shape.length === 4 && shape[0] * shape[1] * shape[2] === 1 ? 1e-3 : 2e-5;
      fused.forEach((f, k) => close(`${names[k]} ${JSON.stringify(shape)} stats weight ${statsWeight} relu ${relu}`, f, ref[k], tol));
    }
  }
  assert.ok(fusedBatchNormAvailable());
  useWasmKernels(was);
});

test('BN + ReLU gradient: NaN passes through the mask, zeros and negatives are cut (wasm and JS alike)', async () => {
  const { batchNormTrainBackward } = await import('./batchnorm.js');
  const C = 8;
  const M = 3;
  const x = Float32Array.from({ length: M * C }, (_, i) => Math.sin(i));
  const dy = Float32Array.from({ length: M * C }, (_, i) => 1 + i);
  const y = Float32Array.from({ length: M * C }, (_, i) => [1, 0, -1, NaN][i % 4]);
  const ones = new Float32Array(C).fill(1);
  const zeros = new Float32Array(C);
  const run = (wasm: boolean) => {
    const was = useWasmKernels(wasm);
    try {
      return batchNormTrainBackward(dy, x, C, ones, zeros, ones, zeros, zeros, 1e-5, y);
    } finally {
      useWasmKernels(was);
    }
  };
  const a = run(true);
  const b = run(false);
  // A NaN reaching any channel makes that channel's sums NaN: those channels are NaN in both.
  for (let i = 0; i < a.dx.length; i++) assert.ok(Object.is(Number.isNaN(a.dx[i]), Number.isNaN(b.dx[i])) && (Number.isNaN(a.dx[i]) || Math.abs(a.dx[i] - b.dx[i]) < 1e-5), `dx ${i}: ${a.dx[i]} vs ${b.dx[i]}`);
  for (let c = 0; c < C; c++) assert.ok(Number.isNaN(a.dbeta[c]) === (c % 4 === 3), `dbeta ${c}: ${a.dbeta[c]}`);
});

test('turning the fast kernels off removes the fused kernels from cpu', () => {
  useFastCpuKernels(false);
  try {
    assert.equal(tf.getKernel(BN_TRAIN, 'cpu'), undefined);
  } finally {
    useFastCpuKernels(true);
  }
  assert.ok(tf.getKernel(BN_TRAIN, 'cpu'));
});

test('a training forward pass fuses conv → BN → ReLU and gives the same loss and gradients as tfjs kernels', async () => {
  const { buildZooModel } = await import('../../model/zoo/index.js');
  const { createParams } = await import('../params.js');
  const { forward } = await import('../executor.js');
  const g = buildZooModel('se-resnet-demo');
  const rng = new Rng(9);
  const xv = rng.normalArray(4 * 28 * 28, 1);
  const once = () => {
    const p = createParams(g);
    const x = tf.tensor4d(xv, [4, 28, 28, 1]);
    const { value, grads } = tf.variableGrads(() => tf.sum(tf.square(forward(g, x, { training: true }, p).outputs[0])) as tf.Scalar, p.variables());
    const out = [value, ...Object.keys(grads).sort().map((k) => grads[k])].map((t) => Float32Array.from(t.dataSync() as Float32Array));
    tf.dispose([x, value, ...Object.values(grads)]);
    p.dispose();
    return out;
  };
  const prof = await tf.profile(() => {
    once();
    return tf.scalar(0);
  });
  assert.ok(prof.kernels.some((k) => k.name === BN_TRAIN && k.inputShapes.length === 3), 'fused BN ran');
  // The four conv → BN → ReLU ReLUs are fused; those after the residual adds (3) and inside
  // the SE blocks (3) run on their own.
  const separate = prof.kernels.filter((k) => k.name === 'SePruneRelu').length;
  assert.equal(separate, 6, `${separate} ReLUs ran separately`);
  (prof.result as tf.Tensor).dispose();
  const fused = once();
  useFastCpuKernels(false);
  let ref: Float32Array[];
  try {
    ref = once();
  } finally {
    useFastCpuKernels(true);
  }
  fused.forEach((f, k) => close(`loss / gradient ${k}`, f, ref[k], 1e-3));
});
