/**
 * Surgery equivalence: for every zoo family, removing a random ~30% of every prunable group gives
 * the same logits (≤ 1e-5) as the original graph with those channels zeroed where they are read,
 * with fewer parameters, valid shapes, and the original graph left bit-identical.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { buildZooModel } from '../app/model/zoo/index.js';
import { cloneGraph, nodeWeights } from '../app/model/ir.js';
import { inferShapes } from '../app/model/shapes.js';
import { costReport } from '../app/model/accounting.js';
import { runGraph } from '../app/engine/executor.js';
import { buildGroups } from './groups.js';
import { applyPlan } from './surgery.js';
import { maxAbsDiff, randomInput, randomiseBn, randomPlan, zeroedReference } from './test-helpers.js';

const CASES: [string, ('freeze' | 'couple')[]][] = [
  ['se-resnet-demo', ['freeze', 'couple']],
  ['se-resnet50?input=32x32x3&classes=10&width=0.125', ['freeze', 'couple']],
  ['se-resnet18?input=32x32x3&classes=10&width=0.25', ['freeze', 'couple']],
  ['se-mobilenet-demo', ['freeze']],
  ['se-mobilenetv3-demo', ['freeze', 'couple']],
  ['se-shufflenet-demo', ['freeze', 'couple']],
  ['se-shufflenetv2-demo', ['freeze']],
];

for (const [spec, modes] of CASES) {
  for (const residual of modes) {
    test(`pruned ${spec} (residual ${residual}) equals the zeroed original`, async () => {
      const g = buildZooModel(spec);
      randomiseBn(g, 7);
      const before = cloneGraph(g);
      const { groups } = buildGroups(g, { residual });
      assert.ok(groups.length > 0, 'some group is prunable');
      const plan = randomPlan(groups, 0.3, 11);
      const removed = plan.reduce((a, p) => a + p.remove.length, 0);
      assert.ok(removed > 0, 'the plan removes channels');
      const pruned = applyPlan(g, plan, groups);
      inferShapes(pruned);
      const ref = zeroedReference(g, groups, plan);

      // The input graph is untouched.
      g.nodes.forEach((n, i) => {
        const a = nodeWeights(n);
        const b = nodeWeights(before.nodes[i]);
        assert.equal(a.length, b.length);
        a.forEach(([k, w], j) => assert.deepEqual(Buffer.from(w.buffer), Buffer.from(b[j][1].buffer), `${n.name}.${k}`));
        assert.deepEqual(n.attrs, before.nodes[i].attrs);
      });

      assert.ok(costReport(pruned).params < costReport(g).params, 'fewer parameters');
      assert.ok(costReport(pruned).macs < costReport(g).macs, 'fewer MACs');

      const x = randomInput(g, 2, 3);
      const [yp] = (await runGraph(pruned, x, 2)).outputs;
      const [yr] = (await runGraph(ref, x, 2)).outputs;
      const [yo] = (await runGraph(g, x, 2)).outputs;
      const d = maxAbsDiff(yp, yr);
      assert.ok(d <= 1e-5, `max |Δ| ${d} on logits`);
      // The removal is not a no-op: the zeroed model differs from the original.
      assert.ok(maxAbsDiff(yo, yr) > 1e-4, 'removed channels mattered');
    });
  }
}

test('surgery refuses to empty a layer and names unknown groups', () => {
  const g = buildZooModel('se-mobilenet-demo');
  const { groups } = buildGroups(g, { residual: 'freeze' });
  const grp = groups[0];
  assert.throws(
    () => applyPlan(g, [{ group: grp.id, remove: Array.from({ length: grp.size }, (_, i) => i) }], groups),
    /remove all/,
  );
  assert.throws(() => applyPlan(g, [{ group: 'nope', remove: [0] }], groups), /nope/);
});
