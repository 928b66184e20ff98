/** Bias correction: with the corrected bias, the int8 filter's output for the mean input equals the float filter's. */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { quantizePerChannel } from '../quantize/int8.js';
import { correctBias, type WeightLayout } from './bias-correction.js';

let seed = 3;
const rand = (): number => ((seed = (seed * 16807) % 2147483647) / 2147483647) * 2 - 1;

/** Σ taps W·μ + b per output channel, for the three layouts. */
function meanOutput(layout: WeightLayout, shape: number[], w: ArrayLike<number>, b: ArrayLike<number>, mu: number[]): number[] {
  const O = layout === 'dw-filter' ? shape[3] : shape[0];
  const y = Array.from(b as ArrayLike<number>, Number);
  for (let idx = 0; idx < w.length; idx++) {
    if (layout === 'dw-filter') y[idx % O] += w[idx] * mu[Math.floor((idx % O) / (O / mu.length))];
    else y[Math.floor(idx / (w.length / O))] += w[idx] * mu[idx % shape[shape.length - 1]];
  }
  return y;
}

for (const [layout, shape, axis, inC] of [
  ['conv-filter', [6, 3, 3, 4], 0, 4],
  ['dw-filter', [1, 3, 3, 8], 3, 4],
  ['fc-weights', [5, 7], -1, 7],
] as const) {
  test(`bias correction (${layout}) removes the mean shift of weight rounding`, () => {
    const n = (shape as readonly number[]).reduce((a: number, v: number) => a * v, 1);
    const w = Float32Array.from({ length: n }, rand);
    const O = layout === 'dw-filter' ? shape[3] : shape[0];
    const b = Float32Array.from({ length: O }, () => rand() * 0.1);
    const mu = Array.from({ length: inC }, () => 0.5 + rand());
    let q: Int8Array;
    let scales: Float32Array;
    if (axis < 0) {
      const m = w.reduce((a, v) => Math.max(a, Math.abs(v)), 0);
      scales = Float32Array.of(m / 127);
      q = Int8Array.from(w, (v) => Math.round(v / scales[0]));
    } else {
      const pc = quantizePerChannel(w, [...shape], axis);
      q = pc.q;
      scales = pc.scales;
    }
    const deq = Array.from(q, (v, i) => v * scales[scales.length > 1 ? (layout === 'dw-filter' ? i % O : Math.floor(i / (n / O))) : 0]);
    const want = meanOutput(layout, [...shape], w, b, mu);
    const before = meanOutput(layout, [...shape], deq, b, mu);
    const after = meanOutput(layout, [...shape], deq, correctBias(layout, [...shape], w, q, scales, b, mu), mu);
    const err = (y: number[]) => Math.max(...y.map((v, o) => Math.abs(v - want[o])));
    assert.ok(err(before) > 1e-4, `rounding shifts the mean by ${err(before)}`);
    assert.ok(err(after) < 1e-6, `corrected shift ${err(after)}`);
  });
}
