/** Time left of a long job, and how it reads: one estimate for the CLI's bar and the app's job panel. */

/** "12s", "3m05s", "1h02m"; "?" when unknown. */
export function duration(s: number): string {
  if (!Number.isFinite(s) || s < 0) return '?';
  const r = Math.round(s);
  if (r >= 3600) return `${Math.floor(r / 3600)}h${String(Math.floor((r % 3600) / 60)).padStart(2, '0')}m`;
  const m = Math.floor(r / 60);
  return m > 0 ? `${m}m${String(r % 60).padStart(2, '0')}s` : `${r}s`;
}

/** Where the rate is measured from: when the step began (its count went back or its total changed). */
export interface EtaSince {
  at: number;
  done: number;
  total: number;
  prev: number;
}

/** `since` carried on to this report: restarted when the count went back or the total changed. */
export function advanceSince(since: EtaSince | undefined, now: number, done: number, total: number): EtaSince {
  if (!since || total !== since.total || done < since.prev) return { at: now, done, total, prev: done };
  return { ...since, prev: done };
}

/** Time left from the rate since `since`, once a second of it has passed; undefined before. */
export function estimateEta(since: { at: number; done: number }, now: number, done: number, total: number): number | undefined {
  const elapsed = (now - since.at) / 1000;
  const moved = done - since.done;
  if (elapsed < 1 || moved <= 0 || done >= total) return undefined;
  return ((total - done) * elapsed) / moved;
}
