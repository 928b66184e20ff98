/**
 * Image file decoding (jpg, png, webp, gif, tiff, avif) with sharp, to 8-bit gray or RGB like
 * torchvision's default loader (PIL `convert('RGB')`: alpha is dropped, not composited; a
 * gray image stays one plane here and is repeated later only if the model wants 3 channels,
 * which gives the same numbers). EXIF orientation is ignored, as PIL does. sharp is loaded on
 * first use, so IDX/CIFAR users never load the native module.
 */
import { readFile } from 'node:fs/promises';
import type { RawImage } from './raw-image.js';

type SharpFn = typeof import('sharp');
let sharpPromise: Promise<SharpFn> | undefined;

function loadSharp(): Promise<SharpFn> {
  sharpPromise ??= import('sharp').then((m) => (m as unknown as { default: SharpFn }).default ?? (m as unknown as SharpFn));
  return sharpPromise;
}

/** Decodes one image file; throws an Error with a one-line reason when it cannot. */
export async function decodeImage(path: string): Promise<RawImage> {
  const bytes = await readFile(path);
  if (bytes.length === 0) throw new Error('the file is empty');
  const sharp = await loadSharp();
  let out: { data: Buffer; info: { width: number; height: number; channels: number } };
  try {
    out = await sharp(bytes, { failOn: 'error' }).raw({ depth: 'uchar' }).toBuffer({ resolveWithObject: true });
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
  const sharp = await loadSharp();
  try {
    const m = await sharp(path).metadata();
    return m.width && m.height ? { h: m.height, w: m.width } : undefined;
  } catch {
    return undefined;
  }
}
