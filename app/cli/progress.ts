/** A one-line progress bar on stderr when it is a TTY; silent otherwise (and always with --json). */
import type { Progress } from './command.js';
import { advanceSince, duration, estimateEta, type EtaSince } from '../util/eta.js';

/** The bar's text: label, bar, count, percentage and, when known, the time left. */
export function progressLine(label: string, done: number, total: number, etaSeconds?: number): string {
  const width = 30;
  const frac = total > 0 ? Math.min(1, done / total) : 0;
  const fill = Math.round(frac * width);
  const bar = '█'.repeat(fill) + '░'.repeat(width - fill);
  const eta = etaSeconds !== undefined && done < total ? ` ETA ${duration(etaSeconds)}` : '';
  return `${label} ${bar} ${done}/${total} (${Math.round(frac * 100)}%)${eta}`;
}

export function createProgress(enabled: boolean): Progress {
  const tty = enabled && process.stderr.isTTY === true;
  let last = 0;
  let drawn = false;
  let since: EtaSince | undefined;
  return {
    update(label, done, total, etaSeconds) {
      if (!tty) return;
      const now = Date.now();
      since = advanceSince(since, now, done, total);
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
