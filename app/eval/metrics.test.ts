/** Accuracy accumulator against an independent sort-based computation. */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { Rng } from '../model/random.js';
import { AccuracyAccumulator } from './metrics.js';

/** Reference: rank classes by sorting (value desc, index asc), loss via float64 log-sum-exp. */
function reference(logits: Float32Array, labels: Int32Array, K: number) {
  const n = labels.length;
  let top1 = 0;
  let topk = 0;
  let loss = 0;
  const confusion = Array.from({ length: K }, () => new Array(K).fill(0));
  for (let i = 0; i < n; i++) {
    const row = Array.from(logits.subarray(i * K, (i + 1) * K));
    const order = row.map((v, j) => [v, j] as const).sort((a, b) => b[0] - a[0] || a[1] - b[1]).map((p) => p[1]);
    const y = labels[i];
    if (order[0] === y) top1++;
    if (order.slice(0, Math.min(5, K)).includes(y)) topk++;
    confusion[y][order[0]]++;
    const m = Math.max(...row);
    loss += -(row[y] - m - Math.log(row.reduce((a, v) => a + Math.exp(v - m), 0)));
  }
  return { top1: top1 / n, top5: topk / n, loss: loss / n, confusion };
}

for (const K of [3, 10, 37]) {
  test(`random logits with ties, K = ${K}: top-1, top-${Math.min(5, K)}, confusion, per class, loss`, () => {
    const rng = new Rng(K);
    const n = 517;
    // Coarse values make ties frequent.
    const logits = Float32Array.from({ length: n * K }, () => Math.round(rng.normal() * 2) / 2);
    const labels = Int32Array.from({ length: n }, () => rng.int(K));
    const acc = new AccuracyAccumulator(K);
    for (let s = 0; s < n; s += 64) {
      const e = Math.min(n, s + 64);
      acc.add(logits.subarray(s * K, e * K), labels.subarray(s, e));
    }
    const r = acc.result();
    const ref = reference(logits, labels, K);
    assert.equal(r.n, n);
    assert.equal(r.top1, ref.top1);
    assert.equal(r.top5, ref.top5);
    assert.deepEqual(r.confusion, ref.confusion);
    assert.ok(Math.abs(r.meanLoss - ref.loss) < 1e-9);
    r.perClass.forEach((c) => {
      const cnt = ref.confusion[c.label].reduce((a, b) => a + b, 0);
      assert.equal(c.n, cnt);
      assert.equal(c.top1, cnt ? ref.confusion[c.label][c.label] / cnt : 0);
    });
    assert.equal(r.perClass.reduce((a, c) => a + c.n, 0), n);
    if (K <= 5) assert.equal(r.top5, 1);
  });
}

test('ties: the lowest index wins; large logits give a finite loss', () => {
  const acc = new AccuracyAccumulator(3);
  acc.add(Float32Array.from([2, 2, 0, 1000, 0, 1000]), Int32Array.from([1, 2]));
  const r = acc.result();
  assert.equal(r.top1, 0);
  assert.deepEqual(r.confusion, [[0, 0, 0], [1, 0, 0], [1, 0, 0]]);
  // Loss of row 0 (label 1): log(e²+e²+1) − 2; row 1 (label 2): log(2 + e⁻¹⁰⁰⁰) = log 2.
  const want = (Math.log(2 * Math.exp(2) + 1) - 2 + Math.log(2)) / 2;
  assert.ok(Math.abs(r.meanLoss - want) < 1e-12);
  assert.ok(Number.isFinite(r.meanLoss));
});

test('no images gives zeros, out-of-range labels and wrong shapes throw', () => {
  const acc = new AccuracyAccumulator(4);
  assert.deepEqual({ ...acc.result(), perClass: [], confusion: [] }, { n: 0, top1: 0, top5: 0, meanLoss: 0, perClass: [], confusion: [] });
  assert.throws(() => acc.add(new Float32Array(4), Int32Array.from([4])));
  assert.throws(() => acc.add(new Float32Array(5), Int32Array.from([0])));
});
