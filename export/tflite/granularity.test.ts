/**
 * The per-layer filter granularity choice (granularity.ts) on hand-made 1×1 convs: channels of
 * like magnitude go per-tensor (one scale costs them nothing measurable), a layer with one
 * channel of 100× larger weights — on an input channel of tiny variance, so the output range stays
 * small — stays per-channel; the forced modes do what they say, and the int8 model stores the
 * chosen filter and its bias with one scale resp. one per channel.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { PlanBuilder, type Plan } from './plan.js';
import { Op, Act, Padding } from './schema.js';
import { chooseGranularity, PER_TENSOR_TOLERANCE } from './granularity.js';
import { int8Model } from './int8.js';

const O = 8;
const I = 16;

/** Deterministic values in [−1, 1). */
function noise(n: number, seed: number): Float32Array {
  let s = seed;
  return Float32Array.from({ length: n }, () => {
    s = (Math.imul(s, 1103515245) + 12345) >>> 0;
    return (s >>> 8) / 8388608 - 1;
  });
}

function convPlan(filter: Float32Array): Plan {
  const b = new PlanBuilder();
  const x = b.act('x', [1, 4, 4, I], { kind: 'fixed', min: -3, max: 3 });
  const f = b.constF('conv/filter', [O, 1, 1, I], filter, 'conv-filter');
  const bias = b.constF('conv/bias', [O], new Float32Array(O), 'bias');
  const y = b.act('conv', [1, 4, 4, O], { kind: 'fixed', min: -2, max: 2 });
  b.op(Op.CONV_2D, [x, f, bias], [y], { type: 'Conv2D', padding: Padding.VALID, strideW: 1, strideH: 1, act: Act.NONE, dilationW: 1, dilationH: 1 });
  return { tensors: b.tensors, ops: b.ops, input: x, output: y };
}

// Output step of a [−2, 2] range: 4 / 255.
const act = (): { scale: number; zeroPoint: number } => ({ scale: 4 / 255, zeroPoint: 0 });
const names = (p: Plan): string[] => p.tensors.map((t) => t.name);

test('like-magnitude channels go per-tensor; one 100× channel keeps the layer per-channel', () => {
  const even = convPlan(noise(O * I, 1).map((v) => 0.1 * v));
  const vars = new Map([[0, new Float64Array(I).fill(1)]]);
  const a = chooseGranularity(even, names(even), act, new Set(), vars);
  assert.equal(a.choices.length, 1);
  assert.equal(a.choices[0].layer, 'conv');
  assert.equal(a.choices[0].granularity, 'per-tensor', JSON.stringify(a.choices));
  assert.ok(a.choices[0].noiseRatio! <= 1.02, `${a.choices[0].noiseRatio}`);
  assert.deepEqual([...a.perTensor], [1]);

  const w = noise(O * I, 2).map((v) => 0.1 * v);
  for (let i = 0; i < I; i++) w[i] = i === 0 ? 10 : 0; // output 0 = 10 · x0
  const skewed = convPlan(w);
  const v = new Float64Array(I).fill(1);
  v[0] = 1e-4; // x0 barely moves: output 0 stays within the [−2, 2] range
  const b = chooseGranularity(skewed, names(skewed), act, new Set(), new Map([[0, v]]));
  assert.equal(b.choices[0].granularity, 'per-channel');
  assert.ok(b.choices[0].noiseRatio! > 3 * PER_TENSOR_TOLERANCE, `${b.choices[0].noiseRatio}`);
  assert.equal(b.perTensor.size, 0);

  // Unknown input statistics: per-channel, not measured; forced modes ignore the measurement.
  const none = chooseGranularity(even, names(even), act, new Set(), new Map());
  assert.deepEqual(none.choices.map((c) => [c.granularity, c.noiseRatio]), [['per-channel', null]]);
  assert.equal(chooseGranularity(skewed, names(skewed), act, new Set(), new Map([[0, v]]), 'per-tensor').perTensor.size, 1);
  assert.equal(chooseGranularity(even, names(even), act, new Set(), vars, 'per-channel').perTensor.size, 0);
});

test('the int8 model stores a per-tensor filter and its bias with one scale, a per-channel one with one per channel', () => {
  const p = convPlan(noise(O * I, 3).map((v) => 0.1 * v));
  const ranges = new Map([
    [0, { min: -3, max: 3 }],
    [3, { min: -2, max: 2 }],
  ]);
  const pt = int8Model(p, ranges, 'int8', '', {}, new Set(), new Map(), new Set([1]));
  assert.equal(pt.tensors[1].quant!.scale.length, 1);
  assert.equal(pt.tensors[2].quant!.scale.length, 1);
  assert.equal(pt.tensors[1].quant!.zeroPoint.length, 1);
  const pc = int8Model(p, ranges, 'int8', '', {}, new Set(), new Map(), new Set());
  assert.equal(pc.tensors[1].quant!.scale.length, O);
  assert.equal(pc.tensors[2].quant!.scale.length, O);
  assert.equal(pc.tensors[2].quant!.zeroPoint.length, O);
});
