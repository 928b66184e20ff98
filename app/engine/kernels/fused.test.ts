/**
 * The fused ReLU, spatial mean and channel-scale kernels (fused.ts) against the tfjs ops they
 * replace on tfjs-backend-cpu's own kernels: outputs and gradients on odd shapes and batch 1,
 * values at exactly 0 and NaN for ReLU; and the explicitly padded convolutions of ops.conv2d
 * (padding inside the fast kernels) against the padded-input path tfjs' kernels take.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { tf } from '../tf.js';
import { activation, conv2d, pool, squeezeExcite, type ConvAttrs } from '../ops.js';
import { CHANNEL_SCALE, HARD_SIGMOID, HARD_SWISH, RELU, SPATIAL_MEAN, channelScale, relu, reluBackward, reluForward, spatialMean } from './fused.js';
import { fastCpuKernelsActive, useFastCpuKernels } from './register.js';
import { CONV_BIAS } from './conv-kernels.js';
import { Rng } from '../../model/random.js';

// These tests are about the fast kernels: on even where SEPRUNE_CPU_KERNELS=tfjs kept tfjs' own.
useFastCpuKernels(true);

function close(what: string, got: Float32Array, ref: Float32Array, tol = 1e-5): void {
  assert.equal(got.length, ref.length, what);
  for (let i = 0; i < ref.length; i++) {
    const a = got[i];
    const b = ref[i];
    if (a === b || (a !== a && b !== b)) continue;
    assert.ok(Math.abs(a - b) <= tol * Math.max(1, Math.abs(b)), `${what} at ${i}: ${a} vs ${b}`);
  }
}

/** Values and gradients of f at the inputs, with the fast kernels (fused path) and without. */
function both(f: (...xs: tf.Tensor[]) => tf.Tensor, make: () => tf.Tensor[], what: string, tol = 1e-5): void {
  const inputs = make().map((t) => ({ v: t.dataSync() as Float32Array, shape: t.shape, t }));
  tf.dispose(inputs.map((i) => i.t));
  const once = () => {
    const xs = inputs.map((i) => tf.tensor(i.v, i.shape));
    const y = f(...xs);
    const w = tf.randomNormal(y.shape, 0, 1, 'float32', 9);
    const grads = tf.grads((...a: tf.Tensor[]) => tf.sum(tf.mul(f(...a), w)) as tf.Scalar)(xs);
    const out = [y, ...grads].map((t) => Float32Array.from(t.dataSync() as Float32Array));
    tf.dispose([...xs, y, w, ...grads]);
    return out;
  };
  assert.ok(fastCpuKernelsActive());
  const fused = once();
  useFastCpuKernels(false);
  let ref: Float32Array[];
  try {
    ref = once();
  } finally {
    useFastCpuKernels(true);
  }
  fused.forEach((v, k) => close(`${what} ${k === 0 ? 'value' : `gradient ${k - 1}`}`, v, ref[k], tol));
}

const shapes = [[2, 5, 3, 7], [1, 1, 1, 4], [1, 9, 4, 16], [3, 2, 6, 1]];

test('the fused kernels run in place of the tfjs ops', async () => {
  const x = tf.randomNormal([2, 3, 3, 4]);
  const s = tf.randomNormal([2, 4]);
  const prof = await tf.profile(() => [relu(x), spatialMean(x as tf.Tensor4D), channelScale(x as tf.Tensor4D, s as tf.Tensor2D)]);
  for (const name of [RELU, SPATIAL_MEAN, CHANNEL_SCALE]) assert.ok(prof.kernels.some((k) => k.name === name), name);
  tf.dispose([x, s, ...(prof.result as tf.Tensor[])]);
});

