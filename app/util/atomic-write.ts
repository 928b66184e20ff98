/**
 * Atomic file writes: the bytes go to a temporary file beside the target, are flushed to disk,
 * and only then renamed over the target, so a crash or a full disk never leaves a half-written
 * file under the user's name. Write failures become one-sentence UserErrors.
 */
import { closeSync, fsyncSync, mkdirSync, openSync, renameSync, rmSync, writeSync, existsSync, statSync } from 'node:fs';
import { basename, dirname, join, resolve } from 'node:path';
import { randomBytes } from 'node:crypto';
import { OutputExistsError, UserError } from '../model/errors.js';

export interface WriteOptions {
  /** Allow replacing an existing file (never the file the model was read from). */
  force?: boolean;
  /** Paths that must never be overwritten (the inputs of the command). */
  protect?: string[];
}

export function checkWritable(path: string, o: WriteOptions = {}): void {
  const target = resolve(path);
  for (const p of o.protect ?? []) {
    if (resolve(p) === target) throw new UserError(`Refusing to overwrite the input file ${path}; choose another output path.`);
  }
  if (existsSync(target)) {
    if (statSync(target).isDirectory()) throw new UserError(`Output ${path} is a folder; give a file path.`);
    if (!o.force) throw new OutputExistsError(path);
  }
  const dir = dirname(target);
  if (!existsSync(dir)) throw new UserError(`Output folder ${dir} does not exist.`);
  if (!statSync(dir).isDirectory()) throw new UserError(`Output folder ${dir} is a file, not a folder.`);
  probeWrite(dir, `Output folder ${dir}`);
}

function writeWhy(e: unknown): string {
  const code = (e as NodeJS.ErrnoException).code;
  if (code === 'EACCES' || code === 'EPERM') return 'permission denied';
  if (code === 'ENOSPC') return 'the disk is full';
  if (code === 'EROFS') return 'the file system is read-only';
  if (code === 'ENOTDIR') return 'a part of the path is a file, not a folder';
  if (code === 'ENOENT') return 'this file system does not take new files there';
  return (e as Error).message.split('\n')[0].replace(/\.$/, '');
}

/**
 * Creates and removes an empty file in `dir`, so an output folder that cannot be written (no
 * permission, read-only or full disk, a pseudo file system) is found before any work starts;
 * permission bits alone would not say (root ignores them).
 */
function probeWrite(dir: string, what: string): void {
  const probe = join(dir, `.seprune-write-probe.${process.pid}.${randomBytes(4).toString('hex')}`);
  try {
    closeSync(openSync(probe, 'wx'));
    rmSync(probe, { force: true });
  } catch (e) {
    throw new UserError(`${what} cannot be written (${writeWhy(e)}).`);
  }
}

/**
 * A folder the command will write into later (checkpoints, a report): created when missing, and
 * refused now, with one sentence, when it is a file or cannot be written.
 */
export function checkWritableFolder(dir: string, what: string): void {
  if (existsSync(dir) && !statSync(dir).isDirectory()) throw new UserError(`${what} ${dir} is a file, not a folder.`);
  try {
    // One level at a time: Node's recursive mkdirSync never returns on some pseudo file systems (/proc).
    const missing: string[] = [];
    for (let d = resolve(dir); !existsSync(d) && dirname(d) !== d; d = dirname(d)) missing.unshift(d);
    for (const d of missing) mkdirSync(d);
  } catch (e) {
    throw new UserError(`${what} ${dir} cannot be created (${writeWhy(e)}).`);
  }
  probeWrite(dir, `${what} ${dir}`);
}

export function writeFileAtomic(path: string, chunks: Uint8Array | Uint8Array[], o: WriteOptions = {}): void {
  checkWritable(path, o);
  const target = resolve(path);
  const tmp = join(dirname(target), `.${basename(target)}.${process.pid}.${randomBytes(4).toString('hex')}.tmp`);
  let fd: number | undefined;
  try {
    fd = openSync(tmp, 'wx');
    for (const c of Array.isArray(chunks) ? chunks : [chunks]) {
      let off = 0;
      while (off < c.length) off += writeSync(fd, c, off, c.length - off);
    }
    fsyncSync(fd);
    closeSync(fd);
    fd = undefined;
    renameSync(tmp, target);
  } catch (e) {
    if (fd !== undefined) closeSync(fd);
    rmSync(tmp, { force: true });
    const why = writeWhy(e);
    throw new UserError(`Could not write ${path}: ${why}.`);
  }
}
