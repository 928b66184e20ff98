/** CIFAR-10 / CIFAR-100 binary reader on small synthetic files. */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Rng } from '../model/random.js';
import { UserError } from '../model/errors.js';
import { openDataset } from './index.js';
import type { Dataset } from './types.js';

const pre = { mean: [0], std: [1], channels: 3 as const };

/** Records with random pixels; returns the file bytes and each record's pixel planes. */
function records(labels: number[][], rng: Rng): { bytes: Uint8Array; planes: Uint8Array[] } {
  const lb = labels[0].length;
  const rec = lb + 3072;
  const bytes = new Uint8Array(labels.length * rec);
  const planes: Uint8Array[] = [];
  labels.forEach((l, i) => {
    bytes.set(l, i * rec);
    const p = Uint8Array.from({ length: 3072 }, () => rng.int(256));
    bytes.set(p, i * rec + lb);
    planes.push(p);
  });
  return { bytes, planes };
}

async function all(ds: Dataset, idx: number[]) {
  const xs: number[] = [];
  const ys: number[] = [];
  const skipped: { id: string; reason: string }[] = [];
  for await (const b of ds.batches(idx, 2)) {
    xs.push(...b.x);
    ys.push(...b.y);
    skipped.push(...b.skipped);
  }
  return { xs, ys, skipped };
}

test('CIFAR-10: batches across files, CHW planes become HWC, names from batches.meta.txt, bad label skipped', async () => {
  const root = mkdtempSync(join(tmpdir(), 'seprune-cifar-'));
  try {
    const dir = join(root, 'cifar-10-batches-bin');
    mkdirSync(dir);
    const rng = new Rng(3);
    const a = records([[3], [0], [9]], rng);
    const b = records([[12], [4]], rng);
    writeFileSync(join(dir, 'data_batch_1.bin'), a.bytes);
    writeFileSync(join(dir, 'data_batch_2.bin'), b.bytes);
    writeFileSync(join(dir, 'batches.meta.txt'), ['plane', 'car', 'bird', 'cat', 'deer', 'dog', 'frog', 'horse', 'ship', 'truck'].join('\n') + '\n\n');
    const ds = await openDataset({ data: root, preprocess: pre }); // the parent folder is accepted
    assert.equal(ds.size, 5);
    assert.equal(ds.classes[1], 'car');
    assert.deepEqual(ds.sampleShape, [32, 32, 3]);
    assert.deepEqual(Array.from(await ds.labels()), [3, 0, 9, -1, 4]);
    const r = await all(ds, [4, 1, 3]);
    assert.deepEqual(r.ys, [4, 0]);
    assert.deepEqual(r.skipped.map((s) => s.id), ['data_batch_2.bin#0']);
    for (const [k, p] of [b.planes[1], a.planes[1]].entries()) {
      for (const px of [0, 1, 33, 1023]) {
        for (let c = 0; c < 3; c++) {
          assert.ok(Math.abs(r.xs[k * 3072 + px * 3 + c] - p[c * 1024 + px] / 255) < 1e-7);
        }
      }
    }
    await assert.rejects(openDataset({ data: root, split: 'test', preprocess: pre }), UserError);
  } finally {
    rmSync(root, { recursive: true, force: true });
  }
});

test('CIFAR-100: the fine label (second byte) is used; a partial record is a UserError', async () => {
  const dir = mkdtempSync(join(tmpdir(), 'seprune-cifar100-'));
  try {
    const rng = new Rng(5);
    const t = records([[1, 77], [19, 3]], rng);
    writeFileSync(join(dir, 'test.bin'), t.bytes);
    const ds = await openDataset({ data: dir, split: 'test', preprocess: { ...pre, channels: 1, pad: 1 } });
    assert.equal(ds.classes.length, 100);
    assert.deepEqual(ds.sampleShape, [34, 34, 1]);
    assert.deepEqual(Array.from(await ds.labels()), [77, 3]);
    const r = await all(ds, [1]);
    // Gray by PIL's luma of pixel (0, 0), which lands at (1, 1) after Pad(1).
    const p = t.planes[1];
    const luma = (p[0] * 19595 + p[1024] * 38470 + p[2048] * 7471 + 0x8000) >>> 16;
    assert.ok(Math.abs(r.xs[34 + 1] - luma / 255) < 1e-7);
    assert.equal(r.xs[0], 0);
    writeFileSync(join(dir, 'test.bin'), t.bytes.subarray(0, 3074 + 10));
    await assert.rejects(openDataset({ data: dir, split: 'test', preprocess: pre }), (e: Error) => e instanceof UserError && /whole number/.test(e.message));
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
});
