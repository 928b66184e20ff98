/** The streaming statistics accumulator against a direct two-pass computation. */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { Rng } from '../../app/model/random.js';
import { StatsAccumulator } from './accumulate.js';

const meta = { model: 'zoo:test', modelHash: 'h', seed: 0, dataset: 'synthetic', engine: 'none' };
const close = (a: number, b: number, tol = 1e-9) => assert.ok(Math.abs(a - b) <= tol * Math.max(1, Math.abs(b)), `${a} vs ${b}`);

/** Direct two-pass reference for one block: gates [N][C] as plain numbers. */
function reference(g: number[][], labels: number[], K: number, bins: number) {
  const N = g.length;
  const C = g[0].length;
  const mean = Array.from({ length: C }, (_, c) => g.reduce((a, r) => a + r[c], 0) / N);
  const std = mean.map((m, c) => Math.sqrt(g.reduce((a, r) => a + (r[c] - m) ** 2, 0) / N));
  const present = [...new Set(labels)].sort((a, b) => a - b);
  const perClassMean = Array.from({ length: K }, (_, k) => {
    const rows = g.filter((_, i) => labels[i] === k);
    return mean.map((m, c) => (rows.length ? rows.reduce((a, r) => a + r[c], 0) / rows.length : m));
  });
  const classStd = mean.map((_, c) => {
    const v = present.map((k) => perClassMean[k][c]);
    const mu = v.reduce((a, b) => a + b, 0) / v.length;
    return Math.sqrt(v.reduce((a, b) => a + (b - mu) ** 2, 0) / v.length);
  });
  const counts = mean.map((_, c) => {
    const h = new Array(bins).fill(0);
    for (const r of g) h[Math.min(bins - 1, Math.floor(r[c] * bins))]++;
    return h;
  });
  return {
    mean,
    std,
    min: mean.map((_, c) => Math.min(...g.map((r) => r[c]))),
    max: mean.map((_, c) => Math.max(...g.map((r) => r[c]))),
    perClassMean,
    counts,
    identityDistance: g.flat().reduce((a, s) => a + Math.abs(1 - s), 0) / (N * C),
    inputDependence: std.reduce((a, b) => a + b, 0) / C,
    classDependence: classStd.reduce((a, b) => a + b, 0) / C,
    emptyClasses: Array.from({ length: K }, (_, k) => k).filter((k) => !present.includes(k)),
  };
}

test('matches a direct two-pass computation on random gates over uneven batches', () => {
  const rng = new Rng(42);
  const K = 5;
  const blocks = [{ name: 'se1', channels: 7 }, { name: 'se2', channels: 3 }];
  const N = 301;
  // Class 3 never appears: it must be listed empty and get the overall mean.
  const labels = Array.from({ length: N }, () => [0, 1, 2, 4][rng.int(4)]);
  const gates = blocks.map((b) => Array.from({ length: N }, () => Array.from({ length: b.channels }, () => Math.fround(0.5 + 0.5 * Math.tanh(rng.normal() + (b.name === 'se1' ? 1 : -1))))));
  const acc = new StatsAccumulator(blocks, K, 10);
  for (let start = 0, bs = 1; start < N; start += bs, bs = (bs * 3) % 64 + 1) {
    const end = Math.min(N, start + bs);
    const m = new Map<string, Float32Array>();
    blocks.forEach((b, j) => m.set(b.name, Float32Array.from(gates[j].slice(start, end).flat())));
    acc.add(m, Int32Array.from(labels.slice(start, end)));
  }
  const s = acc.finish(meta);
  assert.equal(s.n, N);
  assert.equal(s.classes, K);
  assert.equal(s.model, 'zoo:test');
  blocks.forEach((b, j) => {
    const r = reference(gates[j], labels, K, 10);
    const got = s.blocks[j];
    assert.equal(got.name, b.name);
    assert.deepEqual(s.emptyClasses, r.emptyClasses);
    got.mean.forEach((v, c) => close(v, r.mean[c]));
    got.std.forEach((v, c) => close(v, r.std[c]));
    assert.deepEqual(got.min, r.min);
    assert.deepEqual(got.max, r.max);
    got.perClassMean.forEach((row, k) => row.forEach((v, c) => close(v, r.perClassMean[k][c])));
    assert.deepEqual(got.histogram.counts, r.counts);
    assert.equal(got.histogram.bins, 10);
    close(got.identityDistance, r.identityDistance);
    close(got.inputDependence, r.inputDependence);
    close(got.classDependence, r.classDependence);
  });
  assert.deepEqual(s.emptyClasses, [3]);
});

test('a constant gate: std 0, inputDependence 0, classDependence 0, per-class mean = the constant', () => {
  const v = Math.fround(0.73);
  const acc = new StatsAccumulator([{ name: 'se', channels: 4 }], 3);
  for (let b = 0; b < 50; b++) {
    acc.add(new Map([['se', new Float32Array(4 * 20).fill(v)]]), Int32Array.from({ length: 20 }, (_, i) => i % 3));
  }
  const s = acc.finish(meta).blocks[0];
  assert.ok(s.std.every((x) => x === 0));
  assert.equal(s.inputDependence, 0);
  assert.equal(s.classDependence, 0);
  s.perClassMean.forEach((row) => row.forEach((x) => close(x, v, 1e-12)));
  s.mean.forEach((x) => close(x, v, 1e-12));
  close(s.identityDistance, 1 - v, 1e-12);
  assert.ok(s.histogram.counts.every((h) => h[Math.floor(v * 20)] === 1000));
});

test('values exactly 0 and 1 land in the first and last bin', () => {
  const acc = new StatsAccumulator([{ name: 'se', channels: 2 }], 2, 20);
  acc.add(new Map([['se', Float32Array.from([0, 1, 1, 0, 0.05, 0.999])]]), Int32Array.from([0, 1, 1]));
  const s = acc.finish(meta).blocks[0];
  assert.deepEqual(s.histogram.counts[0], [1, 1, ...new Array(17).fill(0), 1]);
  assert.deepEqual(s.histogram.counts[1], [1, ...new Array(18).fill(0), 2]);
  assert.equal(s.min[0], 0);
  assert.equal(s.max[1], 1);
});

test('rejects mismatched shapes and NaN gates', () => {
  const acc = new StatsAccumulator([{ name: 'se', channels: 2 }], 2);
  assert.throws(() => acc.add(new Map([['se', new Float32Array(3)]]), Int32Array.from([0, 1])));
  assert.throws(() => acc.add(new Map(), Int32Array.from([0])));
  assert.throws(() => acc.add(new Map([['se', Float32Array.from([NaN, 0])]]), Int32Array.from([0])));
  assert.throws(() => new StatsAccumulator([], 2).finish(meta));
});
