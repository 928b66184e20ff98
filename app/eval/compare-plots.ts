/**
 * The compare report's plots as plain geometry (rects, circles, lines, texts in SVG user units):
 * accuracy vs MACs (one point per model) and per-class top-1 bars (one bar per model in each
 * class). The offline HTML report (report-html.ts) and the app's Compare view draw the same
 * primitives, so both show the same plots. Pure: no DOM, no Node (the renderer imports it too).
 */
import type { CompareReport } from './compare-types.js';

export interface PlotRect {
  x: number;
  y: number;
  w: number;
  h: number;
  fill: string;
  title: string;
}
export interface PlotCircle {
  cx: number;
  cy: number;
  r: number;
  fill: string;
  title: string;
}
export interface PlotLine {
  x1: number;
  y1: number;
  x2: number;
  y2: number;
  kind: 'axis' | 'grid';
}
export interface PlotText {
  x: number;
  y: number;
  text: string;
  anchor: 'start' | 'middle' | 'end';
  /** Degrees, around (x, y). */
  rotate?: number;
  muted?: boolean;
}
export interface Plot {
  id: string;
  title: string;
  width: number;
  height: number;
  rects: PlotRect[];
  circles: PlotCircle[];
  lines: PlotLine[];
  texts: PlotText[];
  /** Model colours in row order, for a legend. */
  legend: { label: string; colour: string }[];
}

/** One colour per model, in row order (colour-blind-safe first). */
export const MODEL_COLOURS = ['#2457c5', '#e08a1e', '#2f7d4f', '#c0392b', '#8e44ad', '#16a2b8', '#7f6a00', '#d35400'];
export const modelColour = (i: number): string => MODEL_COLOURS[i % MODEL_COLOURS.length];

const pctText = (v: number, digits = 0): string => `${(v * 100).toFixed(digits)}%`;

export function compactCount(n: number): string {
  const a = Math.abs(n);
  if (a >= 1e9) return `${(n / 1e9).toFixed(2)}G`;
  if (a >= 1e6) return `${(n / 1e6).toFixed(2)}M`;
  if (a >= 1e3) return `${(n / 1e3).toFixed(1)}k`;
  return String(Math.round(n));
}

function legendOf(r: CompareReport): Plot['legend'] {
  return r.rows.map((row, i) => ({ label: `${i + 1}. ${row.model}`, colour: modelColour(i) }));
}

/** A y range around the values on a 1-point grid, at least 4 points tall, inside [0, 1]. */
function accuracyRange(values: number[]): [number, number] {
  let lo = Math.max(0, Math.floor((Math.min(...values) - 0.01) * 100) / 100);
  let hi = Math.min(1, Math.ceil((Math.max(...values) + 0.01) * 100) / 100);
  while (hi - lo < 0.04) {
    if (lo > 0) lo = Math.max(0, lo - 0.01);
    if (hi < 1) hi = Math.min(1, hi + 0.01);
    if (lo === 0 && hi === 1) break;
  }
  return [lo, hi];
}

/** Top-1 against MACs, one numbered point per model; the x axis starts at 0 MACs. */
export function accuracyVsMacsPlot(r: CompareReport): Plot {
  const width = 560;
  const height = 320;
  const p = { l: 66, r: 24, t: 16, b: 48 };
  const [lo, hi] = accuracyRange(r.rows.map((x) => x.top1));
  const xMax = Math.max(1, ...r.rows.map((x) => x.macs)) * 1.08;
  const X = (m: number): number => p.l + ((width - p.l - p.r) * m) / xMax;
  const Y = (a: number): number => p.t + (height - p.t - p.b) * (1 - (a - lo) / (hi - lo));
  const lines: PlotLine[] = [];
  const texts: PlotText[] = [];
  for (let k = 0; k <= 4; k++) {
    const a = lo + ((hi - lo) * k) / 4;
    lines.push({ x1: p.l, x2: width - p.r, y1: Y(a), y2: Y(a), kind: 'grid' });
    texts.push({ x: p.l - 6, y: Y(a) + 4, text: pctText(a, hi - lo < 0.1 ? 1 : 0), anchor: 'end' });
    const m = (xMax * k) / 4;
    texts.push({ x: X(m), y: height - p.b + 16, text: compactCount(m), anchor: 'middle' });
  }
  lines.push({ x1: p.l, x2: width - p.r, y1: height - p.b, y2: height - p.b, kind: 'axis' });
  lines.push({ x1: p.l, x2: p.l, y1: p.t, y2: height - p.b, kind: 'axis' });
  texts.push({ x: (p.l + width - p.r) / 2, y: height - 8, text: 'MACs per image', anchor: 'middle', muted: true });
  texts.push({ x: 12, y: (p.t + height - p.b) / 2, text: 'top-1', anchor: 'middle', rotate: -90, muted: true });
  const circles: PlotCircle[] = r.rows.map((row, i) => ({
    cx: X(row.macs),
    cy: Y(row.top1),
    r: 6,
    fill: modelColour(i),
    title: `${row.model}, top-1: ${pctText(row.top1, 2)}, MACs: ${compactCount(row.macs)}`,
  }));
  r.rows.forEach((row, i) => texts.push({ x: X(row.macs) + 9, y: Y(row.top1) - 7, text: String(i + 1), anchor: 'start' }));
  return { id: 'accuracy-vs-macs', title: 'Top-1 accuracy vs MACs', width, height, rects: [], circles, lines, texts, legend: legendOf(r) };
}

/** Per-class top-1: for each class, one bar per model (in the model's colour), 0–100%. */
export function perClassPlot(r: CompareReport): Plot {
  const classes = r.classNames.length;
  const models = r.rows.length;
  const barW = Math.max(3, Math.min(16, 60 / models));
  const groupW = barW * models + 10;
  const p = { l: 48, r: 12, t: 14, b: 76 };
  const width = Math.max(360, p.l + p.r + groupW * classes);
  const height = 300;
  const Y = (a: number): number => p.t + (height - p.t - p.b) * (1 - a);
  const lines: PlotLine[] = [];
  const texts: PlotText[] = [];
  for (const a of [0, 0.25, 0.5, 0.75, 1]) {
    lines.push({ x1: p.l, x2: width - p.r, y1: Y(a), y2: Y(a), kind: a === 0 ? 'axis' : 'grid' });
    texts.push({ x: p.l - 6, y: Y(a) + 4, text: pctText(a), anchor: 'end' });
  }
  const rects: PlotRect[] = [];
  r.classNames.forEach((name, c) => {
    const x0 = p.l + c * groupW + 5;
    r.rows.forEach((row, i) => {
      const v = row.perClass[c]?.top1 ?? 0;
      rects.push({ x: x0 + i * barW, y: Y(v), w: Math.max(1, barW - 1), h: Y(0) - Y(v), fill: modelColour(i), title: `${row.model}, ${name}, top-1: ${pctText(v, 1)}` });
    });
    const cx = x0 + (barW * models) / 2;
    texts.push({ x: cx + 4, y: Y(0) + 12, text: name.length > 14 ? `${name.slice(0, 13)}…` : name, anchor: 'end', rotate: -40 });
  });
  return { id: 'per-class', title: 'Top-1 per class', width, height, rects, circles: [], lines, texts, legend: legendOf(r) };
}

/** Every plot of the report, in the order the report shows them. */
export function comparePlots(r: CompareReport): Plot[] {
  return [accuracyVsMacsPlot(r), perClassPlot(r)];
}
