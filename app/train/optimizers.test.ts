/**
 * Optimisers against update rules written out here in float64 JS (PyTorch's SGD with momentum,
 * Nesterov and L2 decay; AdamW with decoupled decay) over three steps with fixed gradients, the
 * decay exclusions (biases, BN), and a state export/import that continues identically.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { buildZooModel } from '../model/zoo/index.js';
import { Rng } from '../model/random.js';
import { tf } from '../engine/tf.js';
import { createParams } from '../engine/params.js';
import { createOptimizer, decayedKeys, type OptimizerOptions } from './optimizers.js';
import { fastCpuKernelsActive, useFastCpuKernels } from '../engine/kernels/register.js';

const g = buildZooModel('se-resnet-demo?width=0.25&input=8x8x1&seBias=on');

test('decay applies to conv/dense kernels and SE fc weights only', () => {
  const d = decayedKeys(g);
  const kinds = new Map(g.nodes.map((n) => [n.name, n.kind]));
  assert.ok([...d].some((k) => k.endsWith('/fc1')) && [...d].some((k) => kinds.get(k.split('/')[0]) === 'dense'));
  for (const k of d) assert.ok(/\/(kernel|fc1|fc2)$/.test(k), k);
  for (const n of g.nodes) {
    if (n.kind === 'batchnorm') for (const w of ['gamma', 'beta']) assert.ok(!d.has(`${n.name}/${w}`));
    if (n.kind === 'dense') assert.ok(!d.has(`${n.name}/bias`) && d.has(`${n.name}/kernel`));
    if (n.kind === 'se') assert.ok(!d.has(`${n.name}/fc1Bias`) && d.has(`${n.name}/fc2`));
  }
});

type Ref = (w: number[], g: number[], state: Record<string, number[]>, lr: number, wd: number, t: number) => number[];

const sgdRef =
  (mom: number, nesterov: boolean): Ref =>
  (w, gr, st, lr, wd) => {
    const buf = st.buf ?? w.map(() => 0);
    const out = w.map((wi, i) => {
      const d = gr[i] + wd * wi;
      buf[i] = mom * buf[i] + d;
      return wi - lr * (nesterov ? d + mom * buf[i] : buf[i]);
    });
    st.buf = buf;
    return out;
  };

const adamwRef: Ref = (w, gr, st, lr, wd, t) => {
  const m = st.m ?? w.map(() => 0);
  const v = st.v ?? w.map(() => 0);
  const out = w.map((wi, i) => {
    m[i] = 0.9 * m[i] + 0.1 * gr[i];
    v[i] = 0.999 * v[i] + 0.001 * gr[i] ** 2;
    const mh = m[i] / (1 - 0.9 ** t);
    const vh = v[i] / (1 - 0.999 ** t);
    return wi * (1 - lr * wd) - (lr * mh) / (Math.sqrt(vh) + 1e-8);
  });
  st.m = m;
  st.v = v;
  return out;
};

function check(o: OptimizerOptions, ref: Ref, tol: number): void {
  const rng = new Rng(5);
  const p = createParams(g);
  const opt = createOptimizer(g, p, o);
  const decay = decayedKeys(g);
  const keys = [...p.trainable.keys()];
  const picked = [keys.find((k) => k.endsWith('/kernel'))!, keys.find((k) => k.endsWith('/gamma'))!, keys.find((k) => k.endsWith('/fc1'))!, keys.find((k) => k.endsWith('/bias'))!];
  const ws = new Map(picked.map((k) => [k, Array.from(p.trainable.get(k)!.dataSync())]));
  const states = new Map(picked.map((k) => [k, {} as Record<string, number[]>]));
  const untouched = keys.find((k) => !picked.includes(k))!;
  const untouchedBefore = Array.from(p.trainable.get(untouched)!.dataSync());
  const lrs = [0.1, 0.05, 0.02];
  const before = tf.memory().numTensors;
  for (let s = 0; s < 3; s++) {
    const grads = new Map(picked.map((k) => [k, tf.tensor(rng.normalArray(p.trainable.get(k)!.size, 1), p.trainable.get(k)!.shape)]));
    opt.step(grads, lrs[s]);
    for (const k of picked) ws.set(k, ref(ws.get(k)!, Array.from(grads.get(k)!.dataSync()), states.get(k)!, lrs[s], decay.has(k) ? o.weightDecay : 0, s + 1));
    tf.dispose([...grads.values()]);
  }
  assert.equal(tf.memory().numTensors, before, 'no tensors leak from step()');
  for (const k of picked) {
    const got = p.trainable.get(k)!.dataSync();
    const want = ws.get(k)!;
    let m = 0;
    for (let i = 0; i < want.length; i++) m = Math.max(m, Math.abs(got[i] - want[i]));
    assert.ok(m < tol, `${o.kind} ${k}: max |Δ| ${m}`);
  }
  assert.deepEqual(Array.from(p.trainable.get(untouched)!.dataSync()), untouchedBefore, 'a variable without a gradient is not moved (not even by decay)');

  // Export → import into a fresh optimiser over a copy gives the same next step.
  const st = opt.exportState();
  assert.equal(st.t, 3);
  const p2 = createParams(g);
  for (const [k, v] of p.trainable) tf.tidy(() => p2.trainable.get(k)!.assign(v));
  const opt2 = createOptimizer(g, p2, o);
  opt2.loadState(st);
  const grads = new Map(picked.map((k) => [k, tf.tensor(rng.normalArray(p.trainable.get(k)!.size, 1), p.trainable.get(k)!.shape)]));
  opt.step(grads, 0.01);
  opt2.step(grads, 0.01);
  for (const k of picked) assert.deepEqual(p2.trainable.get(k)!.dataSync(), p.trainable.get(k)!.dataSync(), `resumed state continues identically (${k})`);
  tf.dispose([...grads.values()]);
  opt.dispose();
  opt2.dispose();
  p.dispose();
  p2.dispose();
}

test('SGD with momentum and weight decay', () => check({ kind: 'sgd', weightDecay: 0.01, momentum: 0.9 }, sgdRef(0.9, false), 1e-5));
test('SGD with Nesterov momentum', () => check({ kind: 'sgd', weightDecay: 0.05, momentum: 0.8, nesterov: true }, sgdRef(0.8, true), 1e-5));
test('AdamW with decoupled weight decay', () => check({ kind: 'adamw', weightDecay: 0.1 }, adamwRef, 1e-5));

test('the fused cpu update kernels give bit-identical weights and slots to the tfjs op sequence', () => {
  const opts: OptimizerOptions[] = [
    { kind: 'sgd', weightDecay: 0.01, momentum: 0.9 },
    { kind: 'sgd', weightDecay: 0.05, momentum: 0.8, nesterov: true },
    { kind: 'adamw', weightDecay: 0.1 },
    { kind: 'adamw', weightDecay: 0 },
  ];
  for (const o of opts) {
    const runSteps = (fast: boolean) => {
      const was = fastCpuKernelsActive();
      useFastCpuKernels(fast);
      try {
        const rng = new Rng(7);
        const p = createParams(g);
        const opt = createOptimizer(g, p, o);
        for (let s = 0; s < 3; s++) {
          const grads = new Map([...p.trainable].map(([k, v]) => [k, tf.tensor(rng.normalArray(v.size, 1), v.shape)]));
          opt.step(grads, [0.1, 0.05, 0.02][s]);
          tf.dispose([...grads.values()]);
        }
        const out = new Map([...p.trainable].map(([k, v]) => [k, Float32Array.from(v.dataSync())]));
        for (const [k, v] of opt.exportState().slots) out.set(`slot ${k}`, Float32Array.from(v));
        opt.dispose();
        p.dispose();
        return out;
      } finally {
        useFastCpuKernels(was);
      }
    };
    const fast = runSteps(true);
    const ref = runSteps(false);
    assert.equal(fast.size, ref.size);
    for (const [k, v] of ref) assert.deepEqual(fast.get(k), v, `${o.kind}${o.nesterov ? ' nesterov' : ''} wd ${o.weightDecay}: ${k}`);
  }
});
