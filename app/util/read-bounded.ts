/**
 * Reading a user-named file without trusting it: the path is opened non-blocking (a FIFO never
 * stalls the open), refused unless it is a regular file (FIFOs, devices such as /dev/zero,
 * sockets and folders), refused when larger than the caller's cap, and read asynchronously (so a
 * server keeps answering other requests) with at most the size the file had when opened.
 * Failures are {@link UserError}s worded for the user; `what` names the file ("Model file x.onnx").
 */
import { constants } from 'node:fs';
import { open, type FileHandle } from 'node:fs/promises';
import { UserError } from '../model/errors.js';

/** 2 GiB: the protobuf limit of an ONNX file, and far beyond any model this tool prunes. */
export const MAX_MODEL_BYTES = 2 ** 31 - 1;

export function sizeText(n: number): string {
  if (n >= 2 ** 30) return `${(n / 2 ** 30).toFixed(1)} GiB`;
  if (n >= 2 ** 20) return `${(n / 2 ** 20).toFixed(1)} MiB`;
  return `${n.toLocaleString('en-US')} bytes`;
}

function openError(e: unknown, what: string): UserError {
  const code = (e as NodeJS.ErrnoException).code;
  if (code === 'ENOENT' || code === 'ENOTDIR') return new UserError(`${what} does not exist.`);
  if (code === 'EACCES' || code === 'EPERM') return new UserError(`${what} cannot be read (permission denied).`);
  if (code === 'EISDIR') return new UserError(`${what} is a folder; give the file inside it.`);
  if (code === 'ELOOP') return new UserError(`${what} is a symbolic link that points to itself.`);
  return new UserError(`${what} cannot be read (${(e as Error).message.split('\n')[0].replace(/\.$/, '')}).`);
}

/** Opens `path` for reading after checking it is a regular file; returns the handle and its size. */
export async function openRegular(path: string, what: string): Promise<{ fh: FileHandle; size: number }> {
  let fh: FileHandle;
  try {
    fh = await open(path, constants.O_RDONLY | constants.O_NONBLOCK);
  } catch (e) {
    throw openError(e, what);
  }
  try {
    const st = await fh.stat();
    if (st.isDirectory()) throw new UserError(`${what} is a folder; give the file inside it.`);
    if (!st.isFile()) {
      const kind = st.isFIFO() ? 'a named pipe' : st.isCharacterDevice() || st.isBlockDevice() ? 'a device' : st.isSocket() ? 'a socket' : 'not a regular file';
      throw new UserError(`${what} is ${kind}, not a regular file.`);
    }
    return { fh, size: st.size };
  } catch (e) {
    await fh.close();
    throw e instanceof UserError ? e : openError(e, what);
  }
}

/**
 * The first `max` bytes at most of a regular file (refused with a sentence when the file is
 * larger and `refuseLarger` is set, the default).
 */
export async function readRegular(path: string, what: string, max = MAX_MODEL_BYTES, refuseLarger = true): Promise<Uint8Array> {
  const { fh, size } = await openRegular(path, what);
  try {
    if (size > max && refuseLarger) throw new UserError(`${what} is ${sizeText(size)}, more than the ${sizeText(max)} this tool reads.`);
    const want = Math.min(size, max);
    const buf = new Uint8Array(want);
    let got = 0;
    while (got < want) {
      const { bytesRead } = await fh.read(buf, got, want - got, got);
      if (bytesRead === 0) break; // the file shrank while being read
      got += bytesRead;
    }
    return got === want ? buf : buf.subarray(0, got);
  } catch (e) {
    throw e instanceof UserError ? e : openError(e, what);
  } finally {
    await fh.close();
  }
}

/** A regular text file of at most `max` bytes (1 MiB by default: class-name lists and the like), as UTF-8. */
export async function readRegularText(path: string, what: string, max = 2 ** 20): Promise<string> {
  return new TextDecoder().decode(await readRegular(path, what, max));
}
