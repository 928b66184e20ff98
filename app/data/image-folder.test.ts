/** ImageFolder: class subfolders, splits, per-batch decoding, undecodable files skipped by name, errors. */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import sharp from 'sharp';
import { Rng } from '../model/random.js';
import { UserError } from '../model/errors.js';
import { openDataset } from './index.js';
import type { Dataset } from './types.js';

const pre = { mean: [0], std: [1], channels: 3 as const };

async function png(path: string, data: Uint8Array, w: number, h: number, c: 1 | 3): Promise<void> {
  writeFileSync(path, await sharp(Buffer.from(data), { raw: { width: w, height: h, channels: c } }).png().toBuffer());
}

async function all(ds: Dataset, idx: number[], bs: number) {
  const out = { xs: [] as number[], ys: [] as number[], ids: [] as string[], skipped: [] as { id: string; reason: string }[], batches: 0 };
  for await (const b of ds.batches(idx, bs)) {
    out.batches++;
    out.xs.push(...b.x);
    out.ys.push(...b.y);
    out.ids.push(...b.ids);
    out.skipped.push(...b.skipped);
  }
  return out;
}

test('classes are sorted folders; png pixels round-trip; a corrupt png and a zero-byte jpg are skipped by name', async () => {
  const root = mkdtempSync(join(tmpdir(), 'seprune-folder-'));
  try {
    const rng = new Rng(11);
    const pics: Record<string, Uint8Array> = {};
    for (const cls of ['zebra', 'ant', 'mole']) mkdirSync(join(root, cls));
    mkdirSync(join(root, 'mole', 'nested'));
    for (const [rel, c] of [['ant/a1.png', 3], ['ant/a2.png', 1], ['mole/nested/m1.png', 3], ['zebra/z1.png', 3]] as const) {
      const data = Uint8Array.from({ length: 4 * 5 * c }, () => rng.int(256));
      await png(join(root, rel), data, 5, 4, c);
      pics[join(root, rel)] = c === 3 ? data : Uint8Array.from(Array.from(data).flatMap((v) => [v, v, v]));
    }
    writeFileSync(join(root, 'zebra', 'broken.png'), Buffer.from('\x89PNG\r\n\x1a\nnot really a png'));
    writeFileSync(join(root, 'mole', 'empty.jpg'), new Uint8Array(0));
    writeFileSync(join(root, 'mole', 'notes.txt'), 'ignored');
    const ds = await openDataset({ data: root, preprocess: pre });
    assert.deepEqual(ds.classes, ['ant', 'mole', 'zebra']);
    assert.equal(ds.size, 6);
    assert.deepEqual(ds.sampleShape, [4, 5, 3]);
    const labels = Array.from(await ds.labels());
    assert.deepEqual(labels, [0, 0, 1, 1, 2, 2]);
    const r = await all(ds, [0, 1, 2, 3, 4, 5], 4);
    assert.equal(r.batches, 2);
    assert.deepEqual(r.skipped.map((s) => s.id).sort(), [join(root, 'mole', 'empty.jpg'), join(root, 'zebra', 'broken.png')].sort());
    assert.ok(r.skipped.every((s) => s.reason.length > 0));
    assert.equal(r.ys.length, 4);
    r.ids.forEach((id, k) => {
      const want = pics[id];
      assert.ok(want, id);
      for (let i = 0; i < want.length; i++) assert.ok(Math.abs(r.xs[k * 60 + i] - want[i] / 255) < 1e-7, `${id}[${i}]`);
    });
  } finally {
    rmSync(root, { recursive: true, force: true });
  }
});

test('train/ and test/ subfolders select the split; resize + center-crop give one shape', async () => {
  const root = mkdtempSync(join(tmpdir(), 'seprune-split-'));
  try {
    for (const split of ['train', 'test']) {
      for (const cls of ['a', 'b']) {
        mkdirSync(join(root, split, cls), { recursive: true });
        const n = split === 'train' ? 3 : 1;
        for (let i = 0; i < n; i++) await png(join(root, split, cls, `${i}.png`), new Uint8Array(30 * 20 * 3).fill(100 + i), 30, 20, 3);
      }
    }
    const p = { resize: 12, centerCrop: 10, mean: [0.5], std: [0.25], channels: 1 as const };
    const tr = await openDataset({ data: root, split: 'train', preprocess: p });
    const te = await openDataset({ data: root, split: 'test', preprocess: p });
    assert.equal(tr.size, 6);
    assert.equal(te.size, 2);
    assert.deepEqual(te.sampleShape, [10, 10, 1]);
    const r = await all(te, [0, 1], 8);
    assert.equal(r.xs.length, 200);
    // A flat image stays flat through resize/crop: every value is (100/255 − 0.5) / 0.25.
    assert.ok(r.xs.every((v) => Math.abs(v - (100 / 255 - 0.5) / 0.25) < 1e-6));
  } finally {
    rmSync(root, { recursive: true, force: true });
  }
});

test('user mistakes are one-sentence UserErrors', async () => {
  const root = mkdtempSync(join(tmpdir(), 'seprune-bad-'));
  try {
    const isUser = (re: RegExp) => (e: Error) => e instanceof UserError && re.test(e.message) && !e.message.includes('\n');
    await assert.rejects(openDataset({ data: join(root, 'missing'), preprocess: pre }), isUser(/does not exist/));
    await assert.rejects(openDataset({ data: 'imagenet-tiny', preprocess: pre }), isUser(/Unknown dataset/));
    await assert.rejects(openDataset({ data: root, preprocess: pre }), isUser(/is empty/));
    await png(join(root, 'x.png'), new Uint8Array(12), 2, 2, 3);
    await assert.rejects(openDataset({ data: root, preprocess: pre }), isUser(/no class subfolders/));
    mkdirSync(join(root, 'cls'));
    await assert.rejects(openDataset({ data: root, preprocess: pre }), isUser(/no images/));
    await assert.rejects(openDataset({ data: join(root, 'x.png'), preprocess: pre }), isUser(/is a file/));
  } finally {
    rmSync(root, { recursive: true, force: true });
  }
});
