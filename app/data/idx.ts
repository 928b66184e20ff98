/**
 * IDX reader (MNIST, Fashion-MNIST, KMNIST...): `train-images-idx3-ubyte[.gz]` +
 * `train-labels-idx1-ubyte[.gz]` for the train split, `t10k-...` (or `test-...`) for the test
 * split; `.` or `_` may replace `-` (e.g. `train-images.idx3-ubyte`). Gzip is detected by its
 * magic bytes. Images are unsigned bytes, [N, H, W] (gray) or [N, H, W, C]. Class names come from
 * `classes.txt` (one per line) when present, else Fashion-MNIST's names for a folder whose path
 * says "fashion", else the label numbers. The decoded files are held in memory (47 MB for
 * Fashion-MNIST's train set).
 */
import { existsSync, readdirSync } from 'node:fs';
import { readRegular, readRegularText } from '../util/read-bounded.js';
import { basename, join } from 'node:path';
import { createGunzip } from 'node:zlib';
import { UserError } from '../model/errors.js';
import { batchedDataset, checkLabels } from './batched.js';
import type { DataOptions, Dataset, DatasetReader } from './types.js';
import { checkPreprocessing, preprocessedShape } from './preprocess.js';

export const FASHION_MNIST_CLASSES = [
  'T-shirt/top', 'Trouser', 'Pullover', 'Dress', 'Coat', 'Sandal', 'Shirt', 'Sneaker', 'Bag', 'Ankle boot',
];

const SPLIT_PREFIX = { train: /^train/i, test: /^(t10k|test)/i } as const;
const IMAGES = /^(train|t10k|test)[-_.]images[-_.]idx[34][-_.]ubyte(\.gz)?$/i;
const LABELS = /^(train|t10k|test)[-_.]labels[-_.]idx1[-_.]ubyte(\.gz)?$/i;

/** An IDX array: its dimensions and its unsigned-byte payload. */
export interface IdxArray {
  dims: number[];
  data: Uint8Array;
}

/** Parses an IDX file (already gunzipped); only unsigned-byte (type 0x08) data is supported. */
export function parseIdx(buf: Uint8Array, file: string): IdxArray {
  if (buf.length < 4 || buf[0] !== 0 || buf[1] !== 0) throw new UserError(`${file} is not an IDX file.`);
  if (buf[2] !== 0x08) throw new UserError(`${file} holds IDX type 0x${buf[2].toString(16)}; only unsigned bytes (0x08) are supported.`);
  const nd = buf[3];
  const head = 4 + 4 * nd;
  if (nd < 1 || buf.length < head) throw new UserError(`${file} has a truncated IDX header.`);
  if (nd > 4) throw new UserError(`${file} has ${nd} IDX dimensions; images have 3 or 4 and labels 1.`);
  const view = new DataView(buf.buffer, buf.byteOffset, buf.byteLength);
  const dims = Array.from({ length: nd }, (_, i) => view.getUint32(4 + 4 * i, false));
  const count = dims.reduce((a, b) => a * b, 1);
  if (buf.length - head !== count) {
    throw new UserError(`${file} should hold ${count} bytes of data for dimensions ${dims.join('×')} but holds ${buf.length - head}.`);
  }
  return { dims, data: buf.subarray(head) };
}

/** The largest IDX payload read (2 GiB; ImageNet-sized 64×64 sets are far below it). */
export const IDX_MAX_BYTES = 2 ** 31;

/** Bytes the IDX header at the start of `head` implies for the whole file, or undefined until the header is complete. */
function impliedSize(head: Uint8Array, file: string): number | undefined {
  if (head.length < 4) return undefined;
  if (head[0] !== 0 || head[1] !== 0) throw new UserError(`${file} is not an IDX file.`);
  const nd = head[3];
  if (nd < 1) throw new UserError(`${file} has a truncated IDX header.`);
  if (nd > 4) throw new UserError(`${file} has ${nd} IDX dimensions; images have 3 or 4 and labels 1.`);
  const headLen = 4 + 4 * nd;
  if (head.length < headLen) return undefined;
  const view = new DataView(head.buffer, head.byteOffset, head.byteLength);
  let count = 1;
  for (let i = 0; i < nd; i++) count *= view.getUint32(4 + 4 * i, false);
  return headLen + count;
}

/**
 * Inflates a gzipped IDX file, never past the size its header implies: inflating stops as soon as
 * the data would run past it (a small gzip that inflates to gigabytes costs at most its header's
 * size, refused above IDX_MAX_BYTES). Memory follows the data that arrives, not the header's
 * claim, so a tiny file claiming 2 GiB allocates nothing like that.
 */
async function gunzipIdx(compressed: Uint8Array, file: string): Promise<Uint8Array> {
  return new Promise<Uint8Array>((resolvePromise, reject) => {
    const z = createGunzip({ chunkSize: 64 * 1024 });
    const chunks: Buffer[] = [];
    let total = 0;
    let limit: number | undefined;
    let done = false;
    const fail = (e: Error) => {
      if (done) return;
      done = true;
      z.destroy();
      reject(e);
    };
    z.on('data', (chunk: Buffer) => {
      if (done) return;
      try {
        chunks.push(chunk);
        total += chunk.length;
        if (limit === undefined) {
          // The header is at most 4 + 4 · 255 bytes.
          limit = impliedSize(Buffer.concat(chunks, Math.min(total, 1024)), file);
          if (limit !== undefined && limit > IDX_MAX_BYTES) {
            throw new UserError(`${file}'s IDX header describes ${limit} bytes, more than the ${IDX_MAX_BYTES / 2 ** 30} GiB this reader accepts.`);
          }
        }
        if (limit !== undefined && total > limit) {
          throw new UserError(`${file} inflates past the ${limit} bytes its IDX header implies; the file is damaged or not what its header says.`);
        }
      } catch (e) {
        fail(e as Error);
      }
    });
    z.on('error', () => fail(new UserError(`${file} is not a valid gzip file.`)));
    z.on('end', () => {
      if (done) return;
      done = true;
      if (limit === undefined) {
        reject(new UserError(`${file} has a truncated IDX header.`));
        return;
      }
      const out = Buffer.concat(chunks, total);
      chunks.length = 0;
      resolvePromise(new Uint8Array(out.buffer, out.byteOffset, out.byteLength));
    });
    z.end(compressed);
  });
}

