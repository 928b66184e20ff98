/**
 * Recent files: the models and dataset folders the user opened, newest first, persisted as
 * `recent.json` in the app's config folder (written atomically, so a crash never leaves half a
 * list). The folder is `$SEPRUNE_CONFIG_DIR` when set (tests point it at a temp folder), else
 * `$XDG_CONFIG_HOME/seprune-studio`, else `~/.config/seprune-studio`. A missing or unreadable
 * list is an empty one; entries whose file is gone are kept (marked) until the user removes them.
 */
import { existsSync, mkdirSync, readFileSync } from 'node:fs';
import { homedir } from 'node:os';
import { join, resolve } from 'node:path';
import { writeFileAtomic } from '../util/atomic-write.js';
import { UserError } from '../model/errors.js';
import type { RecentFile } from './contract.js';

/** How many entries the list keeps. */
export const MAX_RECENT = 20;

/** The app's config folder (see the file comment). */
export function configDir(env: NodeJS.ProcessEnv = process.env): string {
  if (env.SEPRUNE_CONFIG_DIR) return resolve(env.SEPRUNE_CONFIG_DIR);
  const base = env.XDG_CONFIG_HOME ? resolve(env.XDG_CONFIG_HOME) : join(homedir(), '.config');
  return join(base, 'seprune-studio');
}

type Stored = Omit<RecentFile, 'exists'>;

export class RecentFiles {
  readonly file: string;

  constructor(readonly dir: string = configDir()) {
    this.file = join(dir, 'recent.json');
  }

  private read(): Stored[] {
    let raw: unknown;
    try {
      raw = JSON.parse(readFileSync(this.file, 'utf8'));
    } catch {
      return [];
    }
    const items = (raw as { items?: unknown })?.items;
    if (!Array.isArray(items)) return [];
    return items
      .filter((x): x is Stored => !!x && typeof x === 'object' && typeof x.path === 'string' && (x.kind === 'model' || x.kind === 'data') && typeof x.openedAt === 'string')
      .map((x) => ({ path: x.path, kind: x.kind, openedAt: x.openedAt, ...(typeof x.label === 'string' ? { label: x.label } : {}) }))
      .slice(0, MAX_RECENT);
  }

  private write(items: Stored[]): void {
    try {
      mkdirSync(this.dir, { recursive: true });
    } catch {
      throw new UserError(`Could not create the settings folder ${this.dir}.`);
    }
    writeFileAtomic(this.file, new TextEncoder().encode(JSON.stringify({ version: 1, items }, null, 2) + '\n'), { force: true });
  }

  /** The list, newest first, each marked with whether its file or folder still exists. */
  list(): RecentFile[] {
    return this.read().map((x) => ({ ...x, exists: existsSync(x.path) }));
  }

  /** Puts `path` at the top (once per kind; its label kept when none is given); returns the new list. */
  add(path: string, kind: RecentFile['kind'], label?: string, now = new Date()): RecentFile[] {
    const abs = resolve(path);
    const items = this.read();
    const same = (x: Stored): boolean => x.path === abs && x.kind === kind;
    const keep = label ?? items.find(same)?.label;
    this.write([{ path: abs, kind, openedAt: now.toISOString(), ...(keep ? { label: keep } : {}) }, ...items.filter((x) => !same(x))].slice(0, MAX_RECENT));
    return this.list();
  }

  /** Drops `path` of `kind` from the list; returns the new list. */
  remove(path: string, kind: RecentFile['kind']): RecentFile[] {
    const items = this.read();
    const kept = items.filter((x) => !(x.path === path && x.kind === kind));
    if (kept.length !== items.length) this.write(kept);
    return this.list();
  }
}
