import { test } from 'node:test';
import assert from 'node:assert/strict';
import { signed, signedMs, signedPercent, signedPoints } from './deltas.js';

test('differences are written with their sign and unit', () => {
  assert.equal(signedPoints(0.004), '+0.40 pt');
  assert.equal(signedPoints(-0.012), '-1.20 pt');
  assert.equal(signedPoints(0), '±0.00 pt');
  assert.equal(signedPoints(0.25, 1), '+25.0 pt');
  assert.equal(signedMs(0.01), '+0.010 ms');
  assert.equal(signedMs(-0.5), '-0.500 ms');
  assert.equal(signed(-21900, '-21.9k'), '-21.9k');
  assert.equal(signed(1200, '1.2k'), '+1.2k');
  assert.equal(signedPercent(-219, 444), '-49.3%');
  assert.equal(signedPercent(31, 1000), '+3.1%');
  assert.equal(signedPercent(5, 0), '');
});

test('a difference that rounds to zero is written as zero, not "-0.00"', () => {
  assert.equal(signedPoints(-0.00001), '±0.00 pt');
  assert.equal(signedPoints(0.00001), '±0.00 pt');
  assert.equal(signedMs(-0.0001), '±0.000 ms');
  assert.equal(signedPercent(-1, 100000), '±0.0%');
});
