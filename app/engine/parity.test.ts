/**
 * Parity: the tfjs IR executor (`runGraph`) and onnxruntime-node running our ONNX agree on every
 * zoo model (large ones at 64×64), logits and SE gates within 1e-4, on a batch of 2. Batch-norm
 * running statistics are randomised (seeded) so that a mistake in either engine's BN, or in the
 * ONNX writer's parameter order, shows up instead of hiding behind γ=1, β=0, μ=0, σ²=1.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { buildZooModel, ZOO_NAMES } from '../model/zoo/index.js';
import { seNodes, type Graph } from '../model/ir.js';
import { Rng } from '../model/random.js';
import { runGraph } from './executor.js';
import { ortForGraph } from './ort.js';

const TOL = 1e-4;

const specFor = (name: string): string => (name.endsWith('-demo') ? name : `${name}?input=64x64x3`);

/** Non-trivial BN statistics that keep activations in a sane range through 100 layers. */
function randomiseBatchNorm(g: Graph, rng: Rng): void {
  for (const n of g.nodes) {
    if (n.kind !== 'batchnorm') continue;
    const c = n.weights.gamma.length;
    n.weights.gamma = rng.uniformArray(c, 0.5, 1.2);
    n.weights.beta = rng.normalArray(c, 0.1);
    n.weights.mean = rng.normalArray(c, 0.2);
    n.weights.variance = rng.uniformArray(c, 0.5, 2);
  }
}

function maxAbsDiff(a: Float32Array, b: Float32Array): number {
  assert.equal(a.length, b.length);
  let m = 0;
  for (let i = 0; i < a.length; i++) m = Math.max(m, Math.abs(a[i] - b[i]));
  return m;
}

for (const name of ZOO_NAMES) {
  test(`executor and onnxruntime agree on zoo:${specFor(name)} (logits and gates, |Δ| ≤ ${TOL})`, async () => {
    const g = buildZooModel(specFor(name));
    const rng = new Rng(1234);
    randomiseBatchNorm(g, rng);
    const n = 2;
    const x = rng.normalArray(n * g.inputs[0].shape.reduce((a, b) => a * b, 1), 1);
    const gateNames = seNodes(g).map((s) => `gate:${s.name}`);

    const ours = await runGraph(g, x, n, gateNames);
    const m = await ortForGraph(g, { exposeGates: true });
    let ref;
    try {
      ref = await m.run(x, n);
    } finally {
      await m.release();
    }

    assert.equal(ours.outputs.length, ref.outputs.length);
    ours.outputs.forEach((o, i) => {
      const d = maxAbsDiff(o, ref.outputs[i]);
      const scale = ref.outputs[i].reduce((a, v) => Math.max(a, Math.abs(v)), 0);
      assert.ok(scale > 1e-3, `output ${g.outputs[i]} is not trivially zero (max |y| = ${scale})`);
      assert.ok(d <= TOL, `output ${g.outputs[i]}: max |Δ| = ${d} (max |y| = ${scale})`);
    });
    for (const gn of gateNames) {
      const a = ours.captured.get(gn);
      const b = ref.gates.get(gn);
      assert.ok(a && b, `both engines return ${gn}`);
      const d = maxAbsDiff(a, b);
      assert.ok(d <= TOL, `${gn}: max |Δ| = ${d}`);
    }
  });
}
