/**
 * `npm run fuzz [-- --cases N] [--seed S] [--format onnx,seprune,tfjs,idx,image] [--timeout S]`:
 * N seeded structure-aware mutations per format (default 2000), each run through `inspect` and
 * `eval --limit 20` in a watched worker (pool.ts); prints a table of outcomes per format and the
 * worker's peak RSS. Every case that is a defect (internal error, crash, hang, memory) is written
 * to test/fuzz/regressions/ with what it found; regressions.test.ts re-runs them all in npm test,
 * and expects the one sentence recorded once the defect is fixed (`--pin` records the sentences
 * the current code gives for every regression file).
 */
import { createHash } from 'node:crypto';
import { mkdirSync, readFileSync, readdirSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { parseArgs } from 'node:util';
import { fileURLToPath } from 'node:url';
import { FORMATS, OUTCOMES, isDefect, loadCase, storeCase, type Format, type Outcome } from './case.js';
import { prepareSeeds } from './seeds.js';
import { makeCase } from './generate.js';
import { FuzzPool } from './pool.js';
import type { Regression } from './regressions.js';

export const REGRESSIONS = fileURLToPath(new URL('./regressions/', import.meta.url));
export const seedsDir = () => join(tmpdir(), 'seprune-fuzz-seeds');

async function pin(): Promise<void> {
  const pool = new FuzzPool({ seeds: await prepareSeeds(seedsDir()) });
  try {
    for (const f of readdirSync(REGRESSIONS).filter((n) => n.endsWith('.json')).sort()) {
      const r = JSON.parse(readFileSync(join(REGRESSIONS, f), 'utf8')) as Regression;
      const got = await pool.run(loadCase(r.case));
      r.expected = { outcome: got.outcome, ...(got.message !== undefined ? { message: got.message } : {}) };
      writeFileSync(join(REGRESSIONS, f), JSON.stringify(r, null, 1) + '\n');
      console.log(`${f}: ${got.outcome}${got.message ? ` "${got.message.slice(0, 120)}"` : ''}`);
    }
  } finally {
    pool.close();
  }
}

async function main(): Promise<void> {
  const { values } = parseArgs({ options: { cases: { type: 'string', default: '2000' }, seed: { type: 'string', default: '1' }, format: { type: 'string' }, timeout: { type: 'string', default: '30' }, pin: { type: 'boolean' } } });
  if (values.pin) return pin();
  const n = Number(values.cases);
  const seed = Number(values.seed);
  const formats = (values.format ? values.format.split(',') : [...FORMATS]) as Format[];
  for (const f of formats) if (!FORMATS.includes(f)) throw new Error(`Unknown format ${f}; formats: ${FORMATS.join(', ')}.`);
  const seeds = await prepareSeeds(seedsDir());
  const pool = new FuzzPool({ seeds, timeoutMs: Number(values.timeout) * 1000 });
  mkdirSync(REGRESSIONS, { recursive: true });
  const rows: string[] = [];
  const t0 = Date.now();
  let defects = 0;
  try {
    for (const f of formats) {
      const counts = Object.fromEntries(OUTCOMES.map((o) => [o, 0])) as Record<Outcome, number>;
      let slowest = 0;
      const tf = Date.now();
      for (let i = 0; i < n; i++) {
        const c = await makeCase(f, seeds, seed, i);
        const r = await pool.run(c);
        counts[r.outcome]++;
        slowest = Math.max(slowest, r.ms);
        if (isDefect(r.outcome)) {
          defects++;
          const stored = storeCase(c);
          const name = `${f}-${createHash('sha256').update(JSON.stringify(stored)).digest('hex').slice(0, 12)}.json`;
          const reg: Regression = { found: { date: new Date().toISOString().slice(0, 10), seed, index: i, outcome: r.outcome, message: r.message ?? '' }, expected: null, case: stored };
          writeFileSync(join(REGRESSIONS, name), JSON.stringify(reg, null, 1) + '\n');
          console.error(`${f} #${i} ${r.outcome}: ${c.what} → ${r.message?.slice(0, 300)} (kept as regressions/${name})`);
        }
        if ((i + 1) % 250 === 0) console.error(`${f}: ${i + 1}/${n} (${((Date.now() - tf) / 1000).toFixed(0)} s)`);
      }
      rows.push(`| ${f} | ${n} | ${OUTCOMES.map((o) => counts[o]).join(' | ')} | ${(slowest / 1000).toFixed(2)} | ${((Date.now() - tf) / 1000).toFixed(0)} |`);
    }
  } finally {
    pool.close();
  }
  console.log(`| format | cases | ${OUTCOMES.join(' | ')} | slowest case (s) | wall (s) |`);
  console.log(`|---|---|${OUTCOMES.map(() => '---').join('|')}|---|---|`);
  for (const r of rows) console.log(r);
  console.log(`\nseed ${seed}; peak worker RSS ${(pool.peakRss / 2 ** 20).toFixed(0)} MiB; worker restarts ${pool.restarts}; ${((Date.now() - t0) / 1000).toFixed(0)} s in all; node ${process.version}`);
  if (defects) process.exitCode = 1;
}

if (process.argv[1] === fileURLToPath(import.meta.url)) {
  main().catch((e: unknown) => {
    console.error(e);
    process.exit(2);
  });
}
