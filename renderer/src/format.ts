/**
 * Number formatting for the views: exact counts with separators, compact counts, percentages, and
 * differences, always signed with their unit ("+0.40 pt", "-1.20 pt", "+0.010 ms", "-49.3%"; a
 * zero as "±0"). The signed ones are app/eval/deltas.ts's, which the CLI and the HTML report use
 * too, so a difference reads the same everywhere; the views take them from here.
 */
import { signed } from '../../app/eval/deltas.js';

export { signed, signedMs, signedPercent, signedPoints } from '../../app/eval/deltas.js';

export const exact = (n: number): string => Math.round(n).toLocaleString('en-US');

export function compact(n: number): string {
  const a = Math.abs(n);
  if (a >= 1e9) return `${(n / 1e9).toFixed(2)}G`;
  if (a >= 1e6) return `${(n / 1e6).toFixed(2)}M`;
  if (a >= 1e3) return `${(n / 1e3).toFixed(1)}k`;
  return String(Math.round(n));
}

export const pct = (x: number, digits = 1): string => `${(x * 100).toFixed(digits)}%`;

/** A count's difference in compact form: "+1.2k", "-21.9k", "±0". */
export const signedCount = (d: number): string => signed(d, compact(d));

/**
 * Short labels for SE blocks, as a chart draws them under its bars: the part of each name that
 * tells it from the others, at most `max` characters. ONNX node paths repeat their parents
 * (`/layer1/layer1.0/se/Mul` → `layer1.0/se/Mul`) and the blocks share a tail (`/se/Mul`,
 * `.fc2/Conv`), which is dropped while the names stay distinct; what is still too long loses its
 * middle (`features.4…fc2`). The zoo's `stage1.block0.se` reads `s1.block0`.
 */
export function blockLabels(names: string[], max = 20): string[] {
  const tidy = names.map((n) =>
    n
      .replace(/^\/+/, '')
      .replace(/\.se$/, '')
      .replace(/^stage/, 's')
      .split('/')
      .filter((seg, i, segs) => !(segs[i + 1]?.startsWith(`${seg}.`) ?? false))
      .join('/'),
  );
  // Tokens with their separator in front: "layer1.0/se/Mul" → ["layer1", ".0", "/se", "/Mul"].
  const tokens = tidy.map((n) => n.match(/[/.]?[^/.]+/g) ?? [n]);
  let drop = 0;
  if (names.length > 1) {
    for (let k = 1; tokens.every((t) => t.length > k && t[t.length - k] === tokens[0][tokens[0].length - k]); k++) drop = k;
    // A shared tail can be all that tells two names apart once their parents are dropped.
    while (drop > 0 && new Set(tokens.map((t) => t.slice(0, t.length - drop).join(''))).size < new Set(tidy).size) drop--;
  }
  return tokens.map((t) => {
    const s = t.slice(0, t.length - drop).join('');
    if (s.length <= max) return s;
    const head = Math.ceil((max - 1) / 2);
    return `${s.slice(0, head)}…${s.slice(s.length - (max - 1 - head))}`;
  });
}

/** A colour from a sequential scale (0 → light, 1 → dark blue), for gates and identity scores. */
export function gateColour(v: number): string {
  const t = Math.max(0, Math.min(1, v));
  // Interpolates #f7fbff → #08306b in three stops (a "Blues" ramp).
  const stops = [
    [247, 251, 255],
    [107, 174, 214],
    [8, 48, 107],
  ];
  const x = t * 2;
  const i = Math.min(1, Math.floor(x));
  const f = x - i;
  const [a, b] = [stops[i], stops[i + 1]];
  const c = a.map((ai, k) => Math.round(ai + (b[k] - ai) * f));
  return `rgb(${c[0]}, ${c[1]}, ${c[2]})`;
}
