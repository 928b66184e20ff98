/**
 * The app prunes a model without SE blocks with a statistics-free criterion and the default
 * settings (folding auto): there are no gates to gather statistics of, so none are asked for.
 * A model with SE blocks and no statistics is still refused, in the call, for folding.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { createService } from './service.js';
import { PRUNE_DEFAULTS, type JobEvent, type PruneResult } from './contract.js';

test('a model without SE blocks prunes with l1 through the API, folding left at auto', { timeout: 120_000 }, async () => {
  const events: JobEvent[] = [];
  const service = createService({ emit: (e) => events.push(e), recent: null });
  try {
    const m = await service.openModel({ model: 'zoo:se-resnet-demo?se=off' });
    assert.equal(m.summary.seBlocks.length, 0);
    const settings = { ...structuredClone(PRUNE_DEFAULTS), criterion: 'l1', modelId: m.id };
    const preview = await service.previewPrune(settings);
    const job = await service.prune(settings);
    let end: JobEvent | undefined;
    for (let i = 0; i < 1200 && !end; i++) {
      end = events.find((e) => e.jobId === job.jobId && (e.type === 'done' || e.type === 'error'));
      if (!end) await new Promise((r) => setTimeout(r, 50));
    }
    assert.equal(end?.type, 'done', JSON.stringify(end));
    const r = (end as { result: PruneResult }).result;
    assert.equal(r.report.macsAfterPruning, preview.macsAfter);
    assert.ok(Math.abs(r.report.macsAfterPruning / r.report.macsBefore - 0.5) <= 0.02, `${r.report.macsAfterPruning / r.report.macsBefore}`);

    const se = await service.openModel({ model: 'zoo:se-resnet-demo' });
    await assert.rejects(service.prune({ ...settings, modelId: se.id }), /^UserError: SE folding needs gate statistics: run the statistics first, or set folding to none\.$/);
  } finally {
    service.close();
  }
});
