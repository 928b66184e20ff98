/**
 * Makes the compact Fashion-MNIST subset shipped in app/data/builtin/fashion-mnist/ from Debian's
 * dataset-fashion-mnist: the first 600 train and the first 200 test images of each class, in file
 * order (6,000 + 2,000 images, class-balanced), written as gzipped IDX files with the usual names.
 *
 *   node --import tsx tools/make-fashion-mnist-subset.ts [sourceDir] [outDir]
 */
import { mkdirSync, renameSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { gzipSync } from 'node:zlib';
import { encodeIdx, readIdx } from '../app/data/idx.js';

const PER_CLASS = { train: 600, t10k: 200 } as const;

async function subset(src: string, out: string, prefix: 'train' | 't10k'): Promise<void> {
  const images = await readIdx(join(src, `${prefix}-images-idx3-ubyte.gz`));
  const labels = await readIdx(join(src, `${prefix}-labels-idx1-ubyte.gz`));
  const [n, h, w] = images.dims;
  const per = h * w;
  const taken = new Array<number>(10).fill(0);
  const chosen: number[] = [];
  for (let i = 0; i < n; i++) {
    const k = labels.data[i];
    if (taken[k] < PER_CLASS[prefix]) {
      taken[k]++;
      chosen.push(i);
    }
  }
  if (taken.some((t) => t < PER_CLASS[prefix])) throw new Error(`Not enough ${prefix} images per class: ${taken.join(',')}`);
  const img = new Uint8Array(chosen.length * per);
  const lab = new Uint8Array(chosen.length);
  chosen.forEach((i, k) => {
    img.set(images.data.subarray(i * per, (i + 1) * per), k * per);
    lab[k] = labels.data[i];
  });
  const write = (name: string, bytes: Uint8Array) => {
    const path = join(out, name);
    writeFileSync(`${path}.tmp`, gzipSync(bytes, { level: 9 }));
    renameSync(`${path}.tmp`, path);
  };
  write(`${prefix}-images-idx3-ubyte.gz`, encodeIdx([chosen.length, h, w], img));
  write(`${prefix}-labels-idx1-ubyte.gz`, encodeIdx([chosen.length], lab));
  console.log(`${prefix}: ${chosen.length} images`);
}

const src = process.argv[2] ?? '/usr/share/datasets/fashion-mnist';
const out = process.argv[3] ?? fileURLToPath(new URL('../app/data/builtin/fashion-mnist', import.meta.url));
mkdirSync(out, { recursive: true });
await subset(src, out, 'train');
await subset(src, out, 't10k');
