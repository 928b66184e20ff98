/**
 * Writes an export artifact to `--out`, atomically: a single file through writeFileAtomic, a
 * folder (TF.js) by writing every file into a fresh temporary folder beside the target and
 * renaming it into place (an existing folder, with --force, is moved aside first and removed only
 * after the rename succeeded). Existing outputs without --force and unwritable places are one-
 * sentence UserErrors.
 *
 * Verification reads the written files from a staging folder beside the output (same disk, never
 * the system temporary folder), named `.<output>.seprune-stage-<pid>-<hex>`; a process killed
 * mid-export (kill -9) leaves it, and the next export to the same place removes every staging
 * folder and temporary file of `<output>` whose process is gone.
 */
import { existsSync, mkdirSync, readdirSync, renameSync, rmSync, statSync, accessSync, constants } from 'node:fs';
import { basename, dirname, join, resolve } from 'node:path';
import { randomBytes } from 'node:crypto';
import { OutputExistsError, UserError } from '../app/model/errors.js';
import { checkWritable, writeFileAtomic } from '../app/util/atomic-write.js';
import type { ExportArtifact, Exporter } from './types.js';

export interface OutputOptions {
  force?: boolean;
  protect?: string[];
}

function why(e: unknown): string {
  const code = (e as NodeJS.ErrnoException).code;
  if (code === 'EACCES' || code === 'EPERM') return 'permission denied';
  if (code === 'ENOSPC') return 'the disk is full';
  if (code === 'EROFS') return 'the file system is read-only';
  return (e as Error).message;
}

/** Fails early (before any work) when `out` cannot be written. */
export function checkOutput(out: string, kind: 'file' | 'folder', o: OutputOptions = {}): void {
  const parent = dirname(resolve(out));
  if (existsSync(parent) && !statSync(parent).isDirectory()) throw new UserError(`Cannot write ${out}: ${parent} is a file, not a folder.`);
  if (kind === 'file') {
    checkWritable(out, o);
  } else {
    const target = resolve(out);
    for (const p of o.protect ?? []) {
      if (resolve(p) === target || resolve(dirname(p)) === target) throw new UserError(`Refusing to overwrite the input model in ${out}; choose another output folder.`);
    }
    if (existsSync(target)) {
      if (!statSync(target).isDirectory()) throw new UserError(`Output ${out} is a file; the TF.js format writes a folder.`);
      if (!o.force) throw new OutputExistsError(out);
    }
    if (!existsSync(dirname(target))) throw new UserError(`Output folder ${dirname(target)} does not exist.`);
  }
  const dir = dirname(resolve(out));
  try {
    accessSync(dir, constants.W_OK);
  } catch (e) {
    throw new UserError(`Could not write ${out}: ${why(e)}.`);
  }
}

/** Writes the artifact; returns the total bytes written. */
export function writeArtifact(out: string, kind: 'file' | 'folder', a: ExportArtifact, o: OutputOptions = {}): number {
  checkOutput(out, kind, o);
  const bytes = a.files.reduce((s, f) => s + f.data.length, 0);
  if (kind === 'file') {
    writeFileAtomic(out, a.files[0].data, o);
    return bytes;
  }
  const target = resolve(out);
  const tag = `${process.pid}.${randomBytes(4).toString('hex')}`;
  const tmp = join(dirname(target), `.${basename(target)}.${tag}.tmp`);
  const old = join(dirname(target), `.${basename(target)}.${tag}.old`);
  try {
    mkdirSync(tmp);
    for (const f of a.files) writeFileAtomic(join(tmp, f.name), f.data);
    if (existsSync(target)) renameSync(target, old);
    renameSync(tmp, target);
  } catch (e) {
    rmSync(tmp, { recursive: true, force: true });
    if (existsSync(old) && !existsSync(target)) renameSync(old, target);
    if (e instanceof UserError) throw e;
    throw new UserError(`Could not write ${out}: ${why(e)}.`);
  }
  rmSync(old, { recursive: true, force: true });
  return bytes;
}

const STAGE = 'seprune-stage';

/** Whether process `pid` is alive (EPERM: alive, another user's). */
function alive(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return true;
  } catch (e) {
    return (e as NodeJS.ErrnoException).code === 'EPERM';
  }
}

/**
 * Removes what an export to `out` killed before it finished left beside `out`: staging folders
 * (`.<name>.seprune-stage-<pid>-<hex>`) and atomic-write temporaries (`.<name>.<pid>.<hex>.tmp|.old`)
 * whose process no longer runs. Returns the removed names.
 */
export function cleanStaleStaging(out: string): string[] {
  const dir = dirname(resolve(out));
  const name = basename(resolve(out));
  const esc = name.replace(/[.*+?^${}()|[\]\\]/g, '\\$&');
  const re = new RegExp(`^\\.${esc}\\.(?:${STAGE}-(\\d+)-[0-9a-f]{8}|(\\d+)\\.[0-9a-f]{8}\\.(?:tmp|old))$`);
  const removed: string[] = [];
  let entries: string[];
  try {
    entries = readdirSync(dir);
  } catch {
    return removed;
  }
  for (const e of entries) {
    const m = re.exec(e);
    if (!m) continue;
    const pid = Number(m[1] ?? m[2]);
    if (pid === process.pid || alive(pid)) continue;
    rmSync(join(dir, e), { recursive: true, force: true });
    removed.push(e);
  }
  return removed;
}

/**
 * Writes each artifact into a fresh staging folder beside `out`, laid out as the final output
 * (`<key>.<ext>` or a `<key>` folder); returns their paths and a cleanup that removes the folder.
 */
export function stageBeside(out: string, exporter: Exporter, artifacts: Record<string, ExportArtifact>): { dir: string; paths: Record<string, string>; cleanup: () => void } {
  const target = resolve(out);
  const dir = join(dirname(target), `.${basename(target)}.${STAGE}-${process.pid}-${randomBytes(4).toString('hex')}`);
  try {
    mkdirSync(dir);
  } catch (e) {
    throw new UserError(`Could not write ${out}: ${why(e)}.`);
  }
  const cleanup = (): void => rmSync(dir, { recursive: true, force: true });
  const paths: Record<string, string> = {};
  try {
    for (const [key, a] of Object.entries(artifacts)) {
      const path = exporter.output === 'file' ? join(dir, `${key}.${exporter.extension ?? 'bin'}`) : join(dir, key);
      if (exporter.output === 'folder') mkdirSync(path);
      writeArtifact(path, exporter.output, a, { force: true });
      paths[key] = path;
    }
  } catch (e) {
    cleanup();
    throw e;
  }
  return { dir, paths, cleanup };
}
