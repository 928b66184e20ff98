/**
 * Browser mode's model upload (the body format is in contract.ts, UPLOAD_ROUTE): the files are
 * streamed to a hidden folder inside the host's session folder and renamed into place only when
 * every byte arrived, so a cut-off or refused upload leaves nothing behind. Names are plain file
 * names (no folders, no dot files), so nothing can be written outside the session folder. The
 * size limits are checked from the header before a byte is written, and again as bytes arrive.
 */
import { randomBytes } from 'node:crypto';
import { closeSync, mkdirSync, openSync, renameSync, rmSync, writeSync } from 'node:fs';
import { extname, join } from 'node:path';
import { UserError } from '../model/errors.js';
import { UPLOAD_LIMITS, type UploadHeader, type UploadLimits } from './contract.js';
import { openableFormats, openableNames } from '../workflows/open-model-file.js';

/** A refused upload: one sentence, with the HTTP status it answers. */
export class UploadError extends UserError {
  constructor(
    message: string,
    readonly status: 400 | 413 = 400,
  ) {
    super(message);
    this.name = 'UploadError';
  }
}

export interface StoredUpload {
  /** The folder holding the uploaded files (inside the session folder). */
  dir: string;
  /** The model file to open. */
  main: string;
  /** What the user uploaded, for lists: the model file's own name. */
  label: string;
}

const GiB = (n: number): string => (n >= 1 << 30 ? `${n / (1 << 30)} GiB` : `${Math.round(n / (1 << 20))} MiB`);
const readerOf = (n: string) => openableFormats().find((r) => r.extensions.includes(extname(n).toLowerCase()));

/** Checks one uploaded file name: a plain name, no folder parts, nothing hidden. */
export function checkUploadName(name: unknown): string {
  if (typeof name !== 'string' || name.length === 0 || name.length > 200 || name === '.' || name === '..' || name.startsWith('.') || /[/\\]/.test(name) || [...name].some((c) => c.charCodeAt(0) < 32)) {
    throw new UploadError(`The file name ${JSON.stringify(String(name).slice(0, 80))} is not allowed: upload plain files, not folders.`);
  }
  return name;
}

/** Validates the header: file count, names, sizes, and that it holds exactly one model. Returns the model's index. */
export function checkUploadHeader(h: unknown, limits: UploadLimits = UPLOAD_LIMITS): { files: UploadHeader['files']; main: number } {
  const files = (h as UploadHeader | null)?.files;
  if (!Array.isArray(files) || files.length === 0) throw new UploadError('The upload holds no files.');
  if (files.length > limits.maxFiles) throw new UploadError(`Upload at most ${limits.maxFiles} files at once.`);
  const seen = new Set<string>();
  let total = 0;
  for (const f of files) {
    checkUploadName(f?.name);
    if (!Number.isSafeInteger(f.bytes) || f.bytes < 0) throw new UploadError(`The size of ${f.name} is not valid.`);
    const key = f.name.toLowerCase();
    if (seen.has(key)) throw new UploadError(`${f.name} is in the upload twice.`);
    seen.add(key);
    total += f.bytes;
  }
  if (total > limits.maxBytes) throw new UploadError(`The upload is ${GiB(total)}, over the ${GiB(limits.maxBytes)} limit; open the file by its path instead (Open…).`, 413);
  const models = files.map((f, i) => (readerOf(f.name) ? i : -1)).filter((i) => i >= 0);
  if (models.length === 0) throw new UploadError(`The upload holds no model: choose a ${openableNames()} file (with its weight files).`);
  if (models.length > 1) throw new UploadError(`Upload one model at a time (this upload holds ${models.map((i) => files[i].name).join(', ')}).`);
  const main = models[0];
  if (files.length > 1 && !readerOf(files[main].name)?.companions?.length) {
    throw new UploadError(`${files[main].name} is a whole model on its own: upload it without other files.`);
  }
  return { files, main };
}

/**
 * Reads an upload body from `body` into a new folder of `sessionDir`. Throws an UploadError for a
 * bad or over-limit upload; nothing is left on disk when it throws.
 */
export async function receiveUpload(body: AsyncIterable<Uint8Array>, sessionDir: string, limits: UploadLimits = UPLOAD_LIMITS): Promise<StoredUpload> {
  const tmp = join(sessionDir, `.incoming-${randomBytes(6).toString('hex')}`);
  let head = Buffer.alloc(0);
  let header: { files: UploadHeader['files']; main: number } | null = null;
  let fileIndex = 0;
  let written = 0;
  let fd: number | undefined;
  const openNext = (): void => {
    // Empty files are complete as soon as they are created.
    while (header && fileIndex < header.files.length) {
      fd = openSync(join(tmp, header.files[fileIndex].name), 'wx');
      if (header.files[fileIndex].bytes > 0) return;
      closeSync(fd);
      fd = undefined;
      fileIndex++;
    }
  };
  try {
    for await (const chunk of body) {
      let buf = Buffer.from(chunk.buffer, chunk.byteOffset, chunk.byteLength);
      if (!header) {
        head = Buffer.concat([head, buf]);
        if (head.length < 4) continue;
        const n = head.readUInt32LE(0);
        if (n > limits.maxHeaderBytes) throw new UploadError('The upload is not in the form the app sends (its header is too large).');
        if (head.length < 4 + n) continue;
        let parsed: unknown;
        try {
          parsed = JSON.parse(head.subarray(4, 4 + n).toString('utf8'));
        } catch {
          throw new UploadError('The upload is not in the form the app sends (its header is not JSON).');
        }
        header = checkUploadHeader(parsed, limits);
        mkdirSync(tmp, { recursive: false });
        openNext();
        buf = head.subarray(4 + n);
      }
      while (buf.length > 0) {
        if (fd === undefined) throw new UploadError('The upload is longer than its header says.');
        const want = header.files[fileIndex].bytes - written;
        const part = buf.subarray(0, want);
        let off = 0;
        while (off < part.length) off += writeSync(fd, part, off, part.length - off);
        written += part.length;
        buf = buf.subarray(part.length);
        if (written === header.files[fileIndex].bytes) {
          closeSync(fd);
          fd = undefined;
          fileIndex++;
          written = 0;
          openNext();
        }
      }
    }
    if (!header) throw new UploadError('The upload is empty or cut short.');
    if (fileIndex < header.files.length) throw new UploadError(`The upload was cut short (${header.files[fileIndex].name} is incomplete); try again.`);
    const dir = join(sessionDir, `upload-${Date.now().toString(36)}-${randomBytes(3).toString('hex')}`);
    renameSync(tmp, dir);
    const name = header.files[header.main].name;
    return { dir, main: join(dir, name), label: name };
  } catch (e) {
    if (fd !== undefined) closeSync(fd);
    rmSync(tmp, { recursive: true, force: true });
    if (e instanceof UserError) throw e;
    const code = (e as NodeJS.ErrnoException).code;
    if (code === 'ENOSPC') throw new UploadError('The disk is full; the upload was not stored.');
    if (code === 'ECONNRESET' || code === 'ERR_STREAM_PREMATURE_CLOSE' || (e as Error).message === 'aborted') throw new UploadError('The upload was cut short; try again.');
    throw e;
  }
}
