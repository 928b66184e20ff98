/**
 * The grouped 1×1 convolution kernels (group-conv.ts) against SplitV + per-group conv + Concat
 * on tfjs-backend-cpu's own kernels: values and both gradients, groups 2–4, channel counts per
 * group that are and are not multiples of 8, batch 1, through the wasm product and the JS one.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { tf } from '../tf.js';
import { conv2d } from '../ops.js';
import { GROUP_CONV } from './group-conv.js';
import { useFastCpuKernels } from './register.js';
import { useWasmKernels } from './wasm/module.js';
import { Rng } from '../../model/random.js';

// These tests are about the fast kernels: on even where SEPRUNE_CPU_KERNELS=tfjs kept tfjs' own.
useFastCpuKernels(true);

const attrs = (groups: number) => ({ strides: [1, 1] as [number, number], pads: [0, 0, 0, 0] as [number, number, number, number], dilations: [1, 1] as [number, number], groups });

function valueAndGrads(xv: Float32Array, xShape: number[], wv: Float32Array, wShape: number[], rv: Float32Array, groups: number): Float32Array[] {
  const x = tf.tensor4d(xv, xShape as [number, number, number, number]);
  const w = tf.tensor4d(wv, wShape as [number, number, number, number]);
  const y = conv2d(x, w, attrs(groups));
  const r = tf.tensor(rv, y.shape);
  const grads = tf.grads((a: tf.Tensor, b: tf.Tensor) => tf.sum(tf.mul(conv2d(a as tf.Tensor4D, b as tf.Tensor4D, attrs(groups)), r)) as tf.Scalar)([x, w]);
  const out = [y, ...grads].map((t) => Float32Array.from(t.dataSync() as Float32Array));
  tf.dispose([x, w, y, r, ...grads]);
  return out;
}

for (const wasm of [true, false]) {
  test(`grouped 1×1 conv equals split + conv + concat on tfjs kernels, with gradients (${wasm ? 'wasm' : 'JS'} product)`, async () => {
    const was = useWasmKernels(wasm);
    const rng = new Rng(21);
    const cases = [
      { n: 2, h: 5, w: 3, I: 6, O: 9, G: 3 },
      { n: 1, h: 4, w: 4, I: 24, O: 48, G: 3 },
      { n: 3, h: 2, w: 7, I: 8, O: 20, G: 4 },
      { n: 1, h: 1, w: 1, I: 10, O: 6, G: 2 },
      { n: 2, h: 6, w: 6, I: 36, O: 60, G: 3 },
    ];
    for (const c of cases) {
      const xShape = [c.n, c.h, c.w, c.I];
      const wShape = [1, 1, c.I / c.G, c.O];
      const xv = Float32Array.from(rng.normalArray(c.n * c.h * c.w * c.I, 1));
      const wv = Float32Array.from(rng.normalArray((c.I / c.G) * c.O, 1));
      const rv = Float32Array.from(rng.normalArray(c.n * c.h * c.w * c.O, 1));
      const prof = await tf.profile(() => valueAndGrads(xv, xShape, wv, wShape, rv, c.G)[0].length);
      assert.ok(prof.kernels.some((k) => k.name === GROUP_CONV), 'the grouped kernel ran');
      const fast = valueAndGrads(xv, xShape, wv, wShape, rv, c.G);
      useFastCpuKernels(false);
      let ref: Float32Array[];
      try {
        ref = valueAndGrads(xv, xShape, wv, wShape, rv, c.G);
      } finally {
        useFastCpuKernels(true);
      }
      fast.forEach((f, k) => {
        assert.equal(f.length, ref[k].length);
        for (let i = 0; i < f.length; i++) assert.ok(Math.abs(f[i] - ref[k][i]) <= 1e-4 * (1 + Math.abs(ref[k][i])), `${JSON.stringify(c)} output ${k} at ${i}: ${f[i]} vs ${ref[k][i]}`);
      });
    }
    useWasmKernels(was);
  });
}
