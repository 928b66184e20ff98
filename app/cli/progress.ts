/** A one-line progress bar on stderr when it is a TTY; silent otherwise (and always with --json). */
import type { Progress } from './command.js';

/** "12s", "3m05s", "1h02m". */
export function duration(s: number): string {
  if (!Number.isFinite(s) || s < 0) return '?';
  const r = Math.round(s);
  if (r >= 3600) return `${Math.floor(r / 3600)}h${String(Math.floor((r % 3600) / 60)).padStart(2, '0')}m`;
  const m = Math.floor(r / 60);
  return m > 0 ? `${m}m${String(r % 60).padStart(2, '0')}s` : `${r}s`;
}

/** The bar's text: label, bar, count, percentage and, when known, the time left. */
export function progressLine(label: string, done: number, total: number, etaSeconds?: number): string {
  const width = 30;
  const frac = total > 0 ? Math.min(1, done / total) : 0;
  const fill = Math.round(frac * width);
  const bar = '█'.repeat(fill) + '░'.repeat(width - fill);
  const eta = etaSeconds !== undefined && done < total ? ` ETA ${duration(etaSeconds)}` : '';
  return `${label} ${bar} ${done}/${total} (${Math.round(frac * 100)}%)${eta}`;
}

/**
 * Time left from the rate since `since` (when the step began: its count went back or its total
 * changed), once a second of it has passed; undefined before.
 */
export function estimateEta(since: { at: number; done: number }, now: number, done: number, total: number): number | undefined {
  const elapsed = (now - since.at) / 1000;
  const moved = done - since.done;
  if (elapsed < 1 || moved <= 0 || done >= total) return undefined;
  return ((total - done) * elapsed) / moved;
}

export function createProgress(enabled: boolean): Progress {
  const tty = enabled && process.stderr.isTTY === true;
  let last = 0;
  let drawn = false;
  let since = { at: Date.now(), done: 0, total: -1, prev: 0 };
  return {
    update(label, done, total, etaSeconds) {
      if (!tty) return;
      const now = Date.now();
      if (total !== since.total || done < since.prev) since = { at: now, done, total, prev: done };
      since.prev = done;
      if (now - last < 80 && done < total) return;
      last = now;
      process.stderr.write(`\r${progressLine(label, done, total, etaSeconds ?? estimateEta(since, now, done, total))}\x1b[K`);
      drawn = true;
    },
    done() {
      if (tty && drawn) process.stderr.write('\r\x1b[K');
      drawn = false;
    },
  };
}
