import { test } from 'node:test';
import assert from 'node:assert/strict';
import { blockLabels, compact, exact, pct, signedCount, signedMs, signedPercent, signedPoints } from './format.js';

test('counts and shares', () => {
  assert.equal(exact(1234567.4), '1,234,567');
  assert.equal(compact(4_900_416), '4.90M');
  assert.equal(compact(-21_900), '-21.9k');
  assert.equal(pct(0.4987, 2), '49.87%');
});

test('every difference the views show is signed, with its unit', () => {
  assert.equal(signedPoints(0.004), '+0.40 pt');
  assert.equal(signedPoints(-0.012, 1), '-1.2 pt');
  assert.equal(signedPoints(0), '±0.00 pt');
  assert.equal(signedPoints(-0.00001), '±0.00 pt');
  assert.equal(signedMs(0.0104), '+0.010 ms');
  assert.equal(signedMs(-0.5, 2), '-0.50 ms');
  assert.equal(signedPercent(31, 1000), '+3.1%');
  assert.equal(signedPercent(-21_900, 44_386), '-49.3%');
  assert.equal(signedPercent(0, 10), '±0.0%');
  assert.equal(signedPercent(3, 0), '');
  assert.equal(signedCount(1200), '+1.2k');
  assert.equal(signedCount(-21_900), '-21.9k');
  assert.equal(signedCount(0), '±0');
});

test('SE block labels keep what tells the blocks apart', () => {
  assert.deepEqual(blockLabels(['/layer1/layer1.0/se/Mul', '/layer1/layer1.1/se/Mul', '/layer2/layer2.0/se/Mul']), ['layer1.0', 'layer1.1', 'layer2.0']);
  assert.deepEqual(blockLabels(['/blocks/blocks.0/blocks.0.0/se', '/blocks/blocks.2/blocks.2.1/se']), ['blocks.0.0', 'blocks.2.1']);
  assert.deepEqual(blockLabels(['features.4.block.2.fc2/Conv', 'features.10.block.2.fc2/Conv']), ['features.4', 'features.10']);
  assert.deepEqual(blockLabels(['stage1.block0.se', 'stage2.block1.se']), ['s1.block0', 's2.block1']);
  assert.deepEqual(blockLabels(['node_Mul_20', 'node_Mul_40']), ['node_Mul_20', 'node_Mul_40']);
  // One block: nothing to compare against, so its whole (tidied) name, elided in the middle.
  assert.deepEqual(blockLabels(['/layer1/layer1.0/se/Mul']), ['layer1.0/se/Mul']);
  assert.deepEqual(blockLabels(['model.features.stage_four.block_three.squeeze_excite/Mul']), ['model.feat…xcite/Mul']);
  // Names that differ only in their tail keep it.
  assert.deepEqual(blockLabels(['a/se1', 'a/se2']), ['a/se1', 'a/se2']);
  for (const l of blockLabels(['x'.repeat(60), 'y'.repeat(60)])) assert.equal(l.length, 20);
});