test('fused ReLU equals tf.relu, with its gradient, at 0 and NaN too', () => {
  const rng = new Rng(1);
  for (const shape of [...shapes, [5, 3]]) {
    const size = shape.reduce((a, b) => a * b, 1);
    both((x) => activation(x, 'relu'), () => {
      const v = Float32Array.from(rng.normalArray(size, 1));
      v[0] = 0;
      if (size > 2) v[1] = NaN;
      return [tf.tensor(v, shape)];
    }, `relu ${JSON.stringify(shape)}`);
  }
});

test('fused spatial mean and channel scale equal tf.mean / tf.mul, with gradients', () => {
  const rng = new Rng(2);
  for (const shape of shapes) {
    const [n, , , c] = shape;
    const size = shape.reduce((a, b) => a * b, 1);
    both((x) => spatialMean(x as tf.Tensor4D), () => [tf.tensor(rng.normalArray(size, 1), shape)], `spatial mean ${JSON.stringify(shape)}`);
    both((x, s) => channelScale(x as tf.Tensor4D, s as tf.Tensor2D), () => [tf.tensor(rng.normalArray(size, 1), shape), tf.tensor(rng.normalArray(n * c, 1), [n, c])], `channel scale ${JSON.stringify(shape)}`);
    both((x) => pool(x as tf.Tensor4D, { type: 'avg', global: true, kernel: [1, 1], strides: [1, 1], pads: [0, 0, 0, 0], countIncludePad: false }), () => [tf.tensor(rng.normalArray(size, 1), shape)], `global average pool ${JSON.stringify(shape)}`);
  }
});

test('a whole SE block (mean, FC, gate, scale) has the same value and gradients', () => {
  const rng = new Rng(3);
  const [n, h, w, c, r] = [3, 5, 4, 8, 3];
  both(
    (x, fc1, fc2) => squeezeExcite(x as tf.Tensor4D, { fc1: fc1 as tf.Tensor2D, fc2: fc2 as tf.Tensor2D }, { gate: 'sigmoid', gateAlpha: 0, gateBeta: 0, innerAct: 'relu' }).y,
    () => [tf.tensor(rng.normalArray(n * h * w * c, 1), [n, h, w, c]), tf.tensor(rng.normalArray(c * r, 1), [c, r]), tf.tensor(rng.normalArray(r * c, 1), [r, c])],
    'SE block',
  );
});

test('convolutions with padding in the fast kernels equal padded-input convolutions on tfjs kernels', () => {
  const rng = new Rng(4);
  const cases: { x: number[]; k: number[]; a: ConvAttrs }[] = [
    { x: [2, 9, 7, 3], k: [3, 3, 3, 5], a: { strides: [1, 1], pads: [1, 1, 1, 1], dilations: [1, 1], groups: 1 } },
    { x: [1, 8, 8, 4], k: [3, 3, 4, 6], a: { strides: [2, 2], pads: [0, 1, 1, 0], dilations: [1, 1], groups: 1 } },
    { x: [2, 7, 7, 6], k: [3, 3, 1, 6], a: { strides: [2, 2], pads: [1, 1, 1, 1], dilations: [1, 1], groups: 6 } },
    { x: [1, 9, 9, 4], k: [3, 3, 2, 4], a: { strides: [1, 1], pads: [2, 2, 2, 2], dilations: [2, 2], groups: 2 } },
    { x: [1, 6, 6, 5], k: [5, 5, 5, 2], a: { strides: [1, 1], pads: [2, 1, 2, 1], dilations: [1, 1], groups: 1 } },
  ];
  for (const c of cases) {
    const sx = c.x.reduce((a, b) => a * b, 1);
    const sk = c.k.reduce((a, b) => a * b, 1);
    both((x, k) => conv2d(x as tf.Tensor4D, k as tf.Tensor4D, c.a), () => [tf.tensor(rng.normalArray(sx, 1), c.x), tf.tensor(rng.normalArray(sk, 1), c.k)], `conv ${JSON.stringify(c)}`, 1e-4);
    // With a bias: one SePruneConv2DBias kernel on cpu (plain convs), gradients for x, kernel and bias.
    const co = c.k[3];
    both(
      (x, k, b) => conv2d(x as tf.Tensor4D, k as tf.Tensor4D, c.a, b),
      () => [tf.tensor(rng.normalArray(sx, 1), c.x), tf.tensor(rng.normalArray(sk, 1), c.k), tf.tensor(rng.normalArray(co, 1), [co])],
      `conv + bias ${JSON.stringify(c)}`,
      1e-4,
    );
  }
});

