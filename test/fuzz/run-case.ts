/**
 * Runs one case in this process, as the CLI would: its files are written to a fresh folder, then
 * `inspect <model>` (model formats) and `eval <model> --data <folder> --limit 20 --no-latency`
 * run through the commands' own functions. A UserError whose message is one line is a clear
 * sentence; anything else that escapes is an internal error (what the CLI reports as a bug).
 */
import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { performance } from 'node:perf_hooks';
import { COMMANDS } from '../../app/cli/commands/index.js';
import { UserError } from '../../app/model/errors.js';
import type { CaseResult, FuzzCase, Ref } from './case.js';

const quiet = { update() {}, done() {} };

async function command(name: string, positionals: string[], values: Record<string, string | boolean>): Promise<void> {
  const spec = COMMANDS.find((c) => c.name === name)!;
  await spec.run({ values, positionals, json: true, progress: quiet, log: () => {} });
}

/** One clear sentence: a single line, not the wording of a bug. */
export function isSentence(m: string): boolean {
  return m.length > 0 && m.length < 2000 && !m.includes('\n') && !/\(a bug\)|this is a bug|is not a function|Cannot read prop|undefined \(reading/i.test(m);
}

export async function runCase(c: FuzzCase, seeds: string): Promise<CaseResult> {
  const dir = mkdtempSync(join(tmpdir(), 'seprune-fuzz-'));
  const t0 = performance.now();
  const at = (r: Ref) => ('file' in r ? join(dir, r.file) : join(seeds, r.seed));
  let step: 'inspect' | 'eval' = 'inspect';
  try {
    for (const [rel, bytes] of Object.entries(c.files)) {
      mkdirSync(dirname(join(dir, rel)), { recursive: true });
      writeFileSync(join(dir, rel), bytes);
    }
    if (c.inspect) await command('inspect', [at(c.model)], {});
    if (c.data) {
      step = 'eval';
      await command('eval', [at(c.model)], { data: at(c.data), limit: '20', 'no-latency': true });
    }
    return { outcome: 'ok', ms: performance.now() - t0 };
  } catch (e) {
    // The case's temp folder and the seeds' folder named as such, so a kept message is stable.
    const message = (e instanceof Error ? e.message : String(e)).replaceAll(dir, '<case>').replaceAll(seeds, '<seeds>').slice(0, 500);
    const ok = e instanceof UserError && isSentence(e.message);
    return { outcome: ok ? 'sentence' : 'internal', message: ok ? message : `${(e as Error)?.name ?? 'thrown'}: ${message} ${(e as Error)?.stack?.split('\n').slice(1, 4).join(' ') ?? ''}`.slice(0, 800), command: step, ms: performance.now() - t0 };
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
}
