/**
 * One prune workflow: `seprune prune` and the app's prune job (statistics job, then prune job,
 * through the service the desktop and browser hosts call) give the same result for the same
 * settings — the same accuracy before and after, the same plan, the same SE decisions and the
 * same pruned graph. A gradient criterion, two rounds and ignored layers are used so that the
 * parts where the two hosts once drifted (taylor, steps, ignore) are exercised.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { createService } from './service.js';
import { PRUNE_DEFAULTS, type JobEvent, type ModelInfo, type PruneResult } from './contract.js';
import { pruneCommand } from '../cli/commands/prune.js';
import type { CommandContext } from '../cli/command.js';
import { loadModel } from '../import/load.js';
import { summarize } from '../model/summary.js';

const MODEL = 'zoo:se-resnet-demo-fmnist';
const LIMIT = 200;

async function cliPrune(values: CommandContext['values'], out: string): Promise<Record<string, unknown>> {
  const ctx: CommandContext = { values: { ...values, json: true, out }, positionals: [MODEL], json: true, progress: { update() {}, done() {} }, log() {} };
  return (await pruneCommand.run(ctx)).json as Record<string, unknown>;
}

function until(events: JobEvent[], jobId: string): Promise<JobEvent> {
  return new Promise((resolve) => {
    const tick = () => {
      const e = events.find((x) => x.jobId === jobId && (x.type === 'done' || x.type === 'error' || x.type === 'cancelled'));
      if (e) resolve(e);
      else setTimeout(tick, 20);
    };
    tick();
  });
}

for (const criterion of ['se-taylor', 'l1'] as const) {
  test(`the CLI and the app's prune job agree exactly (${criterion}, 2 steps, an ignored layer)`, { timeout: 240_000 }, async () => {
    const ignore = ['stage1.*'];
    const dir = mkdtempSync(join(tmpdir(), 'seprune-parity-'));
    const out = join(dir, 'cli.seprune');
    const cli = await cliPrune(
      { data: 'fashion-mnist', limit: String(LIMIT), criterion, 'target-macs': '0.5', steps: '2', ignore: ignore.join(','), residual: 'freeze' },
      out,
    );

    const events: JobEvent[] = [];
    const svc = createService({ emit: (e) => events.push(e), recent: null });
    try {
      const m: ModelInfo = await svc.openModel({ model: MODEL });
      const st = await svc.runStats({ modelId: m.id, data: 'fashion-mnist', split: 'train', limit: LIMIT, seed: 0, preprocess: m.preprocessing });
      const sd = await until(events, st.jobId);
      assert.equal(sd.type, 'done', JSON.stringify(sd));
      const pj = await svc.prune({ modelId: m.id, ...PRUNE_DEFAULTS, criterion, target: { targetMacs: 0.5 }, steps: 2, ignore, residual: 'freeze' });
      const pd = await until(events, pj.jobId);
      assert.equal(pd.type, 'done', JSON.stringify(pd));
      const app = (pd as { result: PruneResult }).result;
      const r = app.report;

      for (const k of ['top1Before', 'top1Pruned', 'top1After', 'paramsAfter', 'macsAfter', 'bnRecalibratedOn', 'criterion'] as const) {
        assert.equal(r[k], cli[k], `${k}: app ${String(r[k])}, CLI ${String(cli[k])}`);
      }
      assert.ok(typeof r.top1After === 'number' && r.top1After > 0.2, `top-1 after ${r.top1After}`);
      assert.deepEqual(
        r.groups.map((g) => [g.label, g.keep]),
        (cli.groups as { label: string; keep: number }[]).map((g) => [g.label, g.keep]),
      );
      assert.deepEqual(
        r.seBlocks.map((b) => [b.block, b.decision]),
        (cli.seBlocks as { block: string; decision: string }[]).map((b) => [b.block, b.decision]),
      );
      // The written file and the app's model are the same network.
      const written = summarize((await loadModel(out)).project.graph);
      assert.deepEqual(JSON.parse(JSON.stringify(app.model.summary)), JSON.parse(JSON.stringify(written)));
    } finally {
      svc.close();
    }
  });
}
