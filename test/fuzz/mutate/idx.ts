/**
 * IDX mutations: the header's magic, type byte, number of dimensions and each dimension; payloads
 * cut or grown; labels out of range or of another length; plain or gzipped, including gzip bombs
 * (a small file that inflates far past what its header says).
 */
import { gzipSync, gunzipSync } from 'node:zlib';
import type { Rng } from '../../../app/model/random.js';
import { EDGE_INTS, mutateBytes, pick } from './bytes.js';

const IMAGES = 't10k-images-idx3-ubyte';
const LABELS = 't10k-labels-idx1-ubyte';

function setDim(b: Uint8Array, i: number, v: number): void {
  if (4 + 4 * i + 4 <= b.length) new DataView(b.buffer, b.byteOffset).setUint32(4 + 4 * i, v >>> 0, false);
}

function mutateIdxFile(src: Uint8Array, rng: Rng, labels: boolean): { bytes: Uint8Array; what: string } {
  const b = src.slice();
  switch (rng.int(7)) {
    case 0:
      b[rng.int(4)] = pick(rng, [0, 1, 8, 9, 0x0b, 0x0d, 0xff, rng.int(256)]);
      return { bytes: b, what: 'magic/type byte' };
    case 1:
      b[3] = pick(rng, [0, 1, 2, 3, 4, 5, 255]);
      return { bytes: b, what: `ndims → ${b[3]}` };
    case 2: {
      const i = rng.int(Math.max(1, b[3]));
      const v = pick(rng, [...EDGE_INTS, 0, 1, 19, 21, 100000]);
      setDim(b, i, v);
      return { bytes: b, what: `dim ${i} → ${v >>> 0}` };
    }
    case 3:
      if (labels) {
        const head = 4 + 4 * b[3];
        for (let k = 0; k < 3; k++) b[head + rng.int(Math.max(1, b.length - head))] = pick(rng, [10, 11, 200, 255]);
        return { bytes: b, what: 'labels out of range' };
      }
      return { bytes: b.slice(0, rng.int(b.length)), what: 'truncated' };
    case 4: {
      const extra = new Uint8Array(1 + rng.int(4096));
      const out = new Uint8Array(b.length + extra.length);
      out.set(b);
      out.set(extra, b.length);
      return { bytes: out, what: `grown by ${extra.length}` };
    }
    default:
      return { bytes: mutateBytes(b, rng), what: 'bytes' };
  }
}

/** A gzip of `head` followed by `zeros` zero bytes (a bomb when `zeros` is far past the header's size). */
function bomb(head: Uint8Array, zeros: number): Uint8Array {
  return gzipSync(Buffer.concat([Buffer.from(head), Buffer.alloc(zeros)]), { level: 9 });
}

export function mutateIdx(files: Record<string, Uint8Array>, rng: Rng): { files: Record<string, Uint8Array>; what: string } {
  const gz = IMAGES + '.gz' in files;
  const plain = (name: string) => (gz ? new Uint8Array(gunzipSync(files[name + '.gz'])) : files[name]);
  const put = (out: Record<string, Uint8Array>, name: string, b: Uint8Array) => (out[gz ? name + '.gz' : name] = gz ? new Uint8Array(gzipSync(b)) : b);
  const out = { ...files };
  const k = rng.int(10);
  if (gz && k === 0) {
    // A bomb: the images header says 20×12×12 (or claims far more), the stream inflates to 8–64 MB.
    const head = plain(IMAGES).slice(0, 16);
    if (rng.int(2)) setDim(head, 0, pick(rng, [20, 2 ** 20, 2 ** 31]));
    const zeros = (8 + rng.int(57)) * 2 ** 20;
    out[IMAGES + '.gz'] = bomb(head, zeros);
    return { files: out, what: `gzip bomb: ${zeros >> 20} MB inflated` };
  }
  if (gz && k === 1) {
    const name = pick(rng, [IMAGES, LABELS]) + '.gz';
    out[name] = mutateBytes(files[name], rng);
    return { files: out, what: `${name} compressed bytes` };
  }
  const which = rng.int(3) ? IMAGES : LABELS;
  const r = mutateIdxFile(plain(which), rng, which === LABELS);
  put(out, which, r.bytes);
  return { files: out, what: `${which}: ${r.what}` };
}
