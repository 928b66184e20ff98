/** Class-balanced deterministic sampling. */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { Rng } from '../model/random.js';
import { sampleIndices } from './sampling.js';

function counts(labels: Int32Array, idx: number[], k: number): number[] {
  const c = new Array(k).fill(0);
  for (const i of idx) c[labels[i]]++;
  return c;
}

test('balanced across classes, deterministic per seed, sorted, no duplicates, never a −1 label', () => {
  const rng = new Rng(1);
  // Class sizes 50, 40, 8, 30; some records invalid.
  const sizes = [50, 40, 8, 30];
  const labels = Int32Array.from(sizes.flatMap((n, k) => new Array(n).fill(k)).concat([-1, -1, -1]));
  for (let i = labels.length - 1; i > 0; i--) {
    const j = rng.int(i + 1);
    [labels[i], labels[j]] = [labels[j], labels[i]];
  }
  const a = sampleIndices(labels, 40, 7);
  assert.equal(a.length, 40);
  const c = counts(labels, a, 4);
  // The 8-image class gives all it has; the other 32 split as evenly as possible.
  assert.equal(c[2], 8);
  assert.ok(Math.max(c[0], c[1], c[3]) - Math.min(c[0], c[1], c[3]) <= 1);
  assert.equal(c[0] + c[1] + c[3], 32);
  assert.deepEqual(sampleIndices(labels, 40, 7), a);
  assert.notDeepEqual(sampleIndices(labels, 40, 8), a);
  assert.deepEqual([...a].sort((x, y) => x - y), a);
  assert.equal(new Set(a).size, a.length);
  assert.ok(a.every((i) => labels[i] >= 0));
  const everything = sampleIndices(labels, undefined, 0);
  assert.equal(everything.length, 128);
  assert.deepEqual(sampleIndices(labels, 10_000, 3), everything);
  const small = sampleIndices(labels, 6, 2);
  assert.ok(counts(labels, small, 4).every((v) => v >= 1 && v <= 2));
});
