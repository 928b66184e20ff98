/**
 * How a difference from the baseline is written, the same in the CLI's table, the HTML report and
 * the app: always signed ("+0.40 pt", "-1.20 pt", "+0.010 ms"), a zero as "±0", with its unit.
 */

/** `text` (the magnitude already formatted, with its own minus sign when negative) with a sign. */
export function signed(v: number, text: string): string {
  if (v > 0) return `+${text}`;
  if (v === 0 && !text.startsWith('-')) return `±${text}`;
  return text;
}

/** `v` with `digits` decimals and its sign; a value that rounds to zero is "±0.00", never "-0.00". */
function signedFixed(v: number, digits: number, unit: string): string {
  const text = v.toFixed(digits);
  const r = Number(text);
  return signed(r, `${r === 0 ? (0).toFixed(digits) : text}${unit}`);
}

/** An accuracy difference (a fraction) in percentage points: "+0.40 pt". */
export const signedPoints = (v: number, digits = 2): string => signedFixed(v * 100, digits, ' pt');

/** A latency difference in milliseconds: "+0.010 ms". */
export const signedMs = (v: number, digits = 3): string => signedFixed(v, digits, ' ms');

/**
 * A difference `d` relative to the baseline value `base`, as a signed percentage: "+3.1%",
 * "-49.3%"; an empty string when the baseline is 0 (there is no ratio to give).
 */
export const signedPercent = (d: number, base: number, digits = 1): string => (base === 0 ? '' : signedFixed((100 * d) / Math.abs(base), digits, '%'));
