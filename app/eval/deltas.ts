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

/** An accuracy difference (a fraction) in percentage points: "+0.40 pt". */
export const signedPoints = (v: number, digits = 2): string => signed(v, `${(v * 100).toFixed(digits)} pt`);

/** A latency difference in milliseconds: "+0.010 ms". */
export const signedMs = (v: number, digits = 3): string => signed(v, `${v.toFixed(digits)} ms`);
