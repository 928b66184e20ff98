/** Channel groups: coupling through residual adds, SE, depthwise, flatten, concat/shuffle, unknown ops. */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { buildZooModel } from '../app/model/zoo/index.js';
import { GraphBuilder } from '../app/model/zoo/builder.js';
import type { Node } from '../app/model/ir.js';
import { runGraph } from '../app/engine/executor.js';
import { buildGroups } from './groups.js';
import { applyPlan } from './surgery.js';
import { maxAbsDiff, randomInput, randomiseBn, zeroedReference } from './test-helpers.js';

test('SE-ResNet with residual freeze: stream frozen and reported, inner channels prunable', () => {
  const g = buildZooModel('se-resnet-demo');
  const { groups, frozen } = buildGroups(g, { residual: 'freeze' });
  const blocks = g.nodes.filter((n) => n.name.endsWith('.conv1'));
  assert.equal(groups.length, blocks.length);
  for (const b of blocks) {
    const grp = groups.find((x) => x.producers.includes(b.name));
    assert.ok(grp, `${b.name} has a group`);
    assert.equal(grp.size, (b as Extract<Node, { kind: 'conv2d' }>).attrs.filters);
    assert.deepEqual(grp.consumers, [b.name.replace('conv1', 'conv2')]);
  }
  for (const n of g.nodes.filter((x) => x.name.endsWith('.conv2') || x.name.endsWith('.downsample'))) {
    assert.ok(frozen.some((f) => f.node === n.name && /residual/.test(f.reason)), `${n.name} frozen`);
  }
  assert.ok(groups.every((x) => !x.passthrough.some((p) => p.endsWith('.add'))));
});

test('SE-ResNet with residual couple: one group per stage stream, gated by every SE of the stage', () => {
  const g = buildZooModel('se-resnet-demo');
  const { groups } = buildGroups(g, { residual: 'couple' });
  const last = groups.find((x) => x.producers.includes('stage3.block0.conv2'))!;
  assert.ok(last.producers.includes('stage3.block0.downsample'));
  assert.deepEqual(last.consumers, ['head.classifier']);
  assert.deepEqual(last.gates.map((x) => x.se), ['stage3.block0.se']);
  assert.equal(last.size, 64);
  const s1 = groups.find((x) => x.producers.includes('stage1.block0.conv2'))!;
  assert.ok(s1.producers.includes('stem.conv0'), 'stem feeds the stage-1 identity shortcut');
});

test('MobileNetV3: the expanded channels form one group gated by their SE', () => {
  const g = buildZooModel('se-mobilenetv3-demo');
  const { groups } = buildGroups(g, { residual: 'freeze' });
  const grp = groups.find((x) => x.producers.includes('stage2.block3.expand'))!;
  assert.equal(grp.gatedBy, 'stage2.block3.se');
  assert.ok(grp.passthrough.includes('stage2.block3.dw'));
  assert.deepEqual(grp.consumers, ['stage2.block3.project']);
});

test('ShuffleNetV2: indices map through concat and shuffle', () => {
  const g = buildZooModel('se-shufflenetv2-demo');
  const { groups } = buildGroups(g, { residual: 'freeze' });
  const grp = groups.find((x) => x.producers.includes('stage2.unit0.left_pw'))!;
  const left = grp.tensors.find((t) => t.tensor === 'stage2.unit0.left_pw')!;
  const branch = grp.tensors.find((t) => t.tensor === 'stage2.unit0.pw2')!;
  const cat = grp.tensors.find((t) => t.tensor === 'stage2.unit0.concat')!;
  const shuf = grp.tensors.find((t) => t.tensor === 'stage2.unit0.shuffle')!;
  const half = 24;
  for (let i = 0; i < grp.size; i++) {
    const c = left.index[i];
    assert.equal(branch.index[i], c, 'shuffle ties left c with branch c');
    assert.deepEqual([...cat.index.slice(2 * i, 2 * i + 2)], [c, half + c]);
    assert.deepEqual([...shuf.index.slice(2 * i, 2 * i + 2)], [2 * c, 2 * c + 1]);
  }
});

function flatModel() {
  const b = new GraphBuilder('flat', [4, 4, 2], 3);
  const y = b.act(b.bn(b.conv(b.input, 5, 3, { bias: true })), 'hard-swish');
  const z = b.dense(b.flatten(y), 3);
  return b.build([z], {});
}

test('flatten of [H, W, C] maps channel c to rows h·W·C + w·C + c, and pruning it is exact', async () => {
  const g = flatModel();
  randomiseBn(g, 2);
  const { groups } = buildGroups(g, { residual: 'freeze' });
  assert.equal(groups.length, 1);
  const flat = groups[0].tensors.find((t) => t.per === 16)!;
  for (let c = 0; c < 5; c++) {
    assert.deepEqual([...flat.index.slice(c * 16, c * 16 + 16)], Array.from({ length: 16 }, (_, p) => p * 5 + c));
  }
  const plan = [{ group: groups[0].id, remove: [1, 3] }];
  const pruned = applyPlan(g, plan, groups);
  const x = randomInput(g, 2, 5);
  const a = (await runGraph(pruned, x, 2)).outputs[0];
  const r = (await runGraph(zeroedReference(g, groups, plan), x, 2)).outputs[0];
  assert.ok(maxAbsDiff(a, r) <= 1e-5);
});

test('an op kind the grouper does not know freezes its channels instead of crashing', () => {
  const g = buildZooModel('se-mobilenet-demo');
  const i = g.nodes.findIndex((n) => n.name === 'stage2.unit1.pw');
  const pw = g.nodes[i];
  const mystery = { kind: 'mystery', name: 'mystery0', inputs: [pw.name], attrs: {} } as unknown as Node;
  for (const n of g.nodes) if (n.inputs[0] === pw.name) n.inputs[0] = 'mystery0';
  g.nodes.splice(i + 1, 0, mystery);
  const { groups, frozen } = buildGroups(g, { residual: 'freeze' });
  assert.ok(frozen.some((f) => f.node === pw.name && /mystery/.test(f.reason)));
  assert.ok(!groups.some((x) => x.producers.includes(pw.name)));
  assert.ok(groups.length > 0);
});
