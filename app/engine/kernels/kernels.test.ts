/**
 * Each fast cpu convolution kernel against tfjs-backend-cpu's own kernel on random shapes
 * (strides 1/2, valid/same/explicit pads, kernels 1/3/5, channels 1..33, batch 1..4), and tf.grad
 * of a conv + depthwise-conv layer with the fast kernels against the same with tfjs' kernels.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { tf } from '../tf.js';
import { FAST_KERNEL_NAMES, fastCpuKernel, fastCpuKernelsActive, originalCpuKernel, useFastCpuKernels } from './register.js';
import { Rng } from '../../model/random.js';
import { useWasmKernels, wasmKernels } from './wasm/module.js';
import { tapClasses, trimTaps } from './conv2d.js';
import { geometry } from './conv-kernels.js';

type FastKernelName = string;
type Pad = 'valid' | 'same' | [[number, number], [number, number], [number, number], [number, number]];

function runBoth(name: FastKernelName, inputs: Record<string, tf.Tensor>, attrs: tf.NamedAttrMap): { fast: Float32Array; ref: Float32Array; shape: number[] } {
  const backend = tf.backend();
  const call = (f: tf.KernelFunc) => {
    const out = f({ inputs, backend, attrs }) as tf.TensorInfo;
    const vals = backend.readSync(out.dataId) as Float32Array;
    const copy = Float32Array.from(vals);
    backend.disposeData(out.dataId);
    return { vals: copy, shape: out.shape };
  };
  const original = originalCpuKernel(name);
  assert.ok(original, `original ${name} kept`);
  const f = call(fastCpuKernel(name));
  const r = call(original);
  assert.deepEqual(f.shape, r.shape, `${name} shape`);
  return { fast: f.vals, ref: r.vals, shape: f.shape };
}

function assertClose(name: string, fast: Float32Array, ref: Float32Array, what: string): void {
  assert.equal(fast.length, ref.length, `${name} length (${what})`);
  let maxRef = 0;
  let maxDiff = 0;
  for (let i = 0; i < ref.length; i++) {
    maxRef = Math.max(maxRef, Math.abs(ref[i]));
    maxDiff = Math.max(maxDiff, Math.abs(fast[i] - ref[i]));
  }
  assert.ok(maxDiff <= 1e-4 * Math.max(1, maxRef), `${name} ${what}: max |Δ| ${maxDiff} vs max |ref| ${maxRef}`);
}

function randomCase(rng: Rng, depthwise: boolean) {
  const k = [1, 3, 5][Math.floor(rng.next() * 3)];
  const stride = rng.next() < 0.5 ? 1 : 2;
  const n = 1 + Math.floor(rng.next() * 4);
  const h = k + Math.floor(rng.next() * 9);
  const w = k + Math.floor(rng.next() * 9);
  const ci = 1 + Math.floor(rng.next() * 33);
  const co = depthwise ? 1 : 1 + Math.floor(rng.next() * 33);
  const r = rng.next();
  const pad: Pad =
    r < 0.33 ? 'valid' : r < 0.66 ? 'same' : [[0, 0], [Math.floor(rng.next() * k), Math.floor(rng.next() * k)], [Math.floor(rng.next() * k), Math.floor(rng.next() * k)], [0, 0]];
  return { k, stride, n, h, w, ci, co, pad };
}

function tensor(rng: Rng, shape: number[]): tf.Tensor {
  const size = shape.reduce((a, b) => a * b, 1);
  return tf.tensor(rng.normalArray(size, 1), shape, 'float32');
}

test('the fast kernels are registered on the cpu backend', async () => {
  assert.ok(await tf.setBackend('cpu'));
  useFastCpuKernels(true); // a no-op unless SEPRUNE_CPU_KERNELS=tfjs kept tfjs' kernels
  assert.ok(fastCpuKernelsActive());
  for (const name of FAST_KERNEL_NAMES) assert.equal(tf.getKernel(name, 'cpu')?.kernelFunc, fastCpuKernel(name), name);
});

test('the wasm SIMD module (matrix product, patch moves, batch norm, depthwise) compiles here (Node 20 has wasm SIMD)', () => {
  const was = useWasmKernels(true);
  assert.ok(wasmKernels(), 'wasm module unavailable: the kernels would silently use their JS loops');
  useWasmKernels(was);
});

for (const wasm of [true, false]) test(`conv2d forward and both gradients equal tfjs-cpu on random shapes (${wasm ? 'wasm SIMD' : 'JS'} product)`, () => {
  const was = useWasmKernels(wasm);
  const rng = new Rng(7);
  for (let t = 0; t < 60; t++) {
    const c = randomCase(rng, false);
    const x = tensor(rng, [c.n, c.h, c.w, c.ci]);
    const filter = tensor(rng, [c.k, c.k, c.ci, c.co]);
    const what = JSON.stringify(c);
    const base = { strides: [c.stride, c.stride], pad: c.pad, dataFormat: 'NHWC', dimRoundingMode: undefined } as unknown as tf.NamedAttrMap;
    const fwd = runBoth('Conv2D', { x, filter }, { ...base, dilations: [1, 1] });
    assertClose('Conv2D', fwd.fast, fwd.ref, what);
    const dy = tensor(rng, fwd.shape);
    const bi = runBoth('Conv2DBackpropInput', { dy, filter }, { ...base, inputShape: x.shape });
    assertClose('Conv2DBackpropInput', bi.fast, bi.ref, what);
    const bf = runBoth('Conv2DBackpropFilter', { x, dy }, { ...base, filterShape: filter.shape });
    assertClose('Conv2DBackpropFilter', bf.fast, bf.ref, what);
    tf.dispose([x, filter, dy]);
  }
  useWasmKernels(was);
});

for (const wasm of [true, false]) test(`conv2d on images smaller than the kernel (taps only padding reaches are skipped) equals tfjs-cpu (${wasm ? 'wasm SIMD' : 'JS'} product)`, () => {
  const was = useWasmKernels(wasm);
  const rng = new Rng(8);
  let trimmed = 0;
  for (let t = 0; t < 40; t++) {
    const k = [3, 5][t % 2];
    const stride = 1 + ((t >> 1) % 2);
    const h = 1 + Math.floor(rng.next() * 3);
    const w = 1 + Math.floor(rng.next() * 3);
    const [n, ci, co] = [1 + Math.floor(rng.next() * 3), 1 + Math.floor(rng.next() * 20), 1 + Math.floor(rng.next() * 20)];
    const p = () => Math.floor(rng.next() * k);
    const pad: Pad = t % 5 === 0 ? 'same' : [[0, 0], [p(), p()], [p(), p()], [0, 0]];
    const info = tf.backend_util.computeConv2DInfo([n, h, w, ci], [k, k, ci, co], [stride, stride], 1, pad);
    if (info.outHeight < 1 || info.outWidth < 1) continue;
    if (trimTaps(geometry(info)!)) trimmed++;
    const x = tensor(rng, [n, h, w, ci]);
    const filter = tensor(rng, [k, k, ci, co]);
    const what = JSON.stringify({ k, stride, n, h, w, ci, co, pad });
    const base = { strides: [stride, stride], pad, dataFormat: 'NHWC', dimRoundingMode: undefined } as unknown as tf.NamedAttrMap;
    const fwd = runBoth('Conv2D', { x, filter }, { ...base, dilations: [1, 1] });
    assertClose('Conv2D', fwd.fast, fwd.ref, what);
    const dy = tensor(rng, fwd.shape);
    const bi = runBoth('Conv2DBackpropInput', { dy, filter }, { ...base, inputShape: x.shape });
    assertClose('Conv2DBackpropInput', bi.fast, bi.ref, what);
    const bf = runBoth('Conv2DBackpropFilter', { x, dy }, { ...base, filterShape: filter.shape });
    assertClose('Conv2DBackpropFilter', bf.fast, bf.ref, what);
    tf.dispose([x, filter, dy]);
  }
  assert.ok(trimmed >= 20, `${trimmed} of the cases skip taps`);
  useWasmKernels(was);
});

for (const wasm of [true, false]) test(`depthwise conv forward and both gradients equal tfjs-cpu on random shapes (${wasm ? 'wasm SIMD' : 'JS'} loops)`, () => {
  const was = useWasmKernels(wasm);
  const rng = new Rng(11);
  for (let t = 0; t < 60; t++) {
    const c = randomCase(rng, true);
    const x = tensor(rng, [c.n, c.h, c.w, c.ci]);
    const filter = tensor(rng, [c.k, c.k, c.ci, 1]);
    const what = JSON.stringify(c);
    const base = { strides: [c.stride, c.stride], pad: c.pad, dilations: [1, 1], dimRoundingMode: undefined } as unknown as tf.NamedAttrMap;
    const fwd = runBoth('DepthwiseConv2dNative', { x, filter }, base);
    assertClose('DepthwiseConv2dNative', fwd.fast, fwd.ref, what);
    const dy = tensor(rng, fwd.shape);
    const bi = runBoth('DepthwiseConv2dNativeBackpropInput', { dy, filter }, { ...base, inputShape: x.shape });
    assertClose('DepthwiseConv2dNativeBackpropInput', bi.fast, bi.ref, what);
    const bf = runBoth('DepthwiseConv2dNativeBackpropFilter', { x, dy }, { ...base, filterShape: filter.shape });
    assertClose('DepthwiseConv2dNativeBackpropFilter', bf.fast, bf.ref, what);
    tf.dispose([x, filter, dy]);
  }
  useWasmKernels(was);
});

test('unhandled cases (dilation 2, channel multiplier 2) fall back to tfjs-cpu', () => {
  const rng = new Rng(3);
  const x = tensor(rng, [2, 9, 9, 3]);
  const filter = tensor(rng, [3, 3, 3, 4]);
  const dil = runBoth('Conv2D', { x, filter }, { strides: [1, 1], pad: 'same', dilations: [2, 2], dataFormat: 'NHWC' } as unknown as tf.NamedAttrMap);
  assert.deepEqual(Array.from(dil.fast), Array.from(dil.ref));
  const dwFilter = tensor(rng, [3, 3, 3, 2]);
  const mul = runBoth('DepthwiseConv2dNative', { x, filter: dwFilter }, { strides: [2, 2], pad: 'valid', dilations: [1, 1] } as unknown as tf.NamedAttrMap);
  assert.deepEqual(Array.from(mul.fast), Array.from(mul.ref));
  tf.dispose([x, filter, dwFilter]);
});

test('tf.grad of a conv + depthwise layer is the same with fast and tfjs kernels', () => {
  const rng = new Rng(5);
  const x = tensor(rng, [3, 12, 12, 5]) as tf.Tensor4D;
  const w1 = tensor(rng, [3, 3, 5, 8]) as tf.Tensor4D;
  const w2 = tensor(rng, [3, 3, 8, 1]) as tf.Tensor4D;
  const w3 = tensor(rng, [1, 1, 8, 6]) as tf.Tensor4D;
  const loss = (xx: tf.Tensor4D, a: tf.Tensor4D, b: tf.Tensor4D, c: tf.Tensor4D) => {
    const h1 = tf.relu(tf.conv2d(xx, a, 2, 'same'));
    const h2 = tf.depthwiseConv2d(h1, b, 1, [[0, 0], [1, 0], [0, 1], [0, 0]]);
    const h3 = tf.conv2d(h2, c, 1, 'valid');
    return tf.sum(tf.square(h3)) as tf.Scalar;
  };
  const grads = () => {
    const g = tf.grads((...a: tf.Tensor[]) => loss(...(a as [tf.Tensor4D, tf.Tensor4D, tf.Tensor4D, tf.Tensor4D])))([x, w1, w2, w3]);
    const out = g.map((t) => t.dataSync() as Float32Array);
    tf.dispose(g);
    return out;
  };
  const fast = grads();
  useFastCpuKernels(false);
  try {
    assert.notEqual(tf.getKernel('Conv2DBackpropFilter', 'cpu')?.kernelFunc, fastCpuKernel('Conv2DBackpropFilter'));
    const ref = grads();
    fast.forEach((f, i) => assertClose('tf.grads', f, ref[i], `input ${i}`));
  } finally {
    useFastCpuKernels(true);
  }
  assert.equal(tf.getKernel('Conv2DBackpropFilter', 'cpu')?.kernelFunc, fastCpuKernel('Conv2DBackpropFilter'));
  tf.dispose([x, w1, w2, w3]);
});

test('tap classes cover every output pixel once, each with exactly the taps that reach the image', () => {
  const rng = new Rng(9);
  for (let t = 0; t < 30; t++) {
    const k = [3, 5, 7][t % 3];
    const s = 1 + (t % 2);
    const [inH, inW] = [1 + Math.floor(rng.next() * 9), 1 + Math.floor(rng.next() * 9)];
    const [padTop, padLeft] = [Math.floor(rng.next() * k), Math.floor(rng.next() * k)];
    const outH = Math.floor((inH + padTop + Math.floor(rng.next() * k) - k) / s) + 1;
    const outW = Math.floor((inW + padLeft + Math.floor(rng.next() * k) - k) / s) + 1;
    if (outH < 1 || outW < 1) continue;
    const g = { batch: 2, inH, inW, inC: 3, outH, outW, outC: 4, kH: k, kW: k, strideH: s, strideW: s, padTop, padLeft };
    const classes = tapClasses(g);
    const seen = new Int32Array(2 * outH * outW);
    for (const cl of classes ?? []) {
      for (const p of cl.pixels) {
        seen[p]++;
        const oh = Math.floor((p % (outH * outW)) / outW);
        const ow = p % outW;
        for (let kh = 0; kh < k; kh++) {
          const inside = oh * s - padTop + kh >= 0 && oh * s - padTop + kh < inH;
          assert.equal(kh >= cl.khA && kh <= cl.khB, inside, `${JSON.stringify(g)} pixel ${p} row tap ${kh}`);
        }
        for (let kw = 0; kw < k; kw++) {
          const inside = ow * s - padLeft + kw >= 0 && ow * s - padLeft + kw < inW;
          assert.equal(kw >= cl.kwA && kw <= cl.kwB, inside, `${JSON.stringify(g)} pixel ${p} column tap ${kw}`);
        }
      }
    }
    if (classes) assert.ok(seen.every((v) => v === 1), `${JSON.stringify(g)}: every pixel in one class`);
  }
});
