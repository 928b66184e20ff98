/**
 * compare: every row equals a separate `evaluate` run on the same images (top-1, top-5, per
 * class) and the cost accounting (params, MACs); differences are row minus the first row, so two
 * identical models differ by zero; `seprune compare --html` writes an offline report atomically
 * and refuses to overwrite it without --force.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { existsSync, mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { buildZooModel } from '../model/zoo/index.js';
import { costReport } from '../model/accounting.js';
import { openDataset, sampleIndices } from '../data/index.js';
import { evaluate } from './evaluate.js';
import { compareModels } from './compare.js';
import type { CompareReport } from './compare.js';

const LIMIT = 80;

async function data() {
  const ds = await openDataset({ data: 'fashion-mnist', split: 'test', limit: LIMIT, seed: 1, preprocess: { mean: [0.286], std: [0.353], channels: 1 } });
  return { ds, idx: sampleIndices(await ds.labels(), LIMIT, 1) };
}

test('each row equals a separate evaluate run; differences are against the first model', { timeout: 60_000 }, async () => {
  const { ds, idx } = await data();
  const graphs = [buildZooModel('se-mobilenet-demo'), buildZooModel('se-resnet-demo')];
  const r = await compareModels(
    graphs.map((g, i) => ({ label: `m${i}`, graph: g, fileBytes: 1000 * (i + 1) })),
    ds,
    idx,
    { latencyRuns: 3 },
  );
  assert.equal(r.rows.length, 2);
  assert.equal(r.data.n, LIMIT);
  assert.deepEqual(r.classNames, ds.classes);
  for (const [i, g] of graphs.entries()) {
    const ev = await evaluate(g, ds, idx);
    const row = r.rows[i];
    assert.equal(row.n, ev.n);
    assert.equal(row.top1, ev.top1);
    assert.equal(row.top5, ev.top5);
    assert.deepEqual(row.perClass.map((c) => [c.label, c.n, c.top1]), ev.perClass.map((c) => [c.label, c.n, c.top1]));
    const cost = costReport(g);
    assert.equal(row.params, cost.params);
    assert.equal(row.macs, cost.macs);
    assert.ok(row.latencyMs !== null && row.latencyMs > 0);
  }
  const d = r.diffs[1];
  assert.equal(d.top1, r.rows[1].top1 - r.rows[0].top1);
  assert.equal(d.top5, r.rows[1].top5 - r.rows[0].top5);
  assert.equal(d.params, r.rows[1].params - r.rows[0].params);
  assert.equal(d.macs, r.rows[1].macs - r.rows[0].macs);
  assert.equal(d.fileBytes, 1000);
  assert.deepEqual(d.perClass, r.rows[1].perClass.map((c, k) => c.top1 - r.rows[0].perClass[k].top1));
  assert.ok(d.params !== 0 && d.macs !== 0, 'two different models differ');
});

test('two identical models give zero differences', { timeout: 60_000 }, async () => {
  const { ds, idx } = await data();
  const g = buildZooModel('se-mobilenet-demo');
  const r = await compareModels([{ label: 'a', graph: g, fileBytes: 123 }, { label: 'b', graph: structuredClone(g), fileBytes: 123 }], ds, idx, { latency: false });
  const d = r.diffs[1];
  assert.deepEqual([d.top1, d.top5, d.params, d.macs, d.fileBytes, d.latencyMs], [0, 0, 0, 0, 0, null]);
  assert.equal(d.perClass.length, 10);
  assert.ok(d.perClass.every((x) => x === 0));
  assert.ok(r.diffs[0].perClass.every((x) => x === 0));
});

test('seprune compare --html writes an offline report, --json prints the rows, no overwrite without --force', { timeout: 90_000 }, () => {
  const bin = fileURLToPath(new URL('../../bin/seprune.mjs', import.meta.url));
  const dir = mkdtempSync(join(tmpdir(), 'seprune-compare-'));
  try {
    const html = join(dir, 'report.html');
    const args = ['compare', 'zoo:se-mobilenet-demo', 'zoo:se-shufflenet-demo', '--data', 'fashion-mnist', '--limit', '40', '--html', html];
    const r = spawnSync(process.execPath, [bin, ...args, '--json'], { encoding: 'utf8', timeout: 60_000 });
    assert.equal(r.status, 0, r.stderr);
    const j = JSON.parse(r.stdout) as CompareReport & { html: string };
    assert.deepEqual(j.rows.map((x) => x.model), ['zoo:se-mobilenet-demo', 'zoo:se-shufflenet-demo']);
    assert.equal(j.data.n, 40);
    assert.ok(j.rows.every((x) => x.fileBytes > 0 && x.latencyMs !== null));
    const page = readFileSync(html, 'utf8');
    assert.equal((page.match(/<svg /g) ?? []).length, 2);
    assert.doesNotMatch(page, /https?:\/\//);
    assert.ok(page.includes('zoo:se-shufflenet-demo'));
    const again = spawnSync(process.execPath, [bin, ...args], { encoding: 'utf8', timeout: 60_000 });
    assert.equal(again.status, 1);
    assert.match(again.stderr, /already exists; pass --force/);
    const one = spawnSync(process.execPath, [bin, 'compare', 'zoo:se-mobilenet-demo', '--data', 'fashion-mnist'], { encoding: 'utf8', timeout: 60_000 });
    assert.equal(one.status, 1);
    assert.match(one.stderr, /at least two models/);
    assert.ok(!existsSync(join(dir, 'other.html')));
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
});
