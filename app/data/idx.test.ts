/** IDX reader and the builtin `fashion-mnist` resolution (data-dir, Debian, shipped subset). */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { copyFileSync, existsSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { gunzipSync, gzipSync } from 'node:zlib';
import { UserError } from '../model/errors.js';
import { openBuiltin, SHIPPED_FASHION_MNIST, SYSTEM_FASHION_MNIST } from './builtin.js';
import { encodeIdx, FASHION_MNIST_CLASSES } from './idx.js';
import { openDataset, sampleIndices } from './index.js';
import type { Batch, Dataset } from './types.js';

const pre = { mean: [0], std: [1], channels: 1 as const };
const tmp = () => mkdtempSync(join(tmpdir(), 'seprune-idx-'));

async function collect(ds: Dataset, idx: number[], bs = 64): Promise<Batch[]> {
  const out: Batch[] = [];
  for await (const b of ds.batches(idx, bs)) out.push(b);
  return out;
}

/** Labels of an IDX .gz read independently of the reader. */
function rawLabels(path: string): Uint8Array {
  const b = gunzipSync(readFileSync(path));
  return b.subarray(8);
}

test('shipped subset: 6,000 train / 2,000 test, class-balanced, used when no data-dir and no system copy', async () => {
  const missing = join(tmpdir(), 'seprune-no-such-dir');
  for (const [split, total] of [['train', 6000], ['test', 2000]] as const) {
    const ds = await openBuiltin({ data: 'fashion-mnist', split, preprocess: pre }, missing);
    assert.equal(ds.size, total);
    assert.ok(ds.source.startsWith('shipped subset'), ds.source);
    assert.deepEqual(ds.classes, FASHION_MNIST_CLASSES);
    const labels = await ds.labels();
    const counts = new Array(10).fill(0);
    for (const l of labels) counts[l]++;
    assert.deepEqual(counts, new Array(10).fill(total / 10));
    const file = join(SHIPPED_FASHION_MNIST, `${split === 'train' ? 'train' : 't10k'}-labels-idx1-ubyte.gz`);
    assert.deepEqual(Array.from(labels), Array.from(rawLabels(file)));
  }
});

test('--data-dir wins and is reported as the source', async () => {
  const dir = tmp();
  try {
    for (const f of ['t10k-images-idx3-ubyte.gz', 't10k-labels-idx1-ubyte.gz']) copyFileSync(join(SHIPPED_FASHION_MNIST, f), join(dir, f));
    const ds = await openDataset({ data: 'fashion-mnist', split: 'test', dataDir: dir, preprocess: pre });
    assert.equal(ds.source, `data-dir ${dir}`);
    assert.equal(ds.size, 2000);
    await assert.rejects(openDataset({ data: 'fashion-mnist', split: 'train', dataDir: dir, preprocess: pre }), UserError);
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
});

test('the Debian copy is preferred when installed', { skip: !existsSync(join(SYSTEM_FASHION_MNIST, 't10k-images-idx3-ubyte.gz')) && 'dataset-fashion-mnist is not installed' }, async () => {
  const ds = await openDataset({ data: 'fashion-mnist', split: 'test', preprocess: pre });
  assert.equal(ds.source, `system ${SYSTEM_FASHION_MNIST}`);
  assert.equal(ds.size, 10000);
  const labels = await ds.labels();
  assert.deepEqual(Array.from(labels), Array.from(rawLabels(join(SYSTEM_FASHION_MNIST, 't10k-labels-idx1-ubyte.gz'))));
});

test('plain IDX with dotted names, pixel values, classes.txt and out-of-range labels skipped', async () => {
  const dir = tmp();
  try {
    const n = 7;
    const img = Uint8Array.from({ length: n * 2 * 3 }, (_, i) => (i * 37) % 256);
    const lab = Uint8Array.from([0, 1, 2, 5, 1, 0, 2]); // 5 is outside 3 classes
    writeFileSync(join(dir, 'train-images.idx3-ubyte'), encodeIdx([n, 2, 3], img));
    writeFileSync(join(dir, 'train-labels.idx1-ubyte'), gzipSync(encodeIdx([n], lab)));
    writeFileSync(join(dir, 'classes.txt'), 'a\nb\nc\n');
    const ds = await openDataset({ data: dir, preprocess: pre });
    assert.deepEqual(ds.classes, ['a', 'b', 'c']);
    assert.deepEqual(ds.sampleShape, [2, 3, 1]);
    assert.equal(ds.warnings?.length, 1);
    const labels = await ds.labels();
    assert.equal(labels[3], -1);
    assert.deepEqual(sampleIndices(labels, undefined, 0), [0, 1, 2, 4, 5, 6]);
    const batches = await collect(ds, [6, 3, 2, 0], 3);
    assert.equal(batches.length, 2);
    assert.deepEqual(Array.from(batches[0].y), [2, 2]);
    assert.deepEqual(batches[0].skipped.map((s) => s.id), ['train-images.idx3-ubyte#3']);
    assert.match(batches[0].skipped[0].reason, /label 5/);
    assert.deepEqual(Array.from(batches[1].y), [0]);
    assert.deepEqual(batches[1].ids, ['train-images.idx3-ubyte#0']);
    // Record 6 first, then 2, then 0, values x/255.
    const want = [6, 2, 0].flatMap((i) => Array.from(img.subarray(i * 6, i * 6 + 6), (v) => v / 255));
    const got = [...batches[0].x, ...batches[1].x];
    assert.equal(got.length, want.length);
    got.forEach((v, k) => assert.ok(Math.abs(v - want[k]) < 1e-7));
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
});

test('IDX errors are one-sentence UserErrors: count mismatch, truncated data, missing split', async () => {
  const dir = tmp();
  try {
    writeFileSync(join(dir, 't10k-images-idx3-ubyte'), encodeIdx([3, 2, 2], new Uint8Array(12)));
    writeFileSync(join(dir, 't10k-labels-idx1-ubyte'), encodeIdx([4], new Uint8Array(4)));
    await assert.rejects(openDataset({ data: dir, split: 'test', preprocess: pre }), (e: Error) => e instanceof UserError && /3 images but .* 4 labels/.test(e.message));
    await assert.rejects(openDataset({ data: dir, split: 'train', preprocess: pre }), (e: Error) => e instanceof UserError && /no train images/.test(e.message));
    const trunc = encodeIdx([3, 2, 2], new Uint8Array(12)).subarray(0, 20);
    writeFileSync(join(dir, 't10k-images-idx3-ubyte'), trunc);
    await assert.rejects(openDataset({ data: dir, split: 'test', preprocess: pre }), (e: Error) => e instanceof UserError && /should hold 12 bytes/.test(e.message));
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
});
