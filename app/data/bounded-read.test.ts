/**
 * Hostile inputs stay in bounded memory: an IDX gzip that inflates far past its header's size is
 * cut at that size, and a folder of large images is decoded and resized one image at a time.
 * Peak memory is sampled while the work runs (RSS every few milliseconds).
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { createWriteStream, mkdirSync, mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { createGzip, constants } from 'node:zlib';
import { once } from 'node:events';
import sharp from 'sharp';
import { readIdx } from './idx.js';
import { openDataset } from './index.js';
import { parseTransform } from './transform-parse.js';
import { fromPipeline } from './transform.js';

const MB = 2 ** 20;

/** Runs `f` and returns the peak RSS growth above the RSS at the start, in MB. */
async function peakGrowth<T>(f: () => Promise<T>): Promise<{ value: T | Error; mb: number }> {
  global.gc?.();
  const base = process.memoryUsage.rss();
  let peak = base;
  const timer = setInterval(() => (peak = Math.max(peak, process.memoryUsage.rss())), 2);
  let value: T | Error;
  try {
    value = await f();
  } catch (e) {
    value = e as Error;
  }
  clearInterval(timer);
  peak = Math.max(peak, process.memoryUsage.rss());
  return { value, mb: (peak - base) / MB };
}

/** A gzip of an IDX header for [n, 28, 28] followed by `inflated` bytes of zeros. */
async function bomb(path: string, dims: number[], inflated: number): Promise<void> {
  const z = createGzip({ level: 1, strategy: constants.Z_RLE });
  const out = createWriteStream(path);
  z.pipe(out);
  const head = Buffer.alloc(4 + 4 * dims.length);
  head[2] = 8;
  head[3] = dims.length;
  dims.forEach((d, i) => head.writeUInt32BE(d, 4 + 4 * i));
  z.write(head);
  const zeros = Buffer.alloc(4 * MB);
  for (let done = 0; done < inflated; done += zeros.length) if (!z.write(zeros)) await once(z, 'drain');
  z.end();
  await once(out, 'finish');
}

test('an IDX gzip inflating to 1 GiB behind a 20-image header is cut at the header size', async () => {
  const dir = mkdtempSync(join(tmpdir(), 'seprune-bomb-'));
  try {
    const p = join(dir, 't10k-images-idx3-ubyte.gz');
    await bomb(p, [20, 28, 28], 1024 * MB);
    const { value, mb } = await peakGrowth(() => readIdx(p));
    assert.ok(value instanceof Error && /inflates past the 15696 bytes its IDX header implies/.test(value.message), String(value));
    assert.ok(mb < 64, `peak RSS grew ${mb.toFixed(1)} MB`);
    console.log(`# gzip bomb (1 GiB inflated): refused, peak RSS +${mb.toFixed(1)} MB`);
    // A header claiming more than the reader accepts is refused before anything is allocated.
    const huge = join(dir, 'huge.gz');
    await bomb(huge, [100000, 1000, 1000], 1 * MB);
    await assert.rejects(readIdx(huge), /describes 100000000016 bytes, more than the 2 GiB this reader accepts/);
    // A tiny file claiming 1.5 GiB allocates what arrives, not what it claims.
    const liar = join(dir, 'liar.gz');
    await bomb(liar, [2000000, 28, 28], 4 * MB);
    const l = await peakGrowth(() => readIdx(liar));
    assert.ok(l.value instanceof Error && /should hold 1568000000 bytes of data for dimensions 2000000×28×28 but holds 4194304/.test(l.value.message), String(l.value));
    assert.ok(l.mb < 64, `peak RSS grew ${l.mb.toFixed(1)} MB`);
    // An honest file still reads.
    const ok = join(dir, 'ok.gz');
    await bomb(ok, [1, 4, 4], 0);
    await assert.rejects(readIdx(ok), /should hold 16 bytes of data/);
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
});

test('16 large PNGs are decoded and resized one at a time', async () => {
  const dir = mkdtempSync(join(tmpdir(), 'seprune-big-'));
  try {
    mkdirSync(join(dir, 'a'));
    const side = 2400; // 17.3 MB of RGB each, 276 MB for all 16 at once
    for (let i = 0; i < 16; i++) {
      await sharp({ create: { width: side, height: side, channels: 3, background: { r: 10 * i, g: 100, b: 200 } } }).png({ compressionLevel: 1 }).toFile(join(dir, 'a', `${i}.png`));
    }
    const ds = await openDataset({ data: dir, split: 'test', preprocess: fromPipeline(parseTransform('Resize(32, interpolation=InterpolationMode.NEAREST), CenterCrop(32), ToTensor()'), 3) });
    const { value, mb } = await peakGrowth(async () => {
      let n = 0;
      for await (const b of ds.batches(Array.from({ length: 16 }, (_, i) => i), 16)) n += b.y.length;
      return n;
    });
    assert.equal(value, 16);
    assert.ok(mb < 140, `peak RSS grew ${mb.toFixed(1)} MB (one image is ${(side * side * 3 / MB).toFixed(1)} MB, all 16 ${(16 * side * side * 3 / MB).toFixed(0)} MB)`);
    console.log(`# 16 PNGs ${side}×${side}: peak RSS +${mb.toFixed(1)} MB`);
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
});
