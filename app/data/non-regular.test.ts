/**
 * Dataset files that are not regular files are refused before any read, with a sentence: a FIFO
 * would hang the reader (and, in the app, every route of the server), /dev/zero never ends. Each
 * case must answer within a few seconds.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { execFileSync } from 'node:child_process';
import { mkdirSync, mkdtempSync, rmSync, symlinkSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import sharp from 'sharp';
import { openDataset } from './index.js';
import { encodeIdx, readIdx } from './idx.js';
import { UserError } from '../model/errors.js';
import type { Batch } from './types.js';

const dir = mkdtempSync(join(tmpdir(), 'seprune-nonreg-'));
test.after(() => rmSync(dir, { recursive: true, force: true }));
const pre = { channels: 1 as const, mean: [0], std: [1] };

async function quickly<T>(p: Promise<T>): Promise<T> {
  const t0 = Date.now();
  const timer = new Promise<never>((_, rej) => setTimeout(() => rej(new Error('hung for 5 s')), 5000).unref());
  const v = await Promise.race([p, timer]);
  assert.ok(Date.now() - t0 < 5000);
  return v;
}

async function refusal(p: Promise<unknown>): Promise<string> {
  try {
    await quickly(p);
  } catch (e) {
    assert.ok(e instanceof UserError, (e as Error).stack);
    assert.ok(!e.message.includes('\n'));
    return e.message;
  }
  assert.fail('accepted');
}

test('an IDX file that is a FIFO, /dev/zero or a folder is refused at once', async () => {
  const d = join(dir, 'idx');
  mkdirSync(d);
  writeFileSync(join(d, 't10k-labels-idx1-ubyte'), encodeIdx([2], new Uint8Array([0, 1])));
  execFileSync('mkfifo', [join(d, 't10k-images-idx3-ubyte')]);
  assert.match(await refusal(openDataset({ data: d, split: 'test', preprocess: pre })), /^IDX file .*t10k-images-idx3-ubyte is a named pipe, not a regular file\.$/);
  assert.match(await refusal(readIdx('/dev/zero')), /^IDX file \/dev\/zero is a device, not a regular file\.$/);
  assert.match(await refusal(readIdx(d)), /is a folder; give the file inside it\.$/);
  const z = join(dir, 'idx-zero');
  mkdirSync(z);
  writeFileSync(join(z, 't10k-images-idx3-ubyte'), encodeIdx([2, 2, 2], new Uint8Array(8)));
  symlinkSync('/dev/zero', join(z, 't10k-labels-idx1-ubyte'));
  assert.match(await refusal(openDataset({ data: z, split: 'test', preprocess: pre })), /t10k-labels-idx1-ubyte is a device, not a regular file\.$/);
  // classes.txt as a FIFO
  const c = join(dir, 'idx-classes');
  mkdirSync(c);
  writeFileSync(join(c, 't10k-images-idx3-ubyte'), encodeIdx([2, 2, 2], new Uint8Array(8)));
  writeFileSync(join(c, 't10k-labels-idx1-ubyte'), encodeIdx([2], new Uint8Array([0, 1])));
  execFileSync('mkfifo', [join(c, 'classes.txt')]);
  assert.match(await refusal(openDataset({ data: c, split: 'test', preprocess: pre })), /^Class list .*classes\.txt is a named pipe, not a regular file\.$/);
});

test('a dataset argument that is a device or FIFO, and a CIFAR batch that is a FIFO, are refused', async () => {
  assert.match(await refusal(openDataset({ data: '/dev/zero', preprocess: pre })), /^Dataset \/dev\/zero is a device; give the folder that holds the dataset\.$/);
  const d = join(dir, 'cifar');
  mkdirSync(d);
  execFileSync('mkfifo', [join(d, 'test_batch.bin')]);
  assert.match(await refusal(openDataset({ data: d, split: 'test', preprocess: { ...pre, channels: 3, mean: [0], std: [1] } })), /^CIFAR file .*test_batch\.bin is a named pipe, not a regular file\.$/);
});

test('an image that is a FIFO or /dev/zero is skipped with its reason; the real image still loads', async () => {
  const d = join(dir, 'folder');
  mkdirSync(join(d, 'a'), { recursive: true });
  mkdirSync(join(d, 'b'));
  await sharp({ create: { width: 8, height: 8, channels: 3, background: { r: 1, g: 2, b: 3 } } }).png().toFile(join(d, 'a', '0.png'));
  execFileSync('mkfifo', [join(d, 'a', '1.png')]);
  symlinkSync('/dev/zero', join(d, 'b', '2.png'));
  const ds = await quickly(openDataset({ data: d, split: 'test', preprocess: { channels: 3, mean: [0], std: [1] } }));
  const batches: Batch[] = [];
  await quickly((async () => {
    for await (const b of ds.batches([0, 1, 2], 3)) batches.push(b);
  })());
  assert.equal(batches.reduce((a, b) => a + b.y.length, 0), 1);
  const reasons = batches.flatMap((b) => b.skipped.map((s) => s.reason)).sort();
  assert.deepEqual(reasons, ['it is a device, not a regular file', 'it is a named pipe, not a regular file']);
});
