/**
 * A model without SE blocks prunes with every criterion that needs no gates (and the gate ones
 * fall back with a note instead of refusing for lacking gate statistics), and lands on the
 * MACs target or says it did not.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { loadModel } from '../app/import/load.js';
import { seNodes } from '../app/model/ir.js';
import { openDataset, sampleIndices } from '../app/data/index.js';
import { runPrune, PRUNE_DEFAULTS, TARGET_TOLERANCE, type RunPruneSettings } from '../app/workflows/prune.js';

const settings: RunPruneSettings = { ...PRUNE_DEFAULTS, fold: { ...PRUNE_DEFAULTS.fold }, criterion: 'l1', target: { targetMacs: 0.5 }, seed: 0, ignore: [] };

test('a model without SE blocks prunes with l1, taylor, bn-gamma, random and (by fallback) the gate criteria', { timeout: 120_000 }, async () => {
  const m = await loadModel('zoo:se-resnet-demo?se=off');
  const g = m.project.graph;
  assert.equal(seNodes(g).length, 0);
  const pre = { mean: [0.286], std: [0.353], channels: 1 as const };
  const calib = await openDataset({ data: 'fashion-mnist', split: 'train', preprocess: pre });
  const data = { calib: { ds: calib, idx: sampleIndices(await calib.labels(), 64, 0) }, engine: 'auto' as const };
  for (const criterion of ['l1', 'taylor', 'bn-gamma', 'random', 'se-mean', 'se-taylor']) {
    const r = (await runPrune({ graph: g, source: 'no-se', hash: m.hash }, { ...settings, criterion }, data)).report;
    const kept = r.macsAfter / r.macsBefore;
    assert.ok(kept < 0.75, `${criterion}: MACs kept ${kept}`);
    // Either within the tolerance, or the report says it is not.
    assert.equal(r.targetMet, Math.abs(kept - 0.5) <= TARGET_TOLERANCE + 1e-9, `${criterion}: kept ${kept}, targetMet ${r.targetMet}`);
    if (criterion.startsWith('se-')) assert.ok(r.notes.some((n) => /L1|weight Taylor/.test(n)), `${criterion}: ${r.notes.join(' | ')}`);
  }
});
