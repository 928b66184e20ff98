/**
 * The BatchMatMul kernel (wasm product, and the JS product with the module off) against
 * tfjs-backend-cpu's own on random shapes: every transpose combination, batch dimensions equal
 * or broadcast from 1, ragged sizes (n not a multiple of 8, m not of 4), rank 2 and rank 4.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { tf } from '../tf.js';
import { fastCpuKernel, originalCpuKernel } from './register.js';
import { useWasmKernels } from './wasm/module.js';
import { Rng } from '../../model/random.js';

function run(f: tf.KernelFunc, inputs: Record<string, tf.Tensor>, attrs: tf.NamedAttrMap): { vals: Float32Array; shape: number[] } {
  const backend = tf.backend();
  const out = f({ inputs, backend, attrs }) as tf.TensorInfo;
  const vals = Float32Array.from(backend.readSync(out.dataId) as Float32Array);
  backend.disposeData(out.dataId);
  return { vals, shape: out.shape };
}

for (const wasm of [true, false]) {
  test(`BatchMatMul equals tfjs-cpu (${wasm ? 'wasm' : 'JS'} product)`, () => {
    const was = useWasmKernels(wasm);
    try {
      const rng = new Rng(31);
      const dim = (max: number) => 1 + Math.floor(rng.next() * max);
      for (let t = 0; t < 48; t++) {
        const [m, n, k] = [dim(t < 40 ? 13 : 70), dim(t < 40 ? 21 : 90), dim(t < 40 ? 17 : 600)];
        const transposeA = (t & 1) === 1;
        const transposeB = (t & 2) === 2;
        const batchKind = (t >> 2) % 4; // 0: rank 2, 1: equal batches, 2: A broadcast, 3: B broadcast
        const bt = dim(3);
        const outer: [number[], number[]] = batchKind === 0 ? [[], []] : batchKind === 1 ? [[bt, 2], [bt, 2]] : batchKind === 2 ? [[1], [bt]] : [[bt], [1]];
        const aShape = [...outer[0], ...(transposeA ? [k, m] : [m, k])];
        const bShape = [...outer[1], ...(transposeB ? [n, k] : [k, n])];
        const a = tf.tensor(rng.normalArray(aShape.reduce((x, y) => x * y, 1), 1), aShape);
        const b = tf.tensor(rng.normalArray(bShape.reduce((x, y) => x * y, 1), 1), bShape);
        const attrs = { transposeA, transposeB };
        const fast = run(fastCpuKernel('BatchMatMul'), { a, b }, attrs);
        const ref = run(originalCpuKernel('BatchMatMul')!, { a, b }, attrs);
        const what = `${JSON.stringify(aShape)}·${JSON.stringify(bShape)} tA ${transposeA} tB ${transposeB}`;
        assert.deepEqual(fast.shape, ref.shape, what);
        let maxDiff = 0;
        for (let i = 0; i < ref.vals.length; i++) maxDiff = Math.max(maxDiff, Math.abs(fast.vals[i] - ref.vals[i]));
        assert.ok(maxDiff <= 1e-4 * Math.sqrt(k), `${what}: max |Δ| ${maxDiff}`);
        tf.dispose([a, b]);
      }
    } finally {
      useWasmKernels(was);
    }
  });
}
