/**
 * The compare report as one self-contained HTML page: the side-by-side table with differences
 * against the first model, the per-class table, and the plots as inline SVG (compare-plots.ts).
 * No script, no external stylesheet, font, image or URL of any kind, so it opens offline and
 * anywhere. Pure string rendering: the caller writes it (atomically).
 */
import type { CompareDiff, CompareReport, CompareRow } from './compare.js';
import { comparePlots, compactCount, type Plot } from './compare-plots.js';
import { signed, signedMs, signedPercent, signedPoints } from './deltas.js';

/** Escapes text for HTML element content and double-quoted attributes. */
export function escapeHtml(s: string): string {
  return s.replace(/[&<>"']/g, (c) => ({ '&': '&amp;', '<': '&lt;', '>': '&gt;', '"': '&quot;', "'": '&#39;' })[c]!);
}

const n2 = (v: number): string => String(Math.round(v * 100) / 100);

/** One plot as an inline <svg> element (no xmlns needed inside HTML). */
export function plotSvg(p: Plot): string {
  const e = escapeHtml;
  const parts: string[] = [];
  parts.push(`<svg viewBox="0 0 ${p.width} ${p.height}" width="${p.width}" height="${p.height}" role="img" aria-label="${e(p.title)}" data-plot="${e(p.id)}">`);
  for (const l of p.lines) parts.push(`<line x1="${n2(l.x1)}" y1="${n2(l.y1)}" x2="${n2(l.x2)}" y2="${n2(l.y2)}" class="${l.kind}"/>`);
  for (const r of p.rects) parts.push(`<rect x="${n2(r.x)}" y="${n2(r.y)}" width="${n2(r.w)}" height="${n2(r.h)}" fill="${r.fill}"><title>${e(r.title)}</title></rect>`);
  for (const c of p.circles) parts.push(`<circle cx="${n2(c.cx)}" cy="${n2(c.cy)}" r="${c.r}" fill="${c.fill}"><title>${e(c.title)}</title></circle>`);
  for (const t of p.texts) {
    const rot = t.rotate ? ` transform="rotate(${t.rotate} ${n2(t.x)} ${n2(t.y)})"` : '';
    parts.push(`<text x="${n2(t.x)}" y="${n2(t.y)}" text-anchor="${t.anchor}"${rot}${t.muted ? ' class="muted"' : ''}>${e(t.text)}</text>`);
  }
  parts.push('</svg>');
  return parts.join('');
}

const pct = (v: number): string => `${(v * 100).toFixed(2)}%`;
const pts = (v: number): string => signedPoints(v);

export function formatBytes(b: number): string {
  const a = Math.abs(b);
  if (a >= 1 << 20) return `${(b / (1 << 20)).toFixed(2)} MiB`;
  if (a >= 1 << 10) return `${(b / (1 << 10)).toFixed(1)} KiB`;
  return `${b} B`;
}

function cell(main: string, diff: string | null, i: number, inline = false): string {
  return `<td class="num">${escapeHtml(main)}${i > 0 && diff !== null ? `${inline ? ' ' : '<br>'}<span class="diff">${escapeHtml(inline ? `(${diff})` : diff)}</span>` : ''}</td>`;
}

function mainRow(row: CompareRow, d: CompareDiff, i: number, colour: string): string {
  const rel = (v: number, base: number): string => (base ? ` (${signedPercent(v, base)})` : '');
  const base = (k: 'params' | 'macs' | 'fileBytes'): number => row[k] - d[k];
  return [
    '<tr>',
    `<td><span class="swatch" style="background:${colour}"></span>${i + 1}. ${escapeHtml(row.model)}</td>`,
    cell(pct(row.top1), pts(d.top1), i),
    cell(pct(row.top5), pts(d.top5), i),
    cell(row.params.toLocaleString('en-US'), signed(d.params, compactCount(d.params)) + rel(d.params, base('params')), i),
    cell(row.macs.toLocaleString('en-US'), signed(d.macs, compactCount(d.macs)) + rel(d.macs, base('macs')), i),
    cell(formatBytes(row.fileBytes), signed(d.fileBytes, formatBytes(d.fileBytes)), i),
    cell(row.latencyMs === null ? '—' : `${row.latencyMs.toFixed(3)} ms`, d.latencyMs === null ? null : signedMs(d.latencyMs), i),
    `<td>${escapeHtml(row.engine)}</td>`,
    '</tr>',
  ].join('');
}

const STYLE = `
body{font:14px/1.5 system-ui,-apple-system,'Segoe UI',sans-serif;margin:2rem auto;max-width:72rem;padding:0 1.5rem;color:#1d1f23;background:#fff}
h1{font-size:1.4rem}h2{font-size:1.1rem;margin-top:2rem}
table{border-collapse:collapse;margin:.5rem 0}th,td{text-align:left;padding:.3rem .8rem .3rem 0;border-bottom:1px solid #dfe3e8;vertical-align:top}
.num{text-align:right;font-variant-numeric:tabular-nums}.diff{color:#5b616b;font-size:.85em}.muted{color:#5b616b}
.swatch{display:inline-block;width:.8em;height:.8em;border-radius:2px;margin-right:.4em;vertical-align:-.05em}
.plots{display:flex;flex-wrap:wrap;gap:2rem;align-items:flex-start}figure{margin:0;overflow-x:auto;max-width:100%}figcaption{font-weight:600;margin-bottom:.3rem}
svg text{font-size:11px;fill:#1d1f23}svg text.muted{fill:#5b616b}svg line.axis{stroke:#5b616b}svg line.grid{stroke:#dfe3e8}
@media (prefers-color-scheme:dark){body{background:#16181c;color:#e6e8eb}th,td{border-color:#30353c}.diff,.muted{color:#9aa1ab}svg text{fill:#e6e8eb}svg text.muted{fill:#9aa1ab}svg line.grid{stroke:#30353c}svg line.axis{stroke:#9aa1ab}}
`;

/** The whole report page. `generated` is shown as is (pass an ISO date for a dated report). */
export function renderCompareHtml(r: CompareReport, o: { generated?: string } = {}): string {
  const plots = comparePlots(r);
  const colours = plots[0].legend.map((l) => l.colour);
  const e = escapeHtml;
  const head = ['model', 'top-1', 'top-5', 'params', 'MACs', 'file size', 'latency (batch 1)', 'engine'];
  const perClassHead = ['class', 'images', ...r.rows.map((_, i) => `${i + 1}.`)];
  const perClassRows = r.classNames.map((name, c) => {
    const cells = r.rows.map((row, i) => cell(pct(row.perClass[c]?.top1 ?? 0), pts(r.diffs[i].perClass[c] ?? 0), i, true)).join('');
    return `<tr><td>${e(name)}</td><td class="num">${r.rows[0].perClass[c]?.n ?? 0}</td>${cells}</tr>`;
  });
  const legend = plots[0].legend.map((l) => `<span><span class="swatch" style="background:${l.colour}"></span>${e(l.label)}</span>`).join(' &nbsp; ');
  return [
    '<!doctype html>',
    '<html lang="en"><head><meta charset="utf-8">',
    '<meta name="viewport" content="width=device-width, initial-scale=1">',
    `<title>Model comparison on ${e(r.data.name)}</title>`,
    `<style>${STYLE}</style></head><body>`,
    '<h1>Model comparison</h1>',
    `<p class="muted">${r.data.n} images of ${e(r.data.name)} (${e(r.data.split)} split, from ${e(r.data.source)}). Differences are against model 1. Latency: median ms per image at batch 1 on the CPU.${o.generated ? ` Generated ${e(o.generated)} by SE Prune Studio.` : ''}</p>`,
    `<table><thead><tr>${head.map((h, i) => `<th${i > 0 && i < 7 ? ' class="num"' : ''}>${h}</th>`).join('')}</tr></thead><tbody>`,
    ...r.rows.map((row, i) => mainRow(row, r.diffs[i], i, colours[i])),
    '</tbody></table>',
    '<h2>Plots</h2>',
    `<p>${legend}</p>`,
    '<div class="plots">',
    ...plots.map((p) => `<figure><figcaption>${e(p.title)}</figcaption>${plotSvg(p)}</figure>`),
    '</div>',
    '<h2>Per-class top-1</h2>',
    `<table><thead><tr>${perClassHead.map((h, i) => `<th${i > 0 ? ' class="num"' : ''}>${e(h)}</th>`).join('')}</tr></thead><tbody>`,
    ...perClassRows,
    '</tbody></table>',
    '</body></html>',
    '',
  ].join('\n');
}