test('a plain conv with a bias runs as one conv + bias kernel', async () => {
  const x = tf.randomNormal([2, 5, 5, 3]) as tf.Tensor4D;
  const k = tf.randomNormal([3, 3, 3, 4]) as tf.Tensor4D;
  const b = tf.randomNormal([4]);
  const prof = await tf.profile(() => conv2d(x, k, { strides: [1, 1], pads: [1, 1, 1, 1], dilations: [1, 1], groups: 1 }, b));
  assert.ok(prof.kernels.some((e) => e.name === CONV_BIAS), 'SePruneConv2DBias ran');
  assert.ok(!prof.kernels.some((e) => e.name === 'Add'), 'no separate Add');
  tf.dispose([x, k, b, prof.result as tf.Tensor]);
});

test('hard-swish and hard-sigmoid kernels equal the tfjs ops bit for bit, values and gradients', async () => {
  const rng = new Rng(41);
  // Values at the kinks (−3, 3, 0 and the clip bounds of α·x + β) and NaN besides random ones.
  const make = (shape: number[]) => () => {
    const v = rng.normalArray(shape.reduce((a, b) => a * b, 1), 3);
    const special = [-3, 3, 0, -0, 6, -6, NaN, 2.9999998, -3.0000002, 3.0000002];
    for (let i = 0; i < v.length; i += 3) v[i] = special[(i / 3) % special.length];
    return [tf.tensor(v, shape)];
  };
  for (const shape of shapes) {
    both((x) => activation(x, 'hard-swish'), make(shape), `hard-swish ${shape}`, 0);
    both((x) => activation(x, 'hard-sigmoid'), make(shape), `hard-sigmoid ${shape}`, 0);
    both((x) => activation(x, 'hard-sigmoid', 0.2, 0.5), make(shape), `hard-sigmoid 0.2/0.5 ${shape}`, 0);
  }
  const x = tf.randomNormal([2, 3, 3, 4]);
  const prof = await tf.profile(() => [activation(x, 'hard-swish'), activation(x, 'hard-sigmoid')]);
  for (const name of [HARD_SWISH, HARD_SIGMOID]) assert.ok(prof.kernels.some((k) => k.name === name), name);
  tf.dispose([x, ...(prof.result as tf.Tensor[])]);
});

test('ReLU on the float bits: signed NaNs, zeros, infinities and denormals as tfjs', () => {
  const bits = new Int32Array([0, 0x80000000 | 0, 0x7fc00000, 0xffc00000 | 0, 0x7f800000, 0xff800000 | 0, 1, 0x80000001 | 0, 0x3f800000, 0xbf800000 | 0, 0x7f800001, 0xff800001 | 0]);
  const x = new Float32Array(bits.buffer);
  const y = reluForward(x);
  const dy = Float32Array.from(x, (_, i) => i + 1);
  const dx = reluBackward(dy, y);
  x.forEach((v, i) => {
    const want = v < 0 ? 0 : v; // tfjs-backend-cpu's Relu (NaN stays NaN)
    assert.ok(Object.is(y[i], want) || (y[i] === 0 && want === 0), `relu(${v}) = ${y[i]}`);
    const g = y[i] > 0 ? dy[i] : y[i] !== y[i] ? NaN : 0; // Step-based gradient
    assert.ok(Object.is(dx[i], g) || (dx[i] === 0 && g === 0), `relu'(${v}) = ${dx[i]}`);
  });
});
