/**
 * The prune form's per-stage targets and evaluation settings run the CLI's workflow: the app's
 * preview and prune job with `perStage` (alone, or with a MACs target) give `seprune prune
 * --per-stage … --json`'s plan and model, and `evalSplit` / `evalLimit` measure top-1 on the same
 * images as `--eval-split` / `--eval-limit`. Bad values are refused before a job starts.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { createService } from './service.js';
import { PRUNE_DEFAULTS, type JobEvent, type PruneResult, type PruneSettingsDto } from './contract.js';
import { pruneCommand } from '../cli/commands/prune.js';
import type { CommandContext } from '../cli/command.js';
import { loadModel } from '../import/load.js';
import { summarize } from '../model/summary.js';

const MODEL = 'zoo:se-resnet-demo-fmnist';
const PER_STAGE = { stage2: 0.3, stage3: 0.5 };

async function cliPrune(values: CommandContext['values']): Promise<Record<string, unknown>> {
  const ctx: CommandContext = { values: { ...values, json: true }, positionals: [MODEL], json: true, progress: { update() {}, done() {} }, log() {} };
  return (await pruneCommand.run(ctx)).json as Record<string, unknown>;
}

function harness() {
  const events: JobEvent[] = [];
  const svc = createService({ emit: (e) => events.push(e), recent: null });
  const result = async (jobId: string): Promise<JobEvent> => {
    for (let i = 0; i < 4800; i++) {
      const e = events.find((x) => x.jobId === jobId && (x.type === 'done' || x.type === 'error' || x.type === 'cancelled'));
      if (e) return e;
      await new Promise((r) => setTimeout(r, 25));
    }
    throw new Error(`job ${jobId} did not finish`);
  };
  return { svc, result };
}

const rows = (groups: unknown) => (groups as { label: string; size: number; keep: number }[]).map((g) => [g.label, g.size, g.keep]);

test('per-stage targets through the app give the CLI\'s plan and pruned model', { timeout: 120_000 }, async () => {
  const dir = mkdtempSync(join(tmpdir(), 'seprune-perstage-'));
  const { svc, result } = harness();
  try {
    const m = await svc.openModel({ model: MODEL });
    const base: PruneSettingsDto = { ...structuredClone(PRUNE_DEFAULTS), criterion: 'l1', fold: { ...PRUNE_DEFAULTS.fold, mode: 'none' } };
    await assert.rejects(svc.previewPrune({ modelId: m.id, ...base, target: {}, perStage: { stage2: 1 } }), /per-stage fraction to remove must lie from 0 up to/);
    await assert.rejects(svc.prune({ modelId: m.id, ...base, target: {}, perStage: { stage2: 0.3 }, evalSplit: 'val' as 'test' }), /evaluation split must be train or test/);
    await assert.rejects(svc.prune({ modelId: m.id, ...base, target: {}, perStage: { stage2: 0.3 }, evalLimit: 0 }), /evaluation images must be a whole number/);

    for (const [name, target, flags] of [
      ['per-stage alone', {}, {}],
      ['per-stage with a MACs target', { targetMacs: 0.6 }, { 'target-macs': '0.6' }],
    ] as const) {
      const values = { criterion: 'l1', 'fold-se': 'none', 'per-stage': Object.entries(PER_STAGE).map(([k, v]) => `${k}=${v}`).join(','), ...flags };
      const cliPreview = await cliPrune({ ...values, preview: true });
      const appPreview = await svc.previewPrune({ modelId: m.id, ...base, target, perStage: PER_STAGE });
      assert.deepEqual(rows(appPreview.groups), rows(cliPreview.groups), `${name}: preview`);
      assert.equal(appPreview.paramsAfter, cliPreview.paramsAfter, `${name}: preview params`);

      const out = join(dir, `${Object.keys(target).length}.seprune`);
      const cli = await cliPrune({ ...values, out });
      const done = await result((await svc.prune({ modelId: m.id, ...base, target, perStage: PER_STAGE })).jobId);
      assert.equal(done.type, 'done', JSON.stringify(done));
      const app = (done as { result: PruneResult }).result;
      assert.deepEqual(rows(app.report.groups), rows(cli.groups), `${name}: groups`);
      for (const k of ['paramsAfter', 'macsAfter'] as const) assert.equal(app.report[k], cli[k], `${name}: ${k}`);
      assert.deepEqual(JSON.parse(JSON.stringify(app.model.summary)), JSON.parse(JSON.stringify(summarize((await loadModel(out)).project.graph))), `${name}: the same network`);
      // The fixed stages lose their fractions (the rest follow the global target, or stay whole).
      const stage = (label: string) => app.report.groups.find((g) => g.label.startsWith(`${label}.`))!;
      assert.equal(stage('stage2').keep, stage('stage2').size - Math.round(PER_STAGE.stage2 * stage('stage2').size), name);
      assert.equal(stage('stage3').keep, stage('stage3').size - Math.round(PER_STAGE.stage3 * stage('stage3').size), name);
    }
  } finally {
    svc.close();
    rmSync(dir, { recursive: true, force: true });
  }
});

test('the evaluation split and image count measure top-1 on the CLI\'s images', { timeout: 240_000 }, async () => {
  const dir = mkdtempSync(join(tmpdir(), 'seprune-evalsplit-'));
  const { svc, result } = harness();
  try {
    const cli = await cliPrune({ data: 'fashion-mnist', limit: '64', criterion: 'l1', 'target-macs': '0.7', 'eval-split': 'train', 'eval-limit': '40', out: join(dir, 'cli.seprune') });
    const m = await svc.openModel({ model: MODEL });
    const st = await result((await svc.runStats({ modelId: m.id, data: 'fashion-mnist', split: 'train', limit: 64, seed: 0, preprocess: m.preprocessing })).jobId);
    assert.equal(st.type, 'done', JSON.stringify(st));
    const done = await result((await svc.prune({ modelId: m.id, ...structuredClone(PRUNE_DEFAULTS), criterion: 'l1', target: { targetMacs: 0.7 }, evalSplit: 'train', evalLimit: 40 })).jobId);
    assert.equal(done.type, 'done', JSON.stringify(done));
    const r = (done as { result: PruneResult }).result.report;
    assert.deepEqual(r.evalOn, { dataset: 'fashion-mnist', split: 'train', n: 40 });
    assert.deepEqual(r.evalOn, cli.evalOn);
    for (const k of ['top1Before', 'top1After', 'macsAfter'] as const) assert.equal(r[k], cli[k], `${k}: app ${String(r[k])}, CLI ${String(cli[k])}`);
  } finally {
    svc.close();
    rmSync(dir, { recursive: true, force: true });
  }
});
