/**
 * The fast broadcasting arithmetic, Sum / Mean, Slice and SplitV kernels against
 * tfjs-backend-cpu's own kernels on random shapes and broadcast patterns.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { tf } from '../tf.js';
import { fastCpuKernel, originalCpuKernel } from './register.js';
import { Rng } from '../../model/random.js';

function run(f: tf.KernelFunc, inputs: Record<string, tf.Tensor>, attrs: tf.NamedAttrMap): { vals: Float32Array; shape: number[] }[] {
  const backend = tf.backend();
  const out = f({ inputs, backend, attrs });
  const list = Array.isArray(out) ? out : [out];
  return list.map((t) => {
    const vals = Float32Array.from(backend.readSync(t.dataId) as Float32Array);
    backend.disposeData(t.dataId);
    return { vals, shape: t.shape };
  });
}

function compare(name: string, inputs: Record<string, tf.Tensor>, attrs: tf.NamedAttrMap, what: string): void {
  const original = originalCpuKernel(name);
  assert.ok(original, name);
  const fast = run(fastCpuKernel(name), inputs, attrs);
  const ref = run(original, inputs, attrs);
  assert.equal(fast.length, ref.length, `${name} outputs (${what})`);
  fast.forEach((f, k) => {
    const r = ref[k];
    assert.deepEqual(f.shape, r.shape, `${name} shape (${what})`);
    let maxRef = 0;
    let maxDiff = 0;
    for (let i = 0; i < r.vals.length; i++) {
      const a = f.vals[i];
      const b = r.vals[i];
      if (a === b || (a !== a && b !== b)) continue; // equal, infinities and NaN included
      maxRef = Math.max(maxRef, Math.abs(b));
      maxDiff = Math.max(maxDiff, Math.abs(a - b));
    }
    assert.ok(maxDiff <= 1e-5 * Math.max(1, maxRef), `${name} ${what}: max |Δ| ${maxDiff}`); // NaN fails
  });
}

function rand(rng: Rng, shape: number[], positive = false): tf.Tensor {
  const v = rng.normalArray(shape.reduce((a, b) => a * b, 1), 1);
  if (positive) for (let i = 0; i < v.length; i++) v[i] = 0.5 + Math.abs(v[i]);
  return tf.tensor(v, shape, 'float32');
}

const dim = (rng: Rng, max: number) => 1 + Math.floor(rng.next() * max);

test('Multiply / Add / Sub / RealDiv equal tfjs-cpu for the executor broadcast patterns', () => {
  const rng = new Rng(21);
  for (let t = 0; t < 40; t++) {
    const [n, h, w, c] = [dim(rng, 3), dim(rng, 6), dim(rng, 6), dim(rng, 20)];
    const full = [n, h, w, c];
    const others = [full, [c], [n, 1, 1, c], [], [1, 1, 1, c], [h, w, 1], [n, h, w, 1]];
    const other = others[t % others.length];
    for (const name of ['Multiply', 'Add', 'Sub', 'RealDiv']) {
      const a = rand(rng, full);
      const b = rand(rng, other, name === 'RealDiv');
      const swap = rng.next() < 0.3 && name !== 'RealDiv';
      compare(name, swap ? { a: b, b: a } : { a, b }, {}, `${JSON.stringify(full)} ${JSON.stringify(other)} swap=${swap}`);
      tf.dispose([a, b]);
    }
  }
});

test('Sum and Mean over any axes equal tfjs-cpu', () => {
  const rng = new Rng(22);
  for (let t = 0; t < 40; t++) {
    const rank = 1 + Math.floor(rng.next() * 4);
    const shape = Array.from({ length: rank }, () => dim(rng, 7));
    const axes = shape.map((_, i) => i).filter(() => rng.next() < 0.5);
    const x = rand(rng, shape);
    const keepDims = rng.next() < 0.5;
    for (const name of ['Sum', 'Mean']) compare(name, { x }, { axis: axes.length ? axes : [rank - 1], keepDims }, `${JSON.stringify(shape)} ${JSON.stringify(axes)}`);
    tf.dispose(x);
  }
});

test('Slice and SplitV equal tfjs-cpu', () => {
  const rng = new Rng(23);
  for (let t = 0; t < 40; t++) {
    const shape = [dim(rng, 3), dim(rng, 8), dim(rng, 8), dim(rng, 12)];
    const begin = shape.map((d) => Math.floor(rng.next() * d));
    const size = shape.map((d, i) => 1 + Math.floor(rng.next() * (d - begin[i])));
    const x = rand(rng, shape);
    compare('Slice', { x }, { begin, size }, `${JSON.stringify(shape)} ${JSON.stringify(begin)} ${JSON.stringify(size)}`);
    const axis = Math.floor(rng.next() * 4);
    const first = Math.floor(rng.next() * (shape[axis] + 1));
    compare('SplitV', { x }, { numOrSizeSplits: [first, shape[axis] - first], axis }, `${JSON.stringify(shape)} axis ${axis} at ${first}`);
    tf.dispose(x);
  }
});

test('Relu, Step, PadV2 and Transpose equal tfjs-cpu', () => {
  const rng = new Rng(24);
  for (let t = 0; t < 30; t++) {
    const rank = 1 + Math.floor(rng.next() * 5);
    const shape = Array.from({ length: rank }, () => dim(rng, 6));
    const x = rand(rng, shape);
    const what = JSON.stringify(shape);
    compare('Relu', { x }, {}, what);
    compare('Step', { x }, { alpha: t % 2 ? 0 : 0.25 }, what);
    const paddings = shape.map(() => [Math.floor(rng.next() * 3), Math.floor(rng.next() * 3)]);
    compare('PadV2', { x }, { paddings, constantValue: t % 3 === 0 ? -Infinity : t % 3 === 1 ? 0 : 1.5 }, `${what} ${JSON.stringify(paddings)}`);
    const perm = shape.map((_, i) => i).sort(() => rng.next() - 0.5);
    compare('Transpose', { x }, { perm }, `${what} ${JSON.stringify(perm)}`);
    if (rank >= 2) {
      // The last two axes swapped (channel shuffle) has its own loop.
      const swap = shape.map((_, i) => (i === rank - 2 ? rank - 1 : i === rank - 1 ? rank - 2 : i));
      compare('Transpose', { x }, { perm: swap }, `${what} ${JSON.stringify(swap)}`);
    }
    tf.dispose(x);
  }
});

test('AvgPoolGrad equals tfjs-cpu', () => {
  const rng = new Rng(25);
  for (let t = 0; t < 30; t++) {
    const k = 1 + Math.floor(rng.next() * 3);
    const s = 1 + Math.floor(rng.next() * 2);
    const shape = [dim(rng, 3), k + Math.floor(rng.next() * 7), k + Math.floor(rng.next() * 7), dim(rng, 17)];
    const pad = rng.next() < 0.5 ? 'valid' : 'same';
    const input = rand(rng, shape);
    const y = tf.avgPool(input as tf.Tensor4D, k, s, pad);
    const dy = rand(rng, y.shape);
    compare('AvgPoolGrad', { dy, input }, { filterSize: [k, k], strides: [s, s], pad }, `${JSON.stringify(shape)} k${k} s${s} ${pad}`);
    tf.dispose([input, y, dy]);
  }
});

test('MaxPool and MaxPoolGrad equal tfjs-cpu (ties, padding, −∞ windows)', () => {
  const rng = new Rng(26);
  for (let t = 0; t < 30; t++) {
    const k = 1 + Math.floor(rng.next() * 3);
    const s = 1 + Math.floor(rng.next() * 2);
    const shape = [dim(rng, 3), k + Math.floor(rng.next() * 7), k + Math.floor(rng.next() * 7), dim(rng, 17)];
    const pad = t % 3 === 0 ? 'valid' : t % 3 === 1 ? 'same' : Math.floor(rng.next() * k);
    const v = rng.normalArray(shape.reduce((a, b) => a * b, 1), 1);
    // Ties (rounded values) and −∞ padding as ops.pool writes it.
    for (let i = 0; i < v.length; i++) v[i] = t % 2 ? Math.round(v[i]) : rng.next() < 0.2 ? -Infinity : v[i];
    const x = tf.tensor4d(v, shape as [number, number, number, number], 'float32');
    const attrs = { filterSize: [k, k], strides: [s, s], pad };
    compare('MaxPool', { x }, attrs, `${JSON.stringify(shape)} k${k} s${s} ${pad}`);
    const y = tf.maxPool(x, k, s, pad as 'valid');
    const dy = rand(rng, y.shape);
    compare('MaxPoolGrad', { dy, input: x, output: y }, attrs, `${JSON.stringify(shape)} k${k} s${s} ${pad}`);
    tf.dispose([x, y, dy]);
  }
});
