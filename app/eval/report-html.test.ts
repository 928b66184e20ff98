/**
 * The offline compare report: one <svg> per plot, no URL of any kind (no http(s), no script, no
 * external stylesheet), every model name escaped, one point per model in the scatter and one bar
 * per model and class in the per-class plot.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { differences, type CompareReport, type CompareRow } from './compare.js';
import { comparePlots } from './compare-plots.js';
import { renderCompareHtml, escapeHtml } from './report-html.js';

function row(model: string, top1: number, macs: number, perClass: number[]): CompareRow {
  return {
    model,
    engine: 'onnxruntime-node',
    n: 100,
    top1,
    top5: Math.min(1, top1 + 0.1),
    perClass: perClass.map((v, i) => ({ label: i, name: `class ${i}`, n: 10, top1: v })),
    params: macs / 10,
    macs,
    fileBytes: macs / 5,
    latencyMs: macs / 1e6,
  };
}

function report(): CompareReport {
  const rows = [row('zoo:se-resnet-demo', 0.91, 9e6, [0.9, 0.8, 1]), row('<script>alert(1)</script> & "pruned"', 0.9, 4.5e6, [0.85, 0.8, 0.95]), row('c.seprune', 0.905, 4.5e6, [1, 0.7, 0.9])];
  return { data: { name: 'fashion-mnist', source: '/usr/share/x', split: 'test', n: 100 }, classNames: ['class 0', 'class 1', 'class 2'], rows, diffs: differences(rows) };
}

test('the report is self-contained: an <svg> per plot, no URL, no script, names escaped', () => {
  const r = report();
  const page = renderCompareHtml(r, { generated: '2025-01-01T00:00:00Z' });
  const plots = comparePlots(r);
  assert.equal((page.match(/<svg /g) ?? []).length, plots.length);
  assert.equal((page.match(/<\/svg>/g) ?? []).length, plots.length);
  for (const p of plots) assert.ok(page.includes(`data-plot="${p.id}"`));
  assert.doesNotMatch(page, /https?:\/\//i);
  assert.doesNotMatch(page, /<script|<link|<img|<iframe|\bsrc=|url\(|@import/i);
  assert.ok(!page.includes('<script>alert(1)</script>'));
  assert.ok(page.includes(escapeHtml('<script>alert(1)</script> & "pruned"')));
  assert.ok(page.startsWith('<!doctype html>'));
});

test('plots: one point per model at its MACs and top-1, one bar per model and class at its height', () => {
  const r = report();
  const [scatter, bars] = comparePlots(r);
  assert.equal(scatter.circles.length, r.rows.length);
  // Same MACs → same x; higher top-1 → higher on the page (smaller y).
  assert.equal(scatter.circles[1].cx, scatter.circles[2].cx);
  assert.ok(scatter.circles[0].cx > scatter.circles[1].cx);
  assert.ok(scatter.circles[0].cy < scatter.circles[2].cy && scatter.circles[2].cy < scatter.circles[1].cy);
  assert.equal(bars.rects.length, r.rows.length * r.classNames.length);
  // Bar height is proportional to per-class top-1: a 100% bar is the full 0–100% span.
  const full = bars.rects[0 * 3 + 2]; // class 0 of model 3: 1.0 (rects go class by class, model by model)
  const r90 = bars.rects[0]; // class 0 of model 1: 0.9
  assert.ok(Math.abs(r90.h / full.h - 0.9) < 1e-9);
  assert.equal(r90.fill, scatter.circles[0].fill);
});
