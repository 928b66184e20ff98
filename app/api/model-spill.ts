/**
 * Where a session puts the models it frees from memory: each as a `.seprune` file (graph,
 * statistics, history, preprocessing, labels) in a folder of its own, read back when the model is
 * used again — so every model of a session stays in its list and can be made current, while at
 * most a few are held in memory (a 4 MB model opened 250 times held 1.32 GB). The disk it takes is
 * bounded too: beyond `maxBytes` the oldest spilled models are forgotten for good.
 */
import { mkdtempSync, readFileSync, rmSync, statSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { decodeProject, saveProject, type Project } from '../model/project-file.js';

/** Disk a session's freed models may take before the oldest are forgotten. */
export const MAX_SPILL_BYTES = 2 * 2 ** 30;

export class ModelSpill {
  private dir: string | null = null;
  private readonly files = new Map<string, { path: string; bytes: number }>();
  private total = 0;

  /** `dir`: an existing folder the session owns (the browser host's session folder), else a temporary one made on first use. */
  constructor(
    private readonly parent: string | null = null,
    readonly maxBytes = MAX_SPILL_BYTES,
  ) {}

  private folder(): string {
    this.dir ??= mkdtempSync(join(this.parent ?? tmpdir(), 'seprune-models-'));
    return this.dir;
  }

  /** Writes `p` for `id`; returns the ids forgotten to stay under the byte limit (the oldest first). */
  put(id: string, p: Omit<Project, 'session'>): string[] {
    this.drop(id);
    const path = join(this.folder(), `${id}.seprune`);
    saveProject(path, p, { force: true });
    const bytes = statSync(path).size;
    this.files.set(id, { path, bytes });
    this.total += bytes;
    const forgotten: string[] = [];
    for (const old of this.files.keys()) {
      if (this.total <= this.maxBytes || old === id) break;
      this.drop(old);
      forgotten.push(old);
    }
    if (this.total > this.maxBytes) {
      this.drop(id);
      forgotten.push(id);
    }
    return forgotten;
  }

  has(id: string): boolean {
    return this.files.has(id);
  }

  /** Reads back what was put for `id` (the file stays until dropped). */
  take(id: string): Omit<Project, 'session'> {
    const f = this.files.get(id);
    if (!f) throw new Error(`no spilled model ${id}`);
    return decodeProject(readFileSync(f.path), 'A model this session set aside');
  }

  drop(id: string): void {
    const f = this.files.get(id);
    if (!f) return;
    rmSync(f.path, { force: true });
    this.total -= f.bytes;
    this.files.delete(id);
  }

  /** Bytes on disk now. */
  bytes(): number {
    return this.total;
  }

  close(): void {
    if (this.dir) rmSync(this.dir, { recursive: true, force: true });
    this.dir = null;
    this.files.clear();
    this.total = 0;
  }
}
