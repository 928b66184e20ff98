import { test } from 'node:test';
import assert from 'node:assert/strict';
import { compact, exact, pct, signedCount, signedMs, signedPercent, signedPoints } from './format.js';

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
