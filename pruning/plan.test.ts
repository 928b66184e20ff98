/**
 * Planner: MAC targets land within 3% and the preview equals the real surgery's cost; with roundTo
 * the plan gives back every step that still meets the target; roundTo,
 * min channels and per-stage targets hold; the input graph is untouched; unreachable targets warn.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { buildZooModel } from '../app/model/zoo/index.js';
import { costReport } from '../app/model/accounting.js';
import { buildGroups, type ResidualMode } from './groups.js';
import { applyPlan } from './surgery.js';
import { planEntries, planPrune } from './plan.js';
import { criterion, scoreGroups } from './importance/index.js';

function setup(spec: string, residual: ResidualMode) {
  const g = buildZooModel(spec);
  const { groups } = buildGroups(g, { residual });
  const scores = scoreGroups(criterion('l1'), groups, { graph: g, seed: 1 });
  return { g, groups, scores };
}

for (const [spec, residual] of [
  ['se-resnet-demo', 'couple'],
  ['se-mobilenetv3-demo', 'couple'],
  ['se-shufflenetv2-demo', 'freeze'],
] as [string, ResidualMode][]) {
  test(`targetMacs 0.5 on ${spec} (residual ${residual}) lands within 3% and matches surgery`, () => {
    const { g, groups, scores } = setup(spec, residual);
    const before = costReport(g);
    const plan = planPrune(g, groups, scores, { targetMacs: 0.5 });
    const kept = plan.macs.after / plan.macs.before;
    assert.equal(plan.macs.before, before.macs);
    assert.ok(Math.abs(kept - 0.5) <= 0.03, `kept ${kept} of the MACs`);
    assert.deepEqual(plan.warnings, []);
    const pruned = applyPlan(g, planEntries(plan), groups);
    const after = costReport(pruned);
    assert.equal(after.macs, plan.macs.after, 'predicted MACs = exact');
    assert.equal(after.params, plan.params.after, 'predicted params = exact');
    assert.equal(costReport(g).macs, before.macs, 'input graph untouched');
    for (const pg of plan.groups) {
      assert.ok(pg.keep >= Math.max(1, Math.ceil(0.1 * pg.size)), `${pg.id} keeps ≥ 10%`);
      assert.equal(pg.keep + pg.remove.length, pg.size);
    }
  });
}

test('the lowest-scored channels go first, and roundTo makes kept counts multiples', () => {
  const { g, groups, scores } = setup('se-mobilenet-demo', 'freeze');
  const plan = planPrune(g, groups, scores, { ratio: 0.4 }, { roundTo: 8 });
  let removed = 0;
  for (const pg of plan.groups) {
    removed += pg.remove.length;
    assert.ok(pg.keep === pg.size || pg.keep % 8 === 0, `${pg.id} keeps ${pg.keep}`);
    const s = scores.get(pg.id)!;
    const maxRemoved = Math.max(...pg.remove.map((i) => s[i]));
    const keptScores = [...s.keys()].filter((i) => !pg.remove.includes(i)).map((i) => s[i]);
    if (pg.remove.length > 0) assert.ok(maxRemoved <= Math.min(...keptScores), 'weakest removed');
  }
  const total = plan.groups.reduce((a, p) => a + p.size, 0);
  assert.ok(removed >= 0.4 * total - 1e-9, `removed ${removed} of ${total}`);
});

test('per-stage ratios and minChannels', () => {
  const { g, groups, scores } = setup('se-mobilenet-demo', 'freeze');
  const plan = planPrune(g, groups, scores, { perStage: { stage2: 0.5 } }, { minChannels: 4 });
  for (const pg of plan.groups) {
    if (pg.stage === 'stage2') assert.equal(pg.remove.length, Math.min(Math.round(pg.size / 2), pg.size - Math.max(4, Math.ceil(pg.size / 10))));
    else assert.equal(pg.remove.length, 0);
  }
});

test('a target residual freeze cannot reach is reported, not thrown', () => {
  const { g, groups, scores } = setup('se-resnet-demo', 'freeze');
  const plan = planPrune(g, groups, scores, { targetMacs: 0.1 });
  assert.ok(plan.warnings.some((w) => /cannot be reached/.test(w)), plan.warnings.join(' | '));
  assert.ok(plan.macs.after < plan.macs.before);
});

for (const spec of ['se-resnet-demo', 'se-mobilenetv3-demo', 'se-shufflenetv2-demo']) {
  test(`roundTo 8 on ${spec}: counts move in steps of 8, the plan stays under the target and gives back every step that fits`, () => {
    const { g, groups, scores } = setup(spec, 'freeze');
    for (const goal of [0.5, 0.4]) {
      const plan = planPrune(g, groups, scores, { targetMacs: goal }, { roundTo: 8 });
      const kept = plan.macs.after / plan.macs.before;
      assert.ok(kept <= goal + 1e-9, `${goal}: kept ${kept} of the MACs`);
      if (goal === 0.5) assert.ok(kept >= goal - 0.02, `${goal}: kept ${kept} of the MACs, more than 2 points under`);
      for (const pg of plan.groups) assert.ok(pg.keep === pg.size || pg.keep % 8 === 0, `${pg.id} keeps ${pg.keep} of ${pg.size}`);
      // Unless within half a point of it, no group could keep 8 more channels and still meet the target.
      if (kept >= goal - 0.005) continue;
      const entries = planEntries(plan);
      for (const e of entries) {
        const back = e.remove.length >= 8 ? e.remove.slice(8) : [];
        const trial = entries.map((x) => (x === e ? { ...x, remove: back } : x)).filter((x) => x.remove.length > 0);
        const macs = costReport(applyPlan(g, trial, groups)).macs / plan.macs.before;
        assert.ok(macs > goal, `${goal}: ${e.group} could keep 8 more channels (${macs} of the MACs)`);
      }
    }
  });
}
