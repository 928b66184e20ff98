/**
 * Image file decoding (jpg, png, webp, gif, tiff, avif) with sharp, to 8-bit gray or RGB like
 * torchvision's default loader (PIL `convert('RGB')`: alpha is dropped, not composited; a
 * gray image stays one plane here and is repeated later only if the model wants 3 channels,
 * which gives the same numbers). EXIF orientation is ignored, as PIL does. sharp is loaded on
 * first use, so IDX/CIFAR users never load the native module.
 */
import { stat } from 'node:fs/promises';
import { readRegular } from '../util/read-bounded.js';
import type { RawImage } from './raw-image.js';

type SharpFn = typeof import('sharp');
let sharpPromise: Promise<SharpFn> | undefined;

function loadSharp(): Promise<SharpFn> {
  sharpPromise ??= import('sharp').then((m) => (m as unknown as { default: SharpFn }).default ?? (m as unknown as SharpFn));
  return sharpPromise;
}

/** The largest image file read (256 MiB) and the most pixels decoded (64 Mpx: 192 MiB as RGB). */
export const MAX_IMAGE_BYTES = 2 ** 28;
export const MAX_IMAGE_PIXELS = 2 ** 26;

/** Decodes one image file; throws an Error with a one-line reason when it cannot. */
export async function decodeImage(path: string): Promise<RawImage> {
  // FIFOs, devices and folders are refused before reading ("it is a named pipe, not a regular file").
  const bytes = await readRegular(path, 'it', MAX_IMAGE_BYTES).catch((e: unknown) => {
    throw new Error((e as Error).message.replace(/\.$/, ''));
  });
  if (bytes.length === 0) throw new Error('the file is empty');
  const sharp = await loadSharp();
  let out: { data: Buffer; info: { width: number; height: number; channels: number } };
  try {
    out = await sharp(bytes, { failOn: 'error', limitInputPixels: MAX_IMAGE_PIXELS }).raw({ depth: 'uchar' }).toBuffer({ resolveWithObject: true });
  } catch (e) {
    const msg = e instanceof Error ? e.message : String(e);
    throw new Error(`it does not decode (${msg.split('\n')[0].trim()})`);
  }
  const { width: w, height: h, channels } = out.info;
  const src = out.data;
  const n = w * h;
  if (channels === 1 || channels === 3) return { data: new Uint8Array(src.buffer, src.byteOffset, n * channels), h, w, c: channels };
  // 2 = gray + alpha, 4 = RGB + alpha: drop alpha.
  const c = channels === 2 ? 1 : 3;
  const data = new Uint8Array(n * c);
  for (let i = 0; i < n; i++) for (let k = 0; k < c; k++) data[i * c + k] = src[i * channels + k];
  return { data, h, w, c };
}

/** Width and height from the file's header (nothing decoded), or undefined when sharp cannot read it. */
export async function imageSize(path: string): Promise<{ h: number; w: number } | undefined> {
  // sharp would block a thread forever on a FIFO and read a device without end: regular files only.
  if (!(await stat(path).then((st) => st.isFile() && st.size <= MAX_IMAGE_BYTES, () => false))) return undefined;
  const sharp = await loadSharp();
  try {
    const m = await sharp(path, { limitInputPixels: MAX_IMAGE_PIXELS }).metadata();
    return m.width && m.height ? { h: m.height, w: m.width } : undefined;
  } catch {
    return undefined;
  }
}
