/**
 * A seeded slice of the fuzz suite (npm run fuzz runs 2,000 per format): 300 structure-aware
 * mutations per format, each through `inspect` and `eval --limit 20` in a watched worker. None
 * may be an internal error, crash, hang or memory failure; the mutators must reach the checks
 * (enough cases refused with a sentence, enough still valid), and the worker stays under 1 GiB.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { FORMATS, OUTCOMES, isDefect, type Outcome } from './case.js';
import { makeCase } from './generate.js';
import { FuzzPool } from './pool.js';
import { prepareSeeds } from './seeds.js';
import { seedsDir } from './main.js';

const CASES = 300;
const SEED = 2024;
/** At least this many of each format's cases are refused with a sentence, and this many still run. */
const MIN: Record<(typeof FORMATS)[number], { sentence: number; ok: number }> = {
  onnx: { sentence: 150, ok: 15 },
  seprune: { sentence: 200, ok: 5 },
  tfjs: { sentence: 50, ok: 100 },
  idx: { sentence: 150, ok: 15 },
  image: { sentence: 0, ok: 250 },
};

test(`${CASES} seeded mutations per format: no internal error, crash, hang or memory failure`, { timeout: 600_000 }, async () => {
  const seeds = await prepareSeeds(seedsDir());
  const pool = new FuzzPool({ seeds, timeoutMs: 30_000 });
  const defects: string[] = [];
  try {
    for (const f of FORMATS) {
      const counts = Object.fromEntries(OUTCOMES.map((o) => [o, 0])) as Record<Outcome, number>;
      for (let i = 0; i < CASES; i++) {
        const c = await makeCase(f, seeds, SEED, i);
        const r = await pool.run(c);
        counts[r.outcome]++;
        if (isDefect(r.outcome)) defects.push(`${f} #${i} (${c.what}): ${r.outcome} ${r.message}`);
      }
      console.log(`# ${f}: ${OUTCOMES.map((o) => `${o} ${counts[o]}`).join(', ')}`);
      assert.equal(counts.ok + counts.sentence + counts.internal + counts.crash + counts.hang + counts.memory, CASES);
      assert.ok(counts.sentence >= MIN[f].sentence, `${f}: only ${counts.sentence} refused with a sentence`);
      assert.ok(counts.ok >= MIN[f].ok, `${f}: only ${counts.ok} still valid`);
    }
  } finally {
    pool.close();
  }
  console.log(`# peak worker RSS ${(pool.peakRss / 2 ** 20).toFixed(0)} MiB`);
  assert.deepEqual(defects, []);
  assert.ok(pool.peakRss < 2 ** 30, `peak RSS ${(pool.peakRss / 2 ** 20).toFixed(0)} MiB`);
});
