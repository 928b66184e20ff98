/**
 * Every kernel register.ts puts on the cpu backend, against WebGPU (tfjs-backend-webgpu on Dawn;
 * SwiftShader when there is no GPU): outputs and gradients of the ops that use them, on the cpu
 * backend with the fast kernels and on webgpu, within 1e-4 relative (largest difference over
 * the largest value).
 *
 * On webgpu no custom kernel is registered: the replaced tfjs kernels (Conv2D, Add, …) are
 * tfjs-backend-webgpu's own, and the added ones (fused batch norm, ReLU, SE squeeze/scale,
 * grouped 1×1 conv) are skipped by ops.ts in favour of the plain tfjs ops they fuse, whose
 * webgpu kernels and gradients these cases run. A machine without WebGPU fails here, naming the
 * missing package.
 */
import { before, test } from 'node:test';
import assert from 'node:assert/strict';
import { tf } from '../tf.js';
import { activation, batchNormTrain, channelShuffle, conv2d, pool, squeezeExcite, type ConvAttrs } from '../ops.js';
import { ADDED_KERNEL_NAMES, FAST_KERNEL_NAMES, fastCpuKernelsActive, useFastCpuKernels } from './register.js';
import { channelScale, relu, spatialMean } from './fused.js';
import { ADAMW_STEP, SGD_STEP } from './optim.js';
import { adamWUpdate, sgdUpdate } from '../../train/optimizers.js';
import { Rng } from '../../model/random.js';
import { onCpu, relErr, useWebGpu } from '../webgpu-test-support.js';

const TOL = 1e-4;

before(async () => {
  useFastCpuKernels(true);
  await useWebGpu();
});

function randn(shape: number[], seed: number, scale = 1): { v: Float32Array; shape: number[] } {
  const rng = new Rng(seed);
  const n = shape.reduce((a, b) => a * b, 1);
  return { v: Float32Array.from({ length: n }, () => scale * rng.normal()), shape };
}

type Input = { v: Float32Array; shape: number[] };

/** The outputs of f and the gradients of Σ f(x)·w (fixed random w per output) for every input. */
async function evaluate(f: (...xs: tf.Tensor[]) => tf.Tensor[], inputs: Input[]): Promise<Float32Array[]> {
  const outs = tf.tidy(() => {
    const xs = inputs.map((i) => tf.tensor(i.v, i.shape));
    const ys = f(...xs);
    const ws = ys.map((y, k) => {
      const r = randn(y.shape, 100 + k);
      return tf.tensor(r.v, r.shape);
    });
    const grads = tf.grads((...a: tf.Tensor[]) => tf.addN(f(...a).map((y, k) => tf.sum(tf.mul(y, ws[k])))) as tf.Scalar)(xs);
    return [...ys, ...grads];
  });
  const out = await Promise.all(outs.map(async (t) => Float32Array.from(await t.data<'float32'>())));
  tf.dispose(outs);
  return out;
}

const covered = new Set<string>();

async function compare(what: string, kernels: string[], f: (...xs: tf.Tensor[]) => tf.Tensor[], inputs: Input[]): Promise<void> {
  const ref = await onCpu(() => {
    assert.ok(fastCpuKernelsActive(), 'the reference runs the fast cpu kernels');
    return evaluate(f, inputs);
  });
  const before = tf.memory().numTensors;
  const got = await evaluate(f, inputs);
  assert.equal(tf.memory().numTensors, before, `${what}: no tensors leak on webgpu`);
  assert.equal(got.length, ref.length);
  const names = [...Array(got.length - inputs.length).keys()].map((i) => `output ${i}`).concat(inputs.map((_, i) => `d/d input ${i}`));
  for (let i = 0; i < ref.length; i++) {
    const e = relErr(got[i], ref[i]);
    assert.ok(e <= TOL, `${what} ${names[i]}: relative error ${e.toExponential(2)} > ${TOL}`);
  }
  for (const k of kernels) covered.add(k);
}

const convAttrs = (o: Partial<ConvAttrs>): ConvAttrs => ({ strides: [1, 1], pads: [0, 0, 0, 0], dilations: [1, 1], groups: 1, ...o });

