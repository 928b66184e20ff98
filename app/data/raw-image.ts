/** A decoded 8-bit image and PIL's conversions between gray and RGB. */

/** A decoded 8-bit image, HWC, `c` = 1 (gray) or 3 (RGB). */
export interface RawImage {
  data: Uint8Array;
  h: number;
  w: number;
  c: number;
}

/**
 * Converts between 1 and 3 channels as PIL's convert('RGB') / convert('L'): gray → RGB repeats the
 * plane; RGB → gray is L = (R·19595 + G·38470 + B·7471 + 0x8000) >> 16, Pillow's fixed-point form
 * of R·299/1000 + G·587/1000 + B·114/1000 rounded to the nearest integer.
 */
export function toChannels(img: RawImage, channels: 1 | 3): RawImage {
  if (img.c === channels) return img;
  const n = img.h * img.w;
  if (img.c === 1 && channels === 3) {
    const out = new Uint8Array(n * 3);
    for (let i = 0; i < n; i++) out[3 * i] = out[3 * i + 1] = out[3 * i + 2] = img.data[i];
    return { data: out, h: img.h, w: img.w, c: 3 };
  }
  if (img.c === 3 && channels === 1) {
    const out = new Uint8Array(n);
    const d = img.data;
    for (let i = 0; i < n; i++) {
      out[i] = (d[3 * i] * 19595 + d[3 * i + 1] * 38470 + d[3 * i + 2] * 7471 + 0x8000) >>> 16;
    }
    return { data: out, h: img.h, w: img.w, c: 1 };
  }
  throw new Error(`Cannot convert ${img.c} channels to ${channels}.`);
}
