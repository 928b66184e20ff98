/**
 * Atomic file writes: the bytes go to a temporary file beside the target, are flushed to disk,
 * and only then renamed over the target, so a crash or a full disk never leaves a half-written
 * file under the user's name. Write failures become one-sentence UserErrors.
 */
import { closeSync, fsyncSync, openSync, renameSync, rmSync, writeSync, existsSync, statSync } from 'node:fs';
import { basename, dirname, join, resolve } from 'node:path';
import { randomBytes } from 'node:crypto';
import { UserError } from '../model/errors.js';

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
    if (!o.force) throw new UserError(`Output ${path} already exists; pass --force to replace it.`);
  }
  const dir = dirname(target);
  if (!existsSync(dir)) throw new UserError(`Output folder ${dir} does not exist.`);
  if (!statSync(dir).isDirectory()) throw new UserError(`Output folder ${dir} is a file, not a folder.`);
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
    const code = (e as NodeJS.ErrnoException).code;
    const why =
      code === 'EACCES' || code === 'EPERM'
        ? 'permission denied'
        : code === 'ENOSPC'
          ? 'the disk is full'
          : code === 'EROFS'
            ? 'the file system is read-only'
            : code === 'ENOTDIR'
              ? 'a part of the path is a file, not a folder'
            : (e as Error).message;
    throw new UserError(`Could not write ${path}: ${why}.`);
  }
}