/** Reads an IDX file, plain or gzipped (gzip inflated only up to the size its header implies). */
export async function readIdx(path: string): Promise<IdxArray> {
  // A FIFO, a device or a folder is refused before reading; a plain file larger than the biggest
  // payload (plus the largest header) is refused before it is read.
  let buf: Uint8Array = await readRegular(path, `IDX file ${path}`, IDX_MAX_BYTES + 4 + 4 * 255);
  if (buf.length >= 2 && buf[0] === 0x1f && buf[1] === 0x8b) buf = await gunzipIdx(buf, path);
  return parseIdx(buf, path);
}

/** Encodes an unsigned-byte IDX file (not gzipped). */
export function encodeIdx(dims: number[], data: Uint8Array): Uint8Array {
  const out = new Uint8Array(4 + 4 * dims.length + data.length);
  const view = new DataView(out.buffer);
  out[2] = 0x08;
  out[3] = dims.length;
  dims.forEach((d, i) => view.setUint32(4 + 4 * i, d, false));
  out.set(data, 4 + 4 * dims.length);
  return out;
}

function findFile(dir: string, pattern: RegExp, split: 'train' | 'test'): string | undefined {
  const names = readdirSync(dir).filter((n) => pattern.test(n) && SPLIT_PREFIX[split].test(n)).sort();
  // Prefer the plain file when both plain and .gz are present (no decompression needed).
  return names.find((n) => !n.endsWith('.gz')) ?? names[0];
}

function classNames(dir: string, maxLabel: number): string[] {
  if (/fashion/i.test(dir) && maxLabel <= 9) return FASHION_MNIST_CLASSES.slice();
  return Array.from({ length: Math.max(maxLabel + 1, 1) }, (_, i) => String(i));
}

/** Extra facts a caller (the builtin resolver) may fix instead of guessing them. */
export interface IdxOverrides {
  name?: string;
  source?: string;
  classes?: string[];
}

export async function openIdx(dir: string, o: DataOptions, extra: IdxOverrides = {}): Promise<Dataset> {
  checkPreprocessing(o.preprocess);
  const split = o.split ?? 'train';
  const imagesName = findFile(dir, IMAGES, split);
  const labelsName = findFile(dir, LABELS, split);
  const expected = split === 'train' ? 'train-images-idx3-ubyte[.gz]' : 't10k-images-idx3-ubyte[.gz]';
  if (!imagesName) throw new UserError(`${dir} has no ${split} images (expected ${expected}).`);
  if (!labelsName) throw new UserError(`${dir} has no ${split} labels (expected ${expected.replace('images-idx3', 'labels-idx1')}).`);
  const imagesPath = join(dir, imagesName);
  const labelsPath = join(dir, labelsName);
  const [images, labels] = await Promise.all([readIdx(imagesPath), readIdx(labelsPath)]);
  if (images.dims.length !== 3 && images.dims.length !== 4) {
    throw new UserError(`${imagesPath} should be [N, H, W] or [N, H, W, C] but is ${images.dims.length}-dimensional.`);
  }
  if (labels.dims.length !== 1) throw new UserError(`${labelsPath} should be one-dimensional but is ${labels.dims.length}-dimensional.`);
  const [n, h, w] = images.dims;
  const c = images.dims[3] ?? 1;
  if (c !== 1 && c !== 3) throw new UserError(`${imagesPath} has ${c} channels; only 1 or 3 are supported.`);
  if (labels.dims[0] !== n) throw new UserError(`${imagesPath} holds ${n} images but ${labelsPath} holds ${labels.dims[0]} labels.`);

  let classes = extra.classes;
  if (!classes) {
    const file = join(dir, 'classes.txt');
    if (existsSync(file)) {
      classes = (await readRegularText(file, `Class list ${file}`)).split(/\r?\n/).map((s) => s.trim()).filter((s) => s.length > 0);
      if (classes.length === 0) throw new UserError(`${file} lists no class names.`);
    } else {
      let max = 0;
      for (const v of labels.data) if (v > max) max = v;
      classes = classNames(dir, max);
    }
  }
  const checked = checkLabels(labels.data, classes.length, labelsPath);
  const per = h * w * c;
  return batchedDataset({
    name: extra.name ?? basename(dir),
    source: extra.source ?? imagesPath,
    split,
    classes,
    labels: checked.labels,
    rawLabel: (i) => labels.data[i],
    sampleShape: preprocessedShape(h, w, o.preprocess),
    preprocess: o.preprocess,
    id: (i) => `${imagesName}#${i}`,
    load: async (indices) => indices.map((i) => ({ data: images.data.subarray(i * per, (i + 1) * per), h, w, c })),
    warnings: checked.warning ? [checked.warning] : [],
  });
}

export const idxReader: DatasetReader = {
  name: 'idx',
  match: (dir) => readdirSync(dir).some((n) => IMAGES.test(n)),
  open: (dir, o) => openIdx(dir, o),
};
