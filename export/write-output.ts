/**
 * Writes an export artifact to `--out`, atomically: a single file through writeFileAtomic, a
 * folder (TF.js) by writing every file into a fresh temporary folder beside the target and
 * renaming it into place (an existing folder, with --force, is moved aside first and removed only
 * after the rename succeeded). Existing outputs without --force and unwritable places are one-
 * sentence UserErrors.
 */
import { existsSync, mkdirSync, renameSync, rmSync, statSync, accessSync, constants } from 'node:fs';
import { basename, dirname, join, resolve } from 'node:path';
import { randomBytes } from 'node:crypto';
import { UserError } from '../app/model/errors.js';
import { checkWritable, writeFileAtomic } from '../app/util/atomic-write.js';
import type { ExportArtifact } from './types.js';

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
      if (!o.force) throw new UserError(`Output ${out} already exists; pass --force to replace it.`);
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
