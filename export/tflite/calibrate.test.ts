/**
 * TFLite calibration: percentile ranges come from the shared histogram cut of export/quantize and
 * lie inside the MinMax ranges; a function source is read once per pass.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { buildZooModel } from '../../app/model/zoo/index.js';
import { calibratePlan } from './calibrate.js';
import { planFor } from './write.js';

test('percentile calibration narrows MinMax ranges and reads the images twice', async () => {
  const { plan, folded } = planFor(buildZooModel('se-mobilenet-demo'));
  let s = 1;
  const x = Float32Array.from({ length: 4 * 28 * 28 }, () => ((s = (s * 16807) % 2147483647) / 2147483647) * 2 - 0.5);
  let passes = 0;
  const source = function* () {
    passes++;
    yield { x, n: 4 };
  };
  const mm = await calibratePlan(folded, plan, source, 'minmax');
  assert.equal(passes, 1);
  const pc = await calibratePlan(folded, plan, source, 'percentile');
  assert.equal(passes, 3);
  assert.equal(pc.images, 4);
  let narrower = 0;
  for (const [i, r] of mm.ranges) {
    const p = pc.ranges.get(i)!;
    assert.ok(p.min >= r.min - 1e-6 && p.max <= r.max + 1e-6, `${plan.tensors[i].name}: [${p.min}, ${p.max}] outside [${r.min}, ${r.max}]`);
    if (p.max - p.min < 0.999 * (r.max - r.min)) narrower++;
  }
  assert.ok(narrower > mm.ranges.size / 4, `${narrower} of ${mm.ranges.size} ranges narrowed`);
});