test('tfjs-backend-webgpu has its own kernel for every tfjs kernel the cpu backend replaces', () => {
  assert.equal(tf.getBackend(), 'webgpu');
  for (const name of FAST_KERNEL_NAMES) assert.ok(tf.getKernel(name, 'webgpu'), `webgpu has ${name}`);
  // The added kernels stay cpu-only; ops.ts then uses the plain tfjs ops (checked below).
  for (const name of ADDED_KERNEL_NAMES) assert.equal(tf.getKernel(name, 'webgpu'), undefined, `${name} is cpu-only`);
});

test('convolutions: plain (padded, strided, dilated), depthwise, grouped 1×1, and their gradients', async () => {
  const conv = ['Conv2D', 'Conv2DBackpropInput', 'Conv2DBackpropFilter', 'PadV2', 'Slice', 'SePruneConv2DBias'];
  await compare('conv 3×3 pad 1 stride 2', conv, (x, k, b) => [conv2d(x as tf.Tensor4D, k as tf.Tensor4D, convAttrs({ strides: [2, 2], pads: [1, 1, 1, 1] }), b)], [
    randn([2, 7, 7, 3], 1),
    randn([3, 3, 3, 5], 2, 0.3),
    randn([5], 3),
  ]);
  await compare('conv 3×3 dilation 2, uneven pads', conv, (x, k) => [conv2d(x as tf.Tensor4D, k as tf.Tensor4D, convAttrs({ dilations: [2, 2], pads: [2, 1, 2, 1] }))], [
    randn([1, 6, 6, 2], 4),
    randn([3, 3, 2, 4], 5, 0.3),
  ]);
  const dw = ['DepthwiseConv2dNative', 'DepthwiseConv2dNativeBackpropInput', 'DepthwiseConv2dNativeBackpropFilter'];
  await compare('depthwise 3×3 stride 2, multiplier 2', dw, (x, k) => [conv2d(x as tf.Tensor4D, k as tf.Tensor4D, convAttrs({ strides: [2, 2], pads: [1, 1, 1, 1], groups: 4 }))], [
    randn([2, 6, 6, 4], 6),
    randn([3, 3, 1, 8], 7, 0.3),
  ]);
  await compare('depthwise 5×5 stride 1', dw, (x, k) => [conv2d(x as tf.Tensor4D, k as tf.Tensor4D, convAttrs({ pads: [2, 2, 2, 2], groups: 3 }))], [
    randn([1, 5, 5, 3], 8),
    randn([5, 5, 1, 3], 9, 0.3),
  ]);
  const group = ['SePruneGroupConv1x1', 'SePruneGroupConv1x1BackpropInput', 'SePruneGroupConv1x1BackpropFilter', 'SplitV'];
  await compare('grouped 1×1, 3 groups, bias', group, (x, k, b) => [conv2d(x as tf.Tensor4D, k as tf.Tensor4D, convAttrs({ groups: 3 }), b)], [
    randn([2, 4, 4, 6], 10),
    randn([1, 1, 2, 9], 11, 0.5),
    randn([9], 12),
  ]);
  await compare('grouped 1×1, 2 groups, stride 2', group, (x, k) => [conv2d(x as tf.Tensor4D, k as tf.Tensor4D, convAttrs({ groups: 2, strides: [2, 2] }))], [
    randn([1, 5, 5, 4], 13),
    randn([1, 1, 2, 6], 14, 0.5),
  ]);
});

test('training batch norm (alone and with ReLU): y, batch mean, unbiased variance and gradients', async () => {
  const bn = ['SePruneBatchNormTrain', 'SePruneBatchNormTrainGrad', 'Mean', 'Sum', 'Sub', 'Multiply', 'Add'];
  for (const withRelu of [false, true]) {
    await compare(`batch norm${withRelu ? ' + relu' : ''}`, bn, (x, g, b) => {
      const r = batchNormTrain(x, g, b, 1e-5, withRelu);
      return [r.y, r.mean, r.unbiasedVar];
    }, [randn([3, 4, 5, 6], 20, 2), randn([6], 21), randn([6], 22)]);
  }
});

