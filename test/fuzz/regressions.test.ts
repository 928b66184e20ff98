/**
 * Every fuzz case that ever failed (test/fuzz/regressions/*.json, written by `npm run fuzz`) runs
 * again in a watched worker and must give the outcome and sentence recorded when it was fixed.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { readFileSync, readdirSync } from 'node:fs';
import { join } from 'node:path';
import { loadCase } from './case.js';
import { FuzzPool } from './pool.js';
import { prepareSeeds } from './seeds.js';
import { REGRESSIONS, seedsDir } from './main.js';
import type { Regression } from './regressions.js';

test('every kept fuzz regression gives its recorded sentence', { timeout: 300_000 }, async () => {
  const files = readdirSync(REGRESSIONS).filter((n) => n.endsWith('.json')).sort();
  assert.ok(files.length >= 23, `${files.length} regression files`);
  const pool = new FuzzPool({ seeds: await prepareSeeds(seedsDir()), timeoutMs: 30_000 });
  try {
    for (const f of files) {
      const r = JSON.parse(readFileSync(join(REGRESSIONS, f), 'utf8')) as Regression;
      assert.ok(r.expected, `${f} is not pinned yet: fix the defect it found ("${r.found.message.slice(0, 120)}"), then run npm run fuzz -- --pin`);
      assert.ok(r.expected.outcome === 'ok' || r.expected.outcome === 'sentence', `${f} is pinned to ${r.expected.outcome}`);
      const got = await pool.run(loadCase(r.case));
      assert.equal(got.outcome, r.expected.outcome, `${f}: ${got.message}`);
      assert.equal(got.message, r.expected.message, f);
    }
  } finally {
    pool.close();
  }
});
