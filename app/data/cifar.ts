/**
 * CIFAR binary reader. CIFAR-10 (`cifar-10-batches-bin`): `data_batch_1..5.bin` (train) and
 * `test_batch.bin`, records of 1 label byte + 3072 image bytes; names in `batches.meta.txt`.
 * CIFAR-100 (`cifar-100-binary`): `train.bin` / `test.bin`, records of 2 label bytes (coarse,
 * fine; the fine label is used) + 3072; names in `fine_label_names.txt`. Image bytes are three
 * 32×32 planes (R, G, B). A folder holding the extracted archive folder is accepted too.
 * Only the labels are read up front; images are read per batch from their file offsets.
 */
import { existsSync } from 'node:fs';
import { open } from 'node:fs/promises';
import { openRegular, readRegularText } from '../util/read-bounded.js';
import { basename, join } from 'node:path';
import { UserError } from '../model/errors.js';
import { batchedDataset, checkLabels, type Loaded } from './batched.js';
import type { DataOptions, Dataset, DatasetReader } from './types.js';
import { checkPreprocessing, preprocessedShape } from './preprocess.js';

const CIFAR10_CLASSES = ['airplane', 'automobile', 'bird', 'cat', 'deer', 'dog', 'frog', 'horse', 'ship', 'truck'];
const SIDE = 32;
const PIXELS = SIDE * SIDE * 3;
const NESTED = ['cifar-10-batches-bin', 'cifar-100-binary'];

type Kind = { variant: 10 | 100; dir: string };

function detect(dir: string): Kind | undefined {
  const has = (d: string, f: string) => existsSync(join(d, f));
  for (const d of [dir, ...NESTED.map((n) => join(dir, n))]) {
    if (!existsSync(d)) continue;
    if (has(d, 'test_batch.bin') || has(d, 'data_batch_1.bin')) return { variant: 10, dir: d };
    if (has(d, 'train.bin') || has(d, 'test.bin')) return { variant: 100, dir: d };
  }
  return undefined;
}

async function names(file: string, fallback: string[]): Promise<string[]> {
  if (!existsSync(file)) return fallback;
  const list = (await readRegularText(file, `Class list ${file}`)).split(/\r?\n/).map((s) => s.trim()).filter((s) => s.length > 0);
  return list.length ? list : fallback;
}

/** Reads the label byte of every record, in chunks (never the whole file at once). */
async function readLabels(path: string, record: number, labelOffset: number, count: number): Promise<Uint8Array> {
  const out = new Uint8Array(count);
  const fh = await open(path, 'r');
  try {
    const per = 1024;
    const buf = Buffer.alloc(per * record);
    for (let r = 0; r < count; r += per) {
      const n = Math.min(per, count - r);
      await fh.read(buf, 0, n * record, r * record);
      for (let k = 0; k < n; k++) out[r + k] = buf[k * record + labelOffset];
    }
  } finally {
    await fh.close();
  }
  return out;
}

export async function openCifar(dir: string, o: DataOptions): Promise<Dataset> {
  checkPreprocessing(o.preprocess);
  const kind = detect(dir);
  if (!kind) throw new UserError(`${dir} holds no CIFAR binary files.`);
  const split = o.split ?? 'train';
  const labelBytes = kind.variant === 10 ? 1 : 2;
  const record = labelBytes + PIXELS;
  let files: string[];
  if (kind.variant === 10) {
    files = split === 'train'
      ? [1, 2, 3, 4, 5].map((k) => `data_batch_${k}.bin`).filter((f) => existsSync(join(kind.dir, f)))
      : ['test_batch.bin'].filter((f) => existsSync(join(kind.dir, f)));
  } else {
    files = [split === 'train' ? 'train.bin' : 'test.bin'].filter((f) => existsSync(join(kind.dir, f)));
  }
  if (files.length === 0) {
    const want = kind.variant === 10 ? (split === 'train' ? 'data_batch_1.bin' : 'test_batch.bin') : `${split}.bin`;
    throw new UserError(`${kind.dir} has no CIFAR-${kind.variant} ${split} split (expected ${want}).`);
  }
  const classes = kind.variant === 10
    ? await names(join(kind.dir, 'batches.meta.txt'), CIFAR10_CLASSES)
    : await names(join(kind.dir, 'fine_label_names.txt'), Array.from({ length: 100 }, (_, i) => String(i)));

  const starts: number[] = [];
  const rawParts: Uint8Array[] = [];
  let total = 0;
  for (const f of files) {
    const path = join(kind.dir, f);
    // Refused unless a regular file (a FIFO would hang every read, /dev/zero never ends).
    const { fh, size } = await openRegular(path, `CIFAR file ${path}`);
    await fh.close();
    if (size === 0 || size % record !== 0) {
      throw new UserError(`${path} is ${size} bytes, not a whole number of ${record}-byte CIFAR-${kind.variant} records.`);
    }
    starts.push(total);
    const count = size / record;
    rawParts.push(await readLabels(path, record, labelBytes - 1, count));
    total += count;
  }
  const raw = new Uint8Array(total);
  rawParts.forEach((p, k) => raw.set(p, starts[k]));
  const checked = checkLabels(raw, classes.length, kind.dir);
  const locate = (i: number): [number, number] => {
    let f = starts.length - 1;
    while (starts[f] > i) f--;
    return [f, i - starts[f]];
  };

  const load = async (indices: number[]): Promise<Loaded[]> => {
    const handles = new Map<number, Awaited<ReturnType<typeof open>>>();
    try {
      const out: Loaded[] = [];
      const buf = Buffer.alloc(PIXELS);
      for (const i of indices) {
        const [f, r] = locate(i);
        let fh = handles.get(f);
        if (!fh) {
          fh = await open(join(kind.dir, files[f]), 'r');
          handles.set(f, fh);
        }
        await fh.read(buf, 0, PIXELS, r * record + labelBytes);
        const hwc = new Uint8Array(PIXELS);
        const plane = SIDE * SIDE;
        for (let p = 0; p < plane; p++) {
          hwc[3 * p] = buf[p];
          hwc[3 * p + 1] = buf[plane + p];
          hwc[3 * p + 2] = buf[2 * plane + p];
        }
        out.push({ data: hwc, h: SIDE, w: SIDE, c: 3 });
      }
      return out;
    } finally {
      for (const fh of handles.values()) await fh.close();
    }
  };

  return batchedDataset({
    name: basename(kind.dir),
    source: kind.dir,
    split,
    classes,
    labels: checked.labels,
    rawLabel: (i) => raw[i],
    sampleShape: preprocessedShape(SIDE, SIDE, o.preprocess),
    preprocess: o.preprocess,
    id: (i) => {
      const [f, r] = locate(i);
      return `${files[f]}#${r}`;
    },
    load,
    warnings: checked.warning ? [checked.warning] : [],
  });
}

export const cifarReader: DatasetReader = {
  name: 'cifar',
  match: (dir) => detect(dir) !== undefined,
  open: openCifar,
};
