/** A one-line progress bar on stderr when it is a TTY; silent otherwise (and always with --json). */
import type { Progress } from './command.js';

export function createProgress(enabled: boolean): Progress {
  const tty = enabled && process.stderr.isTTY === true;
  let last = 0;
  let drawn = false;
  return {
    update(label, done, total) {
      if (!tty) return;
      const now = Date.now();
      if (now - last < 80 && done < total) return;
      last = now;
      const width = 30;
      const frac = total > 0 ? Math.min(1, done / total) : 0;
      const fill = Math.round(frac * width);
      const bar = '█'.repeat(fill) + '░'.repeat(width - fill);
      process.stderr.write(`\r${label} ${bar} ${done}/${total} (${Math.round(frac * 100)}%)\x1b[K`);
      drawn = true;
    },
    done() {
      if (tty && drawn) process.stderr.write('\r\x1b[K');
      drawn = false;
    },
  };
}
