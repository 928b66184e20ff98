/**
 * Per-channel measurements over calibration images on the tfjs executor, for the prune
 * workflow: moments of named tensors (what adaptive batch norm restores), the gated output
 * magnitude E[s·|u|] of each SE block, and first-order Taylor on each SE gate used as a mask.
 */
import { type Graph, type Node, seNodes } from '../../app/model/ir.js';
import type { Dataset } from '../../app/data/types.js';
import { tf } from '../../app/engine/tf.js';
import { forward } from '../../app/engine/executor.js';
import { UserError } from '../../app/model/errors.js';
import type { ChannelMeasures } from '../importance/types.js';
import { gradientPass } from './gradients.js';

export interface Moments {
  mean: Float32Array;
  variance: Float32Array;
}

/** Calls `onBatch` with the captured tensors of each inference batch (tensors are disposed after). */
async function captureBatches(g: Graph, ds: Dataset, indices: number[], names: string[], onBatch: (t: Map<string, tf.Tensor>) => void, batchSize = 64): Promise<number> {
  const [h, w, c] = g.inputs[0].shape;
  let batches = 0;
  for await (const b of ds.batches(indices, batchSize)) {
    const n = b.y.length;
    if (n < 2) continue;
    const x = tf.tensor4d(b.x, [n, h, w, c]);
    const r = forward(g, x, { capture: names });
    try {
      onBatch(r.captured);
    } finally {
      tf.dispose([x, ...r.outputs, ...r.captured.values()]);
    }
    batches++;
  }
  if (batches === 0) throw new UserError(`No batch of at least 2 images could be read from ${ds.name}.`);
  return batches;
}

/**
 * Per-channel mean and variance of each named NHWC tensor: the mean over batches of the batch
 * mean and batch (population) variance over N·H·W — exactly what batch-norm re-estimation
 * (app/train/bn.ts) computes, so a layer whose input did not change is restored to itself.
 */
export async function tensorMoments(g: Graph, ds: Dataset, indices: number[], names: string[]): Promise<Map<string, Moments>> {
  const sums = new Map<string, { mean: Float64Array; variance: Float64Array }>();
  const batches = await captureBatches(g, ds, indices, names, (cap) => {
    for (const name of names) {
      const t = cap.get(name)!;
      const [m, v] = tf.tidy(() => {
        const r = tf.moments(t, t.rank === 4 ? [0, 1, 2] : [0]);
        return [r.mean.dataSync(), r.variance.dataSync()];
      });
      const s = sums.get(name) ?? { mean: new Float64Array(m.length), variance: new Float64Array(m.length) };
      for (let i = 0; i < m.length; i++) {
        s.mean[i] += m[i];
        s.variance[i] += v[i];
      }
      sums.set(name, s);
    }
  });
  return new Map([...sums].map(([k, s]) => [k, { mean: Float32Array.from(s.mean, (x) => x / batches), variance: Float32Array.from(s.variance, (x) => x / batches) }]));
}

/** E[s_c·|u_c|] of every SE block: the mean |output| per channel over images and positions. */
export async function gatedMagnitude(g: Graph, ds: Dataset, indices: number[]): Promise<Map<string, Float64Array>> {
  const names = seNodes(g).map((s) => s.name);
  const sums = new Map<string, Float64Array>();
  const batches = await captureBatches(g, ds, indices, names, (cap) => {
    for (const name of names) {
      const m = tf.tidy(() => tf.mean(tf.abs(cap.get(name)!), [0, 1, 2]).dataSync());
      const s = sums.get(name) ?? new Float64Array(m.length);
      for (let i = 0; i < m.length; i++) s[i] += m[i];
      sums.set(name, s);
    }
  });
  for (const s of sums.values()) for (let i = 0; i < s.length; i++) s[i] /= batches;
  return sums;
}

const PROBE = '/gate-probe';

/**
 * Taylor on the gate as a channel mask: a copy of the graph gets an identity batch norm (γ = 1,
 * β = 0, mean 0, variance 1, ε 0) after each SE block, so ∂L/∂γ_c = Σ s_c·u_c·∂L/∂y_c =
 * Σ s_c·∂L/∂s_c over the batch; its square is averaged over batches of 8 images.
 */
export async function gateTaylor(g: Graph, ds: Dataset, indices: number[]): Promise<Map<string, Float64Array>> {
  const ses = seNodes(g);
  const rename = new Map(ses.map((s) => [s.name, s.name + PROBE]));
  const nodes: Node[] = [];
  for (const n of g.nodes) {
    nodes.push({ ...n, inputs: n.inputs.map((i) => rename.get(i) ?? i) } as Node);
    if (n.kind !== 'se') continue;
    const C = n.attrs.channels;
    nodes.push({
      kind: 'batchnorm',
      name: n.name + PROBE,
      inputs: [n.name],
      attrs: { epsilon: 0, momentum: 0.1 },
      weights: { gamma: new Float32Array(C).fill(1), beta: new Float32Array(C), mean: new Float32Array(C), variance: new Float32Array(C).fill(1) },
    });
  }
  const probed: Graph = { ...g, nodes, outputs: g.outputs.map((o) => rename.get(o) ?? o) };
  const { meanSquare } = await gradientPass(probed, ds, indices, 8, (k) => k.endsWith(`${PROBE}/gamma`));
  const out = new Map<string, Float64Array>();
  for (const s of ses) {
    const v = meanSquare.get(`${s.name}${PROBE}/gamma`);
    if (v) out.set(s.name, Float64Array.from(v));
  }
  return out;
}

/** The measures a criterion asks for. */
export async function measureChannels(g: Graph, ds: Dataset, indices: number[], which: (keyof ChannelMeasures)[]): Promise<ChannelMeasures> {
  const m: ChannelMeasures = {};
  if (which.includes('gatedMagnitude')) m.gatedMagnitude = await gatedMagnitude(g, ds, indices);
  if (which.includes('gateTaylor')) m.gateTaylor = await gateTaylor(g, ds, indices);
  return m;
}
