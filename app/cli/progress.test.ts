import { test } from 'node:test';
import assert from 'node:assert/strict';
import { progressLine } from './progress.js';
import { duration, estimateEta } from '../util/eta.js';

test('the progress bar says the time left, given or estimated from the rate so far', () => {
  assert.equal(progressLine('stats', 50, 200, 12.4), `stats ${'█'.repeat(8)}${'░'.repeat(22)} 50/200 (25%) ETA 12s`);
  assert.equal(progressLine('stats', 200, 200, 5), `stats ${'█'.repeat(30)} 200/200 (100%)`, 'no ETA once done');
  assert.equal(progressLine('x', 0, 0), `x ${'░'.repeat(30)} 0/0 (0%)`);
  // 40 of 200 in 2 s from 0: 160 left at 20/s.
  assert.equal(estimateEta({ at: 1000, done: 0 }, 3000, 40, 200), 8);
  assert.equal(estimateEta({ at: 1000, done: 0 }, 1500, 40, 200), undefined, 'not before a second');
  assert.equal(estimateEta({ at: 1000, done: 40 }, 3000, 40, 200), undefined, 'no rate without progress');
  assert.deepEqual([duration(59.6), duration(65), duration(3725), duration(NaN)], ['1m00s', '1m05s', '1h02m', '?']);
});