test('ReLU, spatial mean, channel scale and the whole squeeze-and-excitation block', async () => {
  await compare('relu', ['SePruneRelu', 'SePruneReluGrad', 'Relu', 'Step'], (x) => [relu(x)], [randn([2, 3, 3, 5], 30)]);
  await compare('spatial mean', ['SePruneSpatialMean', 'SePruneSpatialMeanGrad', 'Mean'], (x) => [spatialMean(x as tf.Tensor4D)], [randn([2, 3, 4, 5], 31)]);
  await compare('channel scale', ['SePruneChannelScale', 'SePruneChannelScaleGrad', 'Multiply', 'Sum'], (x, s) => [channelScale(x as tf.Tensor4D, s as tf.Tensor2D)], [
    randn([2, 3, 4, 5], 32),
    randn([2, 5], 33),
  ]);
  for (const gate of ['sigmoid', 'hard-sigmoid'] as const) {
    await compare(`SE block, ${gate} gate`, ['RealDiv', 'BatchMatMul', ...(gate === 'hard-sigmoid' ? ['SePruneHardSigmoid', 'SePruneHardSigmoidGrad'] : [])], (x, fc1, b1, fc2, b2) => {
      const r = squeezeExcite(x as tf.Tensor4D, { fc1: fc1 as tf.Tensor2D, fc1Bias: b1, fc2: fc2 as tf.Tensor2D, fc2Bias: b2 }, { gate, gateAlpha: 1 / 6, gateBeta: 0.5, innerAct: 'relu' });
      return [r.y, r.gate];
    }, [randn([2, 4, 4, 8], 34), randn([8, 2], 35, 0.5), randn([2], 36), randn([2, 8], 37, 0.5), randn([8], 38)]);
  }
  await compare('hard-swish', ['SePruneHardSwish', 'SePruneHardSwishGrad'], (x) => [activation(x, 'hard-swish')], [randn([2, 9], 39, 3)]);
});

test('channel shuffle, average pooling (with padding excluded) and its gradient', async () => {
  await compare('channel shuffle, 3 groups', ['Transpose'], (x) => [channelShuffle(x as tf.Tensor4D, 3)], [randn([2, 3, 3, 6], 40)]);
  const avg = { type: 'avg' as const, global: false, kernel: [3, 3] as [number, number], strides: [2, 2] as [number, number], pads: [1, 1, 1, 1] as [number, number, number, number], countIncludePad: false };
  await compare('avg pool 3×3 stride 2 pad 1', ['AvgPoolGrad', 'RealDiv'], (x) => [pool(x as tf.Tensor4D, avg)], [randn([2, 6, 6, 3], 41)]);
  const max = { ...avg, type: 'max' as const };
  await compare('max pool 3×3 stride 2 pad 1', ['MaxPool', 'MaxPoolGrad'], (x) => [pool(x as tf.Tensor4D, max)], [randn([2, 6, 6, 3], 42)]);
});

test('the optimiser updates (SGD with momentum, Nesterov; AdamW) equal their tfjs ops on webgpu', async () => {
  const inputs = [randn([5, 7], 50), randn([5, 7], 51), randn([5, 7], 52), randn([5, 7], 53, 0.1)];
  const run = () =>
    tf.tidy(() => {
      const [v, g, a, b] = inputs.map((i) => tf.tensor(i.v, i.shape));
      const sq = tf.abs(b);
      return [
        ...sgdUpdate(v, g, a, 0.1, 0.01, 0.9, false),
        ...sgdUpdate(v, g, a, 0.1, 0.05, 0.8, true),
        ...adamWUpdate(v, g, a, sq, { lr: 0.01, wd: 0.1, b1: 0.9, b2: 0.999, eps: 1e-8, t: 3 }),
      ].filter((t): t is tf.Tensor => t !== undefined);
    });
  const read = async (ts: tf.Tensor[]) => {
    const out = await Promise.all(ts.map(async (t) => Float32Array.from(await t.data<'float32'>())));
    tf.dispose(ts);
    return out;
  };
  const ref = await onCpu(() => read(run()));
  const got = await read(run());
  assert.equal(got.length, ref.length);
  got.forEach((v, i) => assert.ok(relErr(v, ref[i]) <= TOL, `update output ${i}: relative error ${relErr(v, ref[i]).toExponential(2)}`));
  for (const k of [SGD_STEP, ADAMW_STEP]) covered.add(k);
});

test('every kernel register.ts adds or replaces on cpu was compared on webgpu', () => {
  const missing = [...FAST_KERNEL_NAMES, ...ADDED_KERNEL_NAMES].filter((k) => !covered.has(k));
  assert.deepEqual(missing, [], 'a case above exercises each (on cpu: the fast kernel; on webgpu: what replaces it)');
});
