// Zoo counts against published figures (torchvision-style trainable parameter counting).
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { buildZooModel, ZOO_NAMES, parseZooSpec } from './index.js';
import { costReport } from '../accounting.js';
import { summarize } from '../summary.js';
import { ModelError } from '../errors.js';

const within = (actual: number, expected: number, tol: number) => Math.abs(actual - expected) / expected <= tol;

test('SE-ResNet-50 has exactly the paper/torchvision parameter count', () => {
  const se = costReport(buildZooModel('se-resnet50'));
  const plain = costReport(buildZooModel('se-resnet50?se=off'));
  assert.equal(plain.params, 25_557_032, 'ResNet-50 as torchvision counts it');
  assert.equal(se.params, 28_071_976);
  assert.equal(se.params - plain.params, 2_514_944);
  assert.ok(se.macs >= 3.8e9 && se.macs <= 4.2e9, `MACs ${se.macs}`);
});

test('removing the three last-stage SE blocks of SE-ResNet-50 removes exactly 1,572,864 params', () => {
  const s = summarize(buildZooModel('se-resnet50'));
  const last = s.seBlocks.filter((b) => b.stage === 'stage4');
  assert.equal(last.length, 3);
  assert.equal(last.reduce((a, b) => a + b.params, 0), 1_572_864);
});

test('SE-MobileNet (V1 1.0) lands within 5% of the SENet paper (4.2M/569M → 4.7M/572M)', () => {
  const plain = costReport(buildZooModel('se-mobilenet?se=off'));
  const se = costReport(buildZooModel('se-mobilenet'));
  assert.ok(within(plain.params, 4.2e6, 0.05), `${plain.params}`);
  assert.ok(within(plain.macs, 569e6, 0.05), `${plain.macs}`);
  assert.ok(within(se.params, 4.7e6, 0.05), `${se.params}`);
  assert.ok(within(se.macs, 572e6, 0.05), `${se.macs}`);
});

test('SE-ShuffleNet (V1 1×, g=3) lands within 5% of the SENet paper (1.8M/140M → 2.4M/142M)', () => {
  const plain = costReport(buildZooModel('se-shufflenet?se=off'));
  const se = costReport(buildZooModel('se-shufflenet'));
  assert.ok(within(plain.params, 1.8e6, 0.05), `${plain.params}`);
  assert.ok(within(plain.macs, 140e6, 0.05), `${plain.macs}`);
  assert.ok(within(se.params, 2.4e6, 0.05), `${se.params}`);
  assert.ok(within(se.macs, 142e6, 0.05), `${se.macs}`);
});

test('other full-size members match torchvision counts', () => {
  // torchvision: resnet18 11,689,512; resnet34 21,797,672; resnet101 44,549,160;
  // mobilenet_v3_small 2,542,856 (it has SE); shufflenet_v2_x1_0 2,278,604.
  assert.equal(costReport(buildZooModel('se-resnet18?se=off')).params, 11_689_512);
  assert.equal(costReport(buildZooModel('se-resnet34?se=off')).params, 21_797_672);
  assert.equal(costReport(buildZooModel('se-resnet101?se=off')).params, 44_549_160);
  assert.equal(costReport(buildZooModel('se-mobilenetv3')).params, 2_542_856);
  assert.equal(costReport(buildZooModel('se-shufflenetv2?se=off')).params, 2_278_604);
});

test('every zoo model builds, infers shapes and has SE blocks; demos take 28×28×1 and give 10 logits', () => {
  for (const name of ZOO_NAMES) {
    const g = buildZooModel(name.endsWith('-demo') ? name : `${name}?input=64x64x3`);
    const s = summarize(g);
    assert.ok(s.seBlocks.length > 0, name);
    if (name.endsWith('-demo')) {
      assert.deepEqual(s.inputs[0].shape, [28, 28, 1]);
      assert.deepEqual(s.outputs[0].shape, [10]);
    }
    for (const b of s.seBlocks) assert.ok(b.hidden >= 1 && b.hidden <= b.channels, `${name} ${b.name}`);
  }
});

test('zoo options are honoured: input, classes, width, r, se, seBias', () => {
  const g = buildZooModel('se-resnet-demo?input=32x32x3&classes=7&width=0.5&r=2&seBias=on');
  const s = summarize(g);
  assert.deepEqual(s.inputs[0].shape, [32, 32, 3]);
  assert.deepEqual(s.outputs[0].shape, [7]);
  assert.equal(s.seBlocks[0].channels, 8);
  assert.equal(s.seBlocks[0].hidden, 4);
  assert.ok(s.seBlocks.every((b) => b.bias));
  assert.equal(summarize(buildZooModel('se-resnet-demo?se=off')).seBlocks.length, 0);
  assert.equal(summarize(buildZooModel('se-mobilenetv3-demo')).seBlocks[0].gate, 'hard-sigmoid');
});

test('bad zoo names and options are one-sentence ModelErrors', () => {
  assert.throws(() => buildZooModel('se-resnet9000'), (e: Error) => e instanceof ModelError && /Unknown zoo model/.test(e.message));
  assert.throws(() => parseZooSpec('se-resnet50?input=32x32'), ModelError);
  assert.throws(() => parseZooSpec('se-resnet50?width=-1'), ModelError);
  assert.throws(() => parseZooSpec('se-resnet50?colour=blue'), ModelError);
  assert.throws(() => parseZooSpec('se-resnet50?classes=0'), ModelError);
  assert.throws(() => parseZooSpec('se-resnet50?se=maybe'), ModelError);
});
