/**
 * Image mutations for an ImageFolder: PNG chunks (IHDR width, height, bit depth, colour type with
 * the CRC recomputed; IDAT bytes; chunk lengths), JPEG markers (SOF dimensions, segment lengths),
 * truncations and byte flips, and valid but unusual files made with sharp (large, tiny, gray,
 * alpha, 16-bit, other formats).
 */
import sharp from 'sharp';
import type { Rng } from '../../../app/model/random.js';
import { EDGE_INTS, mutateBytes, pick } from './bytes.js';

const CRC_TABLE = Array.from({ length: 256 }, (_, n) => {
  let c = n;
  for (let k = 0; k < 8; k++) c = c & 1 ? 0xedb88320 ^ (c >>> 1) : c >>> 1;
  return c >>> 0;
});
function crc32(b: Uint8Array): number {
  let c = 0xffffffff;
  for (const x of b) c = CRC_TABLE[(c ^ x) & 0xff] ^ (c >>> 8);
  return (c ^ 0xffffffff) >>> 0;
}

/** PNG chunk offsets: [start of length field, type, data length]. */
function chunks(b: Uint8Array): { at: number; type: string; len: number }[] {
  const out: { at: number; type: string; len: number }[] = [];
  const dv = new DataView(b.buffer, b.byteOffset, b.byteLength);
  for (let at = 8; at + 12 <= b.length;) {
    const len = dv.getUint32(at);
    out.push({ at, type: String.fromCharCode(...b.subarray(at + 4, at + 8)), len });
    if (at + 12 + len > b.length) break;
    at += 12 + len;
  }
  return out;
}

function mutatePng(src: Uint8Array, rng: Rng): { bytes: Uint8Array; what: string } {
  const b = src.slice();
  const dv = new DataView(b.buffer);
  const cs = chunks(b);
  const ihdr = cs.find((c) => c.type === 'IHDR');
  const k = rng.int(5);
  if (ihdr && k < 2) {
    const field = pick(rng, ['width', 'height', 'depth', 'color', 'interlace'] as const);
    const d = ihdr.at + 8;
    if (field === 'width' || field === 'height') dv.setUint32(d + (field === 'width' ? 0 : 4), pick(rng, [0, 1, 13, 65535, 100000, 2 ** 31 - 1, 2 ** 32 - 1]) >>> 0);
    else b[d + (field === 'depth' ? 8 : field === 'color' ? 9 : 12)] = pick(rng, [0, 1, 2, 3, 4, 6, 7, 16, 255]);
    dv.setUint32(d + ihdr.len, crc32(b.subarray(ihdr.at + 4, d + ihdr.len)));
    return { bytes: b, what: `PNG IHDR ${field}` };
  }
  const c = cs.length ? pick(rng, cs) : undefined;
  if (c && k === 2) {
    dv.setUint32(c.at, pick(rng, EDGE_INTS) >>> 0);
    return { bytes: b, what: `PNG ${c.type} length` };
  }
  const idat = cs.find((x) => x.type === 'IDAT');
  if (idat && k === 3) {
    for (let i = 0; i < 1 + rng.int(6); i++) b[idat.at + 8 + rng.int(Math.max(1, idat.len))] ^= 1 << rng.int(8);
    dv.setUint32(idat.at + 8 + idat.len, crc32(b.subarray(idat.at + 4, idat.at + 8 + idat.len)));
    return { bytes: b, what: 'PNG IDAT bytes (CRC fixed)' };
  }
  return { bytes: mutateBytes(src, rng), what: 'PNG bytes' };
}

function mutateJpeg(src: Uint8Array, rng: Rng): { bytes: Uint8Array; what: string } {
  const b = src.slice();
  const sof = b.findIndex((x, i) => x === 0xff && (b[i + 1] === 0xc0 || b[i + 1] === 0xc2));
  if (sof > 0 && rng.int(2)) {
    const dv = new DataView(b.buffer);
    const field = rng.int(4);
    if (field < 2) dv.setUint16(sof + 5 + 2 * field, pick(rng, [0, 1, 65535, 13, 5000]));
    else if (field === 2) b[sof + 9] = pick(rng, [0, 1, 2, 3, 4, 255]); // components
    else dv.setUint16(sof + 2, pick(rng, [0, 1, 2, 65535])); // segment length
    return { bytes: b, what: `JPEG SOF field ${field}` };
  }
  return { bytes: mutateBytes(src, rng), what: 'JPEG bytes' };
}

/** A valid image unlike the seeds (through sharp). */
async function unusual(rng: Rng): Promise<{ name: string; bytes: Uint8Array; what: string }> {
  const side = pick(rng, [1, 3, 12, 64, 1500]);
  const w = rng.int(2) ? side : pick(rng, [1, 7, 12, 500]);
  const channels = pick(rng, [1, 2, 3, 4]) as 1 | 2 | 3 | 4;
  const raw = Buffer.alloc(w * side * channels, rng.int(256));
  let img = sharp(raw, { raw: { width: w, height: side, channels } });
  const fmt = pick(rng, ['png', 'png16', 'jpeg', 'webp', 'gif', 'tiff'] as const);
  if (fmt === 'png16') img = img.toColourspace(channels <= 2 ? 'grey16' : 'rgb16').png();
  else img = img.toFormat(fmt);
  const ext = fmt === 'png16' ? 'png' : fmt === 'jpeg' ? 'jpg' : fmt;
  return { name: `u.${ext}`, bytes: new Uint8Array(await img.toBuffer()), what: `${fmt} ${w}×${side}×${channels}` };
}

export async function mutateImages(files: Record<string, Uint8Array>, rng: Rng): Promise<{ files: Record<string, Uint8Array>; what: string }> {
  const out = { ...files };
  const what: string[] = [];
  const n = 1 + rng.int(2);
  for (let i = 0; i < n; i++) {
    const name = pick(rng, Object.keys(files));
    if (rng.int(4) === 0) {
      const u = await unusual(rng);
      const dest = name.replace(/[^/]+$/, `${i}${u.name}`);
      out[dest] = u.bytes;
      what.push(`${dest}: ${u.what}`);
      continue;
    }
    const r = name.endsWith('.png') ? mutatePng(out[name], rng) : mutateJpeg(out[name], rng);
    out[name] = r.bytes;
    what.push(`${name}: ${r.what}`);
  }
  return { files: out, what: what.join('; ') };
}
