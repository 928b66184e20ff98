/**
 * The browser host's session folder (uploads live there while it runs): a fresh temp folder
 * holding `owner.pid`, the host's process id. A host killed with SIGKILL cannot remove its
 * folder, so each host at start removes the session folders whose owner is no longer running
 * (and, from hosts that wrote no pid file, those untouched for a day).
 */
import { mkdtempSync, readdirSync, readFileSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';

export const SESSION_PREFIX = 'seprune-session-';
const PID_FILE = 'owner.pid';
const DAY_MS = 24 * 3600 * 1000;

function alive(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return true;
  } catch (e) {
    return (e as NodeJS.ErrnoException).code === 'EPERM'; // exists, owned by someone else
  }
}

/** Removes session folders in `dir` left by hosts that are gone; returns the names removed. */
export function removeStaleSessions(dir = tmpdir(), now = Date.now()): string[] {
  const removed: string[] = [];
  let names: string[];
  try {
    names = readdirSync(dir).filter((n) => n.startsWith(SESSION_PREFIX));
  } catch {
    return removed;
  }
  for (const name of names) {
    const path = join(dir, name);
    try {
      const st = statSync(path);
      if (!st.isDirectory() || st.uid !== process.getuid?.()) continue;
      let stale: boolean;
      try {
        const pid = Number(readFileSync(join(path, PID_FILE), 'utf8').trim());
        stale = !Number.isInteger(pid) || pid <= 0 || !alive(pid);
      } catch {
        stale = now - st.mtimeMs > DAY_MS;
      }
      if (stale) {
        rmSync(path, { recursive: true, force: true });
        removed.push(name);
      }
    } catch {
      // gone meanwhile, or not ours to remove
    }
  }
  return removed;
}

/** Cleans up stale session folders, then makes this host's own (with its pid file). */
export function createSessionDir(dir = tmpdir()): string {
  removeStaleSessions(dir);
  const path = mkdtempSync(join(dir, SESSION_PREFIX));
  writeFileSync(join(path, PID_FILE), `${process.pid}\n`);
  return path;
}
