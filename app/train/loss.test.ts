/** Losses against values computed here in plain JS (float64), formula by formula. */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { tf } from '../engine/tf.js';
import { crossEntropy, distillationLoss, trainingLoss } from './loss.js';

const logits = [
  [2.0, -1.0, 0.5],
  [0.1, 0.2, 3.0],
];
const labels = [0, 1];
const teacher = [
  [1.0, 0.0, -1.0],
  [-0.5, 2.5, 0.5],
];

function logSoftmax(row: number[]): number[] {
  const m = Math.max(...row);
  const lse = m + Math.log(row.reduce((a, v) => a + Math.exp(v - m), 0));
  return row.map((v) => v - lse);
}

function refCe(eps: number): number {
  let s = 0;
  logits.forEach((row, i) => {
    const lp = logSoftmax(row);
    const k = row.length;
    // PyTorch: (1 − ε)·(−log p_y) + ε·mean_k(−log p_k).
    s += (1 - eps) * -lp[labels[i]] + eps * (-lp.reduce((a, v) => a + v, 0) / k);
  });
  return s / logits.length;
}

function refKd(T: number): number {
  let s = 0;
  logits.forEach((row, i) => {
    const lq = logSoftmax(row.map((v) => v / T));
    const lp = logSoftmax(teacher[i].map((v) => v / T));
    s += lp.reduce((a, v, k) => a + Math.exp(v) * (v - lq[k]), 0);
  });
  return (s / logits.length) * T * T;
}

async function value(f: () => tf.Scalar): Promise<number> {
  const t = f();
  const v = (await t.data())[0];
  t.dispose();
  return v;
}

test('cross-entropy with and without label smoothing', async () => {
  const x = tf.tensor2d(logits);
  const y = tf.tensor1d(labels, 'int32');
  for (const eps of [0, 0.1, 0.3]) {
    const v = await value(() => crossEntropy(x, y, eps));
    assert.ok(Math.abs(v - refCe(eps)) < 1e-5, `ε=${eps}: ${v} vs ${refCe(eps)}`);
  }
  assert.ok(refCe(0.1) !== refCe(0), 'smoothing changes the value');
  tf.dispose([x, y]);
});

test('distillation KL·T² and the α blend', async () => {
  const x = tf.tensor2d(logits);
  const t = tf.tensor2d(teacher);
  const y = tf.tensor1d(labels, 'int32');
  for (const T of [1, 4]) {
    const v = await value(() => distillationLoss(x, t, T));
    assert.ok(Math.abs(v - refKd(T)) < 1e-5, `T=${T}: ${v} vs ${refKd(T)}`);
  }
  const self = await value(() => distillationLoss(x, x, 3));
  assert.ok(Math.abs(self) < 1e-6, `KL of a distribution with itself is 0, got ${self}`);
  const blended = await value(() => trainingLoss(x, y, { labelSmoothing: 0.1, teacher: t, temperature: 4, alpha: 0.7 }));
  const want = 0.7 * refKd(4) + 0.3 * refCe(0.1);
  assert.ok(Math.abs(blended - want) < 1e-5, `blend ${blended} vs ${want}`);
  const noTeacher = await value(() => trainingLoss(x, y, { labelSmoothing: 0.1, temperature: 4, alpha: 0.7 }));
  assert.ok(Math.abs(noTeacher - refCe(0.1)) < 1e-5);
  tf.dispose([x, t, y]);
});
